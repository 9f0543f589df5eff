"""`pantau sources` shows when each source is polled next: its last poll plus its interval, or "due now"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pantau.cli import run_cli
from pantau.clock import utc_now
from pantau.store import Store

CONFIG = """\
database: sqlite:///p.db
timezone: Asia/Jakarta
sources:
  - {name: hourly, url: "http://127.0.0.1:9/h", every: 1h}
  - {name: overdue, url: "http://127.0.0.1:9/o", every: 5m}
  - {name: fresh, url: "http://127.0.0.1:9/f"}
"""


def test_sources_has_a_next_poll_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "config.yaml").write_text(CONFIG)
    polled = utc_now().replace(microsecond=0) - timedelta(minutes=10)
    with Store.open(f"sqlite:///{tmp_path / 'p.db'}") as store:
        store.record_poll("hourly", polled)
        store.record_poll("overdue", polled, error="fetch: HTTP 503 for http://127.0.0.1:9/o")
    assert run_cli(["sources", "-c", str(tmp_path / "config.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "next poll" in lines[0]
    rows = {line.split()[0]: line for line in lines[1:]}
    expected = (polled + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Jakarta"))
    assert expected.strftime("%Y-%m-%d %H:%M WIB") in rows["hourly"]
    assert "due now" in rows["overdue"] and "fetch: HTTP 503" in rows["overdue"]
    assert "due now" in rows["fresh"] and rows["fresh"].count("never") == 2
