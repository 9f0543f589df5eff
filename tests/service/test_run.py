"""`pantau run`: the real service process, polling on schedule, stopping cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.site import ScriptedSite
from support.webhook import WebhookSink

CONFIG = """\
database: sqlite:///{db}
defaults: {{every: 2s, timeout: 5s, max_age: "off"}}  # the demo outlets carry fixed dates
channels: {{hook: "{hook}"}}
sources:
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
concepts:
  nato: [NATO]
  partners: [Japan, "South Korea", Australia, "New Zealand"]
rules:
  - {{name: nato, match: '@nato AND @partners', notify: hook}}
"""


def start(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pantau", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_polls_delivers_and_stops_cleanly(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, sig: signal.Signals
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=site.url))
    service = start(config)
    try:
        [post] = hook.wait_for(1, timeout=30)
        assert post.json["title"].startswith("[nato] NATO chief seeks deeper ties")
        # it keeps polling on schedule: the listing is asked for again (answered 304)
        deadline = time.monotonic() + 15
        while site.arrived("/wire/index.html") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert site.arrived("/wire/index.html") >= 2
        service.send_signal(sig)
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err
    assert "Traceback" not in err and "pantau stopped" in err
    assert len(hook.requests) == 1  # re-polls of an unchanged outlet never alert again


def test_reload_keeps_the_old_config_when_the_new_one_is_broken(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=site.url))
    service = start(config)
    try:
        hook.wait_for(1, timeout=30)
        config.write_text(config.read_text() + "rulez: []\n")
        service.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert service.poll() is None  # still running on the old config
        service.send_signal(signal.SIGTERM)
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0
    assert "reload refused" in err and "unknown key 'rulez'" in err


def test_run_with_a_broken_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("sources: [\n")
    service = start(config)
    _out, err = service.communicate(timeout=30)
    assert service.returncode == 2
    assert f"{config}:" in err and "Traceback" not in err


def test_reload_picks_up_a_new_source_and_concept_without_a_restart(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    config = tmp_path / "config.yaml"
    text = CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=site.url)
    config.write_text(text)
    service = start(config)
    try:
        hook.wait_for(1, timeout=30)
        added = f'  - {{name: feedsite, url: "{site.url}/feedsite/index.html"}}\n'
        reloaded = text.replace("concepts:", added + "concepts:").replace("partners: [", "partners: [IP4, ")
        config.write_text(reloaded)
        service.send_signal(signal.SIGHUP)
        posts = hook.wait_for(2, timeout=30)
        service.send_signal(signal.SIGTERM)
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err
    assert "config reloaded: 2 sources" in err
    assert posts[1].json["title"].startswith("[nato] Indonesia says NATO")


def test_run_logs_a_periodic_summary_in_good_grammar_and_why_a_channel_failed(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "log_summary: 2s\n" + CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=site.url)
    )
    hook.statuses = [500] * 50
    service = start(config)
    try:
        hook.wait_for(1, timeout=30)
        deadline = time.monotonic() + 20
        while site.arrived("/wire/index.html") < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2.5)  # one more summary period
        service.send_signal(signal.SIGTERM)
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err
    assert "alembic" not in err.lower(), err  # no migration chatter at start
    summaries = re.findall(r"pantau\.service: (last 2s: .*)", err)
    assert summaries, err
    first = next(s for s in summaries if "new article" in s and not s.startswith("last 2s: 0 polls"))
    assert re.fullmatch(
        r"last 2s: \d+ polls?, \d+ new articles?, \d+ alerts?; 0 delivered, \d+ will retry; "
        r"\d+ deliver(y|ies) pending; no failing source",
        first,
    ), first
    # numbers agree with their nouns everywhere in the log
    assert not re.search(r"\b1 (new )?(articles|alerts|polls|deliveries|attempts)\b", err), err
    assert not re.search(r"\b(0|[2-9]|\d\d+) (new )?(article|alert|poll|delivery|attempt)\b", err), err
    # a channel failure says why (redacted), not only that it failed
    failures = [line for line in err.splitlines() if "notify: channel 'hook' failed" in line]
    assert failures and all("error=500" in line for line in failures), err
    assert not any(line.rstrip().endswith(": failure") for line in failures)


def _catches(pid: int, sig: signal.Signals) -> bool:
    """Whether the process has a handler of its own for `sig` (its SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False


def test_sighup_while_starting_reloads_once_running_instead_of_ending_it(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    # A `systemctl reload` that lands while the service is still loading its modules and opening the store.
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=site.url))
    service = start(config)
    try:
        deadline = time.monotonic() + 30
        while not _catches(service.pid, signal.SIGTERM) and time.monotonic() < deadline:
            time.sleep(0.001)  # the start-up SIGTERM handler is set: the command is starting, not running
        service.send_signal(signal.SIGHUP)
        [post] = hook.wait_for(1, timeout=30)
        assert service.poll() is None
        service.send_signal(signal.SIGTERM)
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err
    assert post.json["title"].startswith("[nato] NATO chief seeks deeper ties")
    assert "config reloaded" in err and "pantau running" in err
    assert err.index("pantau running") < err.index("config reloaded")
