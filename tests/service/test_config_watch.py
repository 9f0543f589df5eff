"""config.yaml is watched under `pantau run`: a saved edit takes effect within 2 s as SIGHUP would, however
the editor saves it; an invalid edit is refused (`PATH:LINE: message` in the log and the ops channel)
and the running config stays."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from support.process import PantauRun
from support.site import ScriptedSite
from support.webhook import WebhookSink

CONFIG = """\
database: sqlite:///{db}
workers: 0
defaults: {{every: 1s, timeout: 5s, max_age: "off"}}  # the demo outlets carry fixed dates
channels: {{hook: "{hook}", ops: "{ops}"}}
ops: {{channel: ops}}
sources:
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
concepts:
  nato: [NATO]
  partners: [Japan, "South Korea", Australia, "New Zealand"]
rules:
  - {{name: nato, match: '@nato AND @partners', notify: hook}}
"""
FEEDSITE = '  - {{name: feedsite, url: "{base}/feedsite/index.html"}}\n'


@pytest.fixture
def config_text(tmp_path: Path, site: ScriptedSite, hook: WebhookSink) -> str:
    return CONFIG.format(db=tmp_path / "p.db", hook=hook.url("/alerts"), ops=hook.url("/ops"), base=site.url)


def with_feedsite(text: str, site: ScriptedSite) -> str:
    return text.replace("concepts:", FEEDSITE.format(base=site.url) + "concepts:")


def in_place(path: Path, text: str) -> None:
    path.write_text(text)


def by_rename(path: Path, text: str) -> None:  # VS Code, JetBrains, `sed -i`: a new file renamed over
    temporary = path.with_name("." + path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def moved_aside(path: Path, text: str) -> None:  # vim without backupcopy: the old file renamed away first
    os.replace(path, path.with_name(path.name + "~"))
    time.sleep(0.05)
    path.write_text(text)


def folder_replaced(path: Path, text: str) -> None:  # a deploy tool that writes the whole folder anew
    shutil.rmtree(path.parent)
    path.parent.mkdir()
    path.write_text(text)


def configmap(path: Path, text: str) -> None:
    """A Kubernetes ConfigMap volume: config.yaml -> ..data/config.yaml, and an update writes a new folder
    and swaps the ..data symlink to it, so the file pantau was given never changes inode or name."""
    version = path.parent / f"..{time.monotonic_ns()}"
    version.mkdir()
    (version / path.name).write_text(text)
    data, swap = path.parent / "..data", path.parent / "..data_tmp"
    old = data.resolve() if data.is_symlink() else None
    swap.symlink_to(version.name)
    os.replace(swap, data)
    if not path.is_symlink():
        path.symlink_to(f"..data/{path.name}")
    if old is not None:
        shutil.rmtree(old)


@pytest.mark.parametrize(
    "save", [in_place, by_rename, moved_aside, configmap, folder_replaced], ids=lambda f: f.__name__
)
def test_a_saved_edit_takes_effect_within_two_seconds(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, config_text: str, save: object
) -> None:
    config = tmp_path / "etc" / "config.yaml"
    config.parent.mkdir()
    (configmap if save is configmap else in_place)(config, config_text)
    service = PantauRun(config)
    try:
        service.wait_for("pantau running")
        hook.wait_for(1, timeout=30)
        saved = time.monotonic()
        save(config, with_feedsite(config_text, site))  # type: ignore[operator]
        reloaded = service.wait_for("config reloaded: 2 sources", after=saved)
        print(f"reloaded {reloaded - saved:.2f} s after the save")
        assert reloaded - saved < 2.0, service.log
        service.wait_for("feedsite:", after=saved)  # the new source is polled
        assert service.log.count("config reloaded") == 1  # one save, one reload
        if save is folder_replaced:  # and the new folder is watched in turn
            saved = time.monotonic()
            in_place(config, config_text)
            service.wait_for("config reloaded: 1 source,", after=saved, timeout=2)
    finally:
        code = service.stop()
    assert code == 0 and "Traceback" not in service.log


def test_an_invalid_edit_is_refused_and_the_running_config_stays(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, config_text: str
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(config_text)
    service = PantauRun(config)
    try:
        service.wait_for("pantau running")
        hook.wait_for(1, timeout=30)
        saved = time.monotonic()
        by_rename(config, config_text.replace("every: 1s", "every: often"))
        refused = service.wait_for("reload refused", after=saved)
        line = service.line_at(refused)
        assert f"{config}:3: " in line and "every" in line, line
        ops = [r for r in hook.wait_for(2, timeout=10) if r.path == "/ops"]
        assert len(ops) == 1 and f"{config}:3: " in ops[0].json["message"]
        # the old config keeps running: the wire is still polled every second
        polled = site.arrived("/wire/index.html")
        time.sleep(2.5)
        assert site.arrived("/wire/index.html") > polled
        # and a good edit afterwards is taken
        saved = time.monotonic()
        in_place(config, with_feedsite(config_text, site))
        service.wait_for("config reloaded: 2 sources", after=saved, timeout=5)
    finally:
        code = service.stop()
    assert code == 0 and "Traceback" not in service.log
    assert len([r for r in hook.requests if r.path == "/ops"]) == 1  # refused once, told once
