"""`pantau run` serves the web view from its own event loop: pages answer while it polls, it stops cleanly,
and an address already in use is one clear line and exit status 1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from support.newsroom import PantauRun, publish_wire, write_config
from support.site import ScriptedSite
from support.webhook import WebhookSink


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def test_run_serves_pages_that_follow_the_polls(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    config = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook.url(), every="2s")
    with PantauRun(config) as service:
        hook.wait_for(1, timeout=30)
        assert "NATO chief seeks deeper ties with Japan" in _get(service.url + "/")
        publish_wire(site, "drill", "NATO and Japan hold a joint cyber drill", ["NATO and Japan trained."])
        deadline = time.monotonic() + 30
        while "joint cyber drill" not in _get(service.url + "/") and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "joint cyber drill" in _get(service.url + "/")
        sources = _get(service.url + "/sources")
        assert 'id="source-gone" class="failing"' in sources
        assert service.stop() == 0
    log = "".join(service.log)
    assert "Traceback" not in log and "pantau stopped" in log


def test_an_address_in_use_stops_pantau_with_one_line(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook.url())
        config.write_text(config.read_text().replace("listen: 127.0.0.1:0", f"listen: 127.0.0.1:{port}"))
        done = subprocess.run(
            [sys.executable, "-m", "pantau", "run", "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"error: web: cannot listen on 127.0.0.1:{port}: " in done.stderr
    assert "Traceback" not in done.stderr
