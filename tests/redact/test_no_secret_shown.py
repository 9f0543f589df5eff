"""No secret in any output: every channel scheme x every path where a URL or its failure is shown.

Each scheme of schemes.yaml gets its own secret, written into config.yaml either through ${VAR} or inline
(so the redaction of the URL's structure is tested, not only the scrubbing of substituted values). A
secret must never reach standard output, standard error, a log record (caplog at DEBUG, apprise's and
httpx's included), the store or a message to the ops channel. Servers are real: a webhook receiver for
the ops channel, the demo outlets for an article that alerts, a local server answering 500 for a feed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.local_server import LocalServer
from support.running import running, wait_until
from support.site import ScriptedSite
from support.webhook import WebhookSink

from pantau.cli import run_cli
from pantau.config import load_config
from pantau.store import Store

SCHEMES: list[dict[str, str]] = yaml.safe_load((Path(__file__).parent / "schemes.yaml").read_text())
IDS = [row["id"] for row in SCHEMES]
VIA = ["env", "inline"]


def secret_of(scheme: str) -> str:
    """30 lower-case letters and digits (pushover's form), different for every scheme."""
    return "zq" + hashlib.sha256(scheme.encode()).hexdigest()[:28]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def assert_hidden(secrets: list[str], *texts: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret {secret!r} shown in:\n{text}"


def store_text(db: Path) -> str:
    """Every text value in every table of the SQLite store, one per line."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [row for table in tables for row in conn.execute(f'SELECT * FROM "{table}"')]
    return "\n".join(str(value) for row in rows for value in row if isinstance(value, str))


@dataclass
class Seen:
    """What a user would see: the CLI's output, every log record, the environment the test sets."""

    path: Path
    capsys: pytest.CaptureFixture[str]
    caplog: pytest.LogCaptureFixture
    monkeypatch: pytest.MonkeyPatch

    def url(self, row: dict[str, str], which: str, via: str, port: int) -> str:
        """The scheme's `dead` or `bad` URL with its secret through ${VAR} (set here) or inline."""
        secret = secret_of(row["id"])
        if via == "env":
            variable = "PANTAU_SECRET_" + row["id"].upper().replace("-", "_")
            self.monkeypatch.setenv(variable, secret)
            secret = "${" + variable + "}"
        return row[which].replace("{S}", secret).replace("{PORT}", str(port))

    def cli(self, *args: str) -> tuple[int, str, str]:
        status = run_cli([*args, "-c", str(self.path)])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err


@pytest.fixture
def seen(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Seen:
    caplog.set_level(logging.DEBUG)
    return Seen(tmp_path / "config.yaml", capsys, caplog, monkeypatch)


@pytest.fixture(params=SCHEMES, ids=IDS)
def row(request: pytest.FixtureRequest) -> dict[str, str]:
    scheme: dict[str, str] = request.param
    return scheme


@pytest.fixture(params=VIA)
def via(request: pytest.FixtureRequest) -> str:
    """The secret written through ${VAR} or inline, so URL redaction is tested, not only env scrubbing."""
    how: str = request.param
    return how


# -- pantau check, test-notify ---------------------------------------------------------------------------


def test_check_rejects_a_bad_channel_url_without_its_secret(
    row: dict[str, str], via: str, seen: Seen
) -> None:
    seen.path.write_text(f"channels:\n  desk: {seen.url(row, 'bad', via, closed_port())!r}\n  t: stdout://\n")
    status, out, err = seen.cli("check")
    assert status == 2
    assert err.startswith(f"error: {seen.path}:2: channel 'desk'"), err
    assert_hidden([secret_of(row["id"])], out, err, seen.caplog.text)


def test_check_summary_and_test_notify_failure_show_no_secret(
    row: dict[str, str], via: str, seen: Seen
) -> None:
    url = seen.url(row, "dead", via, closed_port())
    seen.path.write_text(f"database: sqlite:///p.db\nchannels:\n  desk: {url!r}\n")
    status, out, err = seen.cli("check")
    assert status == 0 and "desk" in out
    assert_hidden([secret_of(row["id"])], out, err)
    status, out, err = seen.cli("test-notify", "desk")
    assert status == 1 and "test-notify: notify: channel 'desk' failed" in err, err
    assert_hidden([secret_of(row["id"])], out, err, seen.caplog.text)


# -- delivery failing: logged, stored, listed -----------------------------------------------------------


def test_failed_deliveries_are_logged_and_stored_without_secrets(
    via: str, seen: Seen, site: ScriptedSite
) -> None:
    port = closed_port()
    channels = {row["id"]: seen.url(row, "dead", via, port) for row in SCHEMES}
    db = seen.path.parent / "p.db"
    wire = {
        "name": "wire",
        "url": site.url + "/wire/index.html",
        "links": "a[href*='/news/']",
        "max_age": "off",
    }
    rule = {"name": "japan", "match": "Japan", "notify": list(channels)}
    seen.path.write_text(
        yaml.safe_dump(
            {"database": f"sqlite:///{db}", "channels": channels, "sources": [wire], "rules": [rule]}
        )
    )
    status, out, err = seen.cli("once")
    assert "failed" in err, err  # every channel is dead: the alerts wait for a retry
    shown = [out, err]
    for args in (["alerts", "--since", "1d"], ["sources"]):
        status, out, err = seen.cli(*args)
        assert status == 0
        shown += [out, err]
    stored = store_text(db)
    assert "japan" in stored and "notify: channel" in stored  # the failures were stored, with reasons
    assert_hidden([secret_of(row["id"]) for row in SCHEMES], *shown, seen.caplog.text, stored)


# -- reload refused, told to the ops channel ------------------------------------------------------------


def test_a_refused_reload_logs_and_tells_ops_without_secrets(via: str, seen: Seen, hook: WebhookSink) -> None:
    port = closed_port()
    bad = {row["id"]: seen.url(row, "bad", via, port) for row in SCHEMES}
    good: dict[str, Any] = {
        "database": f"sqlite:///{seen.path.parent / 'p.db'}",
        "channels": {"ops": hook.url("/ops")},
        "ops": {"channel": "ops"},
    }
    seen.path.write_text(yaml.safe_dump(good))
    config = load_config(seen.path)

    async def scenario() -> None:
        with Store.open(config.database) as store:
            async with running(config, store, seen.path) as run:
                seen.path.write_text(yaml.safe_dump({**good, "channels": {**good["channels"], **bad}}))
                run.service.reload()
                await wait_until(lambda: hook.requests, timeout=20)

    asyncio.run(scenario())
    message = hook.requests[0].json
    assert message["title"] == "[pantau] config refused"
    for row in SCHEMES:
        assert f"channel '{row['id']}'" in message["message"]
    refused = [r.getMessage() for r in seen.caplog.records if "reload refused" in r.getMessage()]
    assert len(refused) == len(SCHEMES)  # one log record per mistake, as `pantau check` prints them
    assert_hidden([secret_of(row["id"]) for row in SCHEMES], str(message), seen.caplog.text)


# -- a feed URL with an API key ---------------------------------------------------------------------------

FEED_KEY = "fk3Qw9Rt7Yu2Io5Pa8Sd"
DEAD_KEY = "dk6Lz1Xc4Vb7Nm0Qw3Er"


def test_a_feed_url_with_an_api_key_never_shows_the_key(seen: Seen, hook: WebhookSink) -> None:
    server = LocalServer.start()
    server.static("/feed.xml", 500, b"<html>internal error</html>", {"Content-Type": "text/html"})
    db = seen.path.parent / "p.db"
    keyed = {"name": "keyed", "url": f"{server.base}/feed.xml?api_key={FEED_KEY}&lang=en"}
    refused = {"name": "refused", "url": f"http://127.0.0.1:{closed_port()}/rss?token={DEAD_KEY}"}
    seen.path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{db}",
                "channels": {"ops": hook.url("/ops")},
                "ops": {"channel": "ops", "after_failures": 1},
                "sources": [keyed, refused],
            }
        )
    )
    try:
        status, out, err = seen.cli("check")
        assert status == 0 and "api_key=***&lang=en" in out
        shown = [out, err]
        status, out, err = seen.cli("once")
        assert status == 1 and "keyed" in err and "refused" in err
        shown += [out, err]
        status, out, err = seen.cli("sources")
        assert "500" in out
        shown += [out, err]
    finally:
        server.close()
    assert server.count("/feed.xml") >= 1  # the key did reach the outlet, where it belongs
    stored = store_text(db)
    assert "api_key=***" in stored
    told = [str(r.json) for r in hook.requests]
    assert any("keyed" in t for t in told) and any("refused" in t for t in told)
    assert_hidden([FEED_KEY, DEAD_KEY], *shown, seen.caplog.text, stored, *told)
