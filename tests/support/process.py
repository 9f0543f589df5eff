"""`pantau run` in a subprocess, its log read line by line as it comes (each line with when it came).

service = PantauRun(config_path)
service.wait_for("pantau running")          # the monotonic time the line arrived
...
assert service.stop() == 0                  # SIGTERM, then the exit status
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path


def start_once(config: Path) -> subprocess.Popen[str]:
    """`pantau once` in a subprocess, its standard output and error piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "pantau", "once", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


class PantauRun:
    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pantau", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, after: float = 0.0, timeout: float = 30.0) -> float:
        """The time the first log line containing `text` (logged after `after`) arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if at >= after and text in line:
                    return at
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no log line with {text!r} in {timeout} s:\n" + self.log)

    def line_at(self, at: float) -> str:
        return next(line for when, line in self.lines if when == at)

    def web_url(self, timeout: float = 30.0) -> str:
        """The web view's address, as the service logs it (web.listen may name port 0)."""
        found = re.search(
            r"web view on (http://\S+)", self.line_at(self.wait_for("web view on", timeout=timeout))
        )
        assert found is not None
        return found.group(1)

    @property
    def log(self) -> str:
        return "\n".join(line for _at, line in self.lines)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self._reader.join(timeout=5)
        return code
