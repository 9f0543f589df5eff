"""The `web:` section of config.yaml: loopback by default, a password required anywhere else, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.cli import run_cli
from pantau.config import load_config
from pantau.errors import ConfigError


def _load(tmp_path: Path, web: str, env: dict[str, str] | None = None) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(f"database: sqlite:///p.db\n{web}")
    return load_config(path, env=env or {}).web


def test_without_the_section_there_is_no_web_view(tmp_path: Path) -> None:
    assert _load(tmp_path, "") is None


@pytest.mark.parametrize(
    ("section", "host", "port"),
    [
        ("web:\n", "127.0.0.1", 8787),
        ("web: {}\n", "127.0.0.1", 8787),
        ("web: {listen: '127.0.0.1:9000'}\n", "127.0.0.1", 9000),
        ("web: {listen: '[::1]:9000'}\n", "::1", 9000),
        ("web: {listen: 'localhost:0'}\n", "localhost", 0),
    ],
)
def test_loopback_addresses_need_no_password(tmp_path: Path, section: str, host: str, port: int) -> None:
    web = _load(tmp_path, section)
    assert (web.host, web.port, web.password) == (host, port, None)  # type: ignore[attr-defined]


def test_a_public_address_takes_the_password_from_the_environment(tmp_path: Path) -> None:
    section = "web:\n  listen: 0.0.0.0:8787\n  password: ${PANTAU_WEB_PASSWORD}\n"
    web = _load(tmp_path, section, {"PANTAU_WEB_PASSWORD": "hunter2-long"})
    assert web.password == "hunter2-long"  # type: ignore[attr-defined]
    assert "hunter2" not in repr(web)
    with pytest.raises(ConfigError, match=r"config.yaml:4: .*PANTAU_WEB_PASSWORD is not set"):
        _load(tmp_path, section)


@pytest.mark.parametrize(
    ("listen", "message"),
    [
        ("example.org:8787", "is reachable from other machines but web.password is not set"),
        ("[2001:db8::1]:80", "is reachable from other machines"),
        ("127.0.0.1", "is not HOST:PORT"),
        ("127.0.0.1:99999", "is not HOST:PORT"),
        ("::1:8787", "write an IPv6 address in brackets"),
    ],
)
def test_bad_listen_values_are_config_errors(tmp_path: Path, listen: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, f"web:\n  listen: '{listen}'\n")
    assert str(info.value).startswith(f"{tmp_path / 'config.yaml'}:3: web: listen")
    assert message in str(info.value)


def test_check_names_the_address_but_never_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANTAU_WEB_PASSWORD", "hunter2-long")
    path = tmp_path / "config.yaml"
    path.write_text("web:\n  listen: 0.0.0.0:8787\n  password: ${PANTAU_WEB_PASSWORD}\n")
    assert run_cli(["check", "-c", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "web: `pantau run` serves http://0.0.0.0:8787 (password set)" in shown
    assert "hunter2" not in shown
