"""`pantau run` serves the web view from its own event loop: pages answer while it polls, it stops cleanly,
and an address already in use is one clear line and exit status 1."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.newsroom import PantauRun, publish_wire, write_config
from support.site import ScriptedSite
from support.webhook import WebhookSink


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def _status(url: str, password: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"ops:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _shows(url: str, text: str, within: float = 30) -> None:
    """The page at `url` shows `text` within `within` seconds (the service polls meanwhile)."""
    deadline = time.monotonic() + within
    while text not in _get(url) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert text in _get(url)


def test_healthz_is_the_one_path_open_without_the_password(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    config = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook.url(), password="pw-2026")
    with PantauRun(config) as service:
        assert _status(service.url + "/healthz") == (200, "ok")
        for path in [
            "/",
            "/alerts",
            "/sources",
            "/try",
            "/api/alerts",
            "/api/sources",
            "/metrics",
            "/static/pantau.css",
        ]:
            assert _status(service.url + path)[0] == 401, path
            assert _status(service.url + path, "pw-2025")[0] == 401, path
        assert _status(service.url + "/", "pw-2026")[0] == 200
        status, metrics = _status(service.url + "/metrics", "pw-2026")
        assert status == 200 and "pantau_build_info" in metrics
    assert "pw-2026" not in "".join(service.log)


def test_run_serves_pages_that_follow_the_polls(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    config = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook.url(), every="2s")
    with PantauRun(config) as service:
        hook.wait_for(1, timeout=30)  # the first poll is placing its articles (in whichever order they come)
        _shows(service.url + "/", "NATO chief seeks deeper ties with Japan")
        publish_wire(site, "drill", "NATO and Japan hold a joint cyber drill", ["NATO and Japan trained."])
        _shows(service.url + "/", "joint cyber drill")
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
