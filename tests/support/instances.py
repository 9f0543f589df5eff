"""Real `pantau run` processes for tests, each with its standard error in a log file of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


class Instances:
    """`pantau run` processes on one config each; their standard error goes to a log file per process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []
        self.logs: dict[int, Path] = {}

    def start(self, config: Path) -> subprocess.Popen[bytes]:
        log = self.folder / f"instance-{len(self.logs)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "pantau", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.running.append(process)
        self.logs[process.pid] = log
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return self.logs[process.pid].read_text(errors="replace")

    def stop_all(self, timeout: float = 60) -> list[int]:
        for p in self.running:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        return [p.wait(timeout=timeout) for p in self.running]

    def kill_all(self) -> None:
        for p in self.running:
            if p.poll() is None:
                p.kill()
                p.wait()
