"""config.yaml: the contract's example loads; every mistake is `PATH:LINE: message` with exit status 2."""

from __future__ import annotations

import difflib
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.analyse import default_workers
from pantau.cli import run_cli
from pantau.config import ChannelConfig, DeliveryConfig, OpsConfig, RuleConfig, load_config
from pantau.errors import ConfigError
from pantau.pipeline import analyser_for

ROOT = Path(__file__).resolve().parents[2]
CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text())
SECRETS = {"SMTP_PASSWORD": "s3cr3t-pw", "TELEGRAM_TOKEN": "123456:ABCdefGhIjkLmnOpq"}


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    return next(b for b in blocks if b.startswith("database:"))


def _contract_example() -> str:
    """The config example of the user contract, kept here as the project's own test data."""
    return (Path(__file__).parent / "contract_example.yaml").read_text()


def _expected(case: dict[str, Any]) -> list[tuple[int, str]]:
    """The (line, words) of every error the case must report, in the order they must be printed."""
    if "errors" in case:
        return [(line, message) for line, message in case["errors"]]
    return [(case["line"], case["message"])]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_config_errors_name_file_and_line(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(case["config"])
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    lines = info.value.lines()
    expected = _expected(case)
    assert len(lines) == len(expected), "\n".join(lines)
    for line, (number, words) in zip(lines, expected, strict=True):
        assert line.startswith(f"{path}:{number}: "), line
        assert words in line, line


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_hint_never_repeats_its_message(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(case["config"])
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    for error in getattr(info.value, "errors", (info.value,)):
        if error.hint:
            words, hint = error.message.split(), error.hint.split()
            match = difflib.SequenceMatcher(None, words, hint).find_longest_match()
            shared = " ".join(words[match.a : match.a + match.size])
            assert match.size < 3, f"{error.message!r} and its hint {error.hint!r} both say {shared!r}"


def test_check_prints_every_error_in_line_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c["id"] == "every-mistake-in-one-run")
    path = tmp_path / "config.yaml"
    path.write_text(case["config"])
    assert run_cli(["check", "-c", str(path)]) == 2
    captured = capsys.readouterr()
    shown = captured.err.splitlines()
    assert captured.out == ""
    assert [line.removeprefix(f"error: {path}:").split(":")[0] for line in shown] == [
        str(n) for n, _ in _expected(case)
    ]


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c["id"] in {"yaml-syntax", "unknown-top-key", "bad-query", "unset-variable", "unknown-channel"}
    ],
    ids=lambda c: c["id"],
)
def test_check_exits_2_with_one_line_and_no_traceback(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PANTAU_TEST_UNSET_SECRET", raising=False)
    path = tmp_path / "config.yaml"
    path.write_text(case["config"])
    assert run_cli(["check", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert f"{path}:{case['line']}: " in captured.err


def test_the_contract_example_loads_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(_contract_example())
    config = load_config(path, env=SECRETS)
    assert [s.name for s in config.sources] == ["kyodo", "inakoran", "antara-en"]
    assert config.source("kyodo").every == timedelta(minutes=5)
    assert config.source("inakoran").every == timedelta(minutes=10)
    assert config.source("inakoran").article is not None
    assert config.source("inakoran").article.drop == (".baca-juga", ".komentar")
    assert config.rule("ukraine").sources == ("kyodo", "antara-en")
    assert config.rule("nato-indo-pacific").notify == ("desk", "chat")
    assert config.database == "sqlite:///" + str(tmp_path / "pantau.db")
    assert str(config.timezone) == "Asia/Jakarta"
    assert set(config.concepts["ukraine"].terms) == {"en", "id"}


def test_readme_example_is_the_contract_example() -> None:
    assert _readme_example() == _contract_example()


def test_check_on_the_contract_example_never_shows_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "config.yaml"
    path.write_text(_contract_example())
    assert run_cli(["check", "-c", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "nato-indo-pacific" in shown and "kyodo" in shown
    for value in SECRETS.values():
        assert value not in shown


def test_the_shipped_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(ROOT / "config.yaml"), "check"]) == 0


def test_variables_with_defaults_and_relative_database(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: ${DB:-sqlite:///data/p.db}\nchannels:\n  t: ${CHAN:-stdout://}\n")
    config = load_config(path, env={})
    assert config.database == "sqlite:///" + str(tmp_path / "data" / "p.db")
    assert config.channel_urls == {"t": ("stdout://",)}


def test_workers_default_to_the_machine_and_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: sqlite:///p.db\n")
    assert analyser_for(load_config(path)).workers == default_workers()
    path.write_text("database: sqlite:///p.db\nworkers: 0\n")
    assert analyser_for(load_config(path)).workers == 0


def test_max_age_and_recheck_default_inherit_and_turn_off(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "defaults: {max_age: 12h, recheck: off}\n"
        "sources:\n"
        "  - {name: a, url: 'https://x.test/a'}\n"
        "  - {name: b, url: 'https://x.test/b', max_age: 'off', recheck: 2h}\n"
    )
    a, b = load_config(path, env={}).sources
    assert (a.max_age, a.recheck) == (timedelta(hours=12), None)
    assert (b.max_age, b.recheck) == (None, timedelta(hours=2))
    path.write_text("sources:\n  - {name: a, url: 'https://x.test/a'}\n")
    (plain,) = load_config(path, env={}).sources
    assert (plain.max_age, plain.recheck) == (timedelta(days=3), timedelta(hours=6))


def test_the_key_table_defaults_are_the_dataclass_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "channels:\n  t: stdout://\nops: {channel: t}\ndelivery: {}\n"
        "rules:\n  - {name: r, match: NATO, notify: t}\n"
    )
    config = load_config(path, env={})
    assert config.channels["t"] == ChannelConfig("t", ("stdout://",))
    assert config.ops == OpsConfig("t")
    assert config.delivery == DeliveryConfig()
    assert config.rules[0] == RuleConfig("r", "NATO", ("t",))


BLOCKS = [
    "timezone: UTC\n",
    "channels:\n  t: stdout://\n",
    "sources:\n  - name: s\n    url: https://x.test/\n",
    "concepts:\n  nato: [NATO]\n",
    "rules:\n  - name: r\n    match: '@nato'\n    notify: t\n",
]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, len(BLOCKS)),
    st.sampled_from(["conceptz: {}\n", "concept:\n  nato: [NATO]\n", "extra:\n\n  - a\n", "ruless: []\n"]),
    st.sampled_from(["", "\n", "# a comment\n"]),
)
def test_an_unknown_key_is_reported_on_its_own_line(position: int, unknown: str, gap: str) -> None:
    before = "".join(BLOCKS[:position]) + gap
    text = before + unknown + "".join(BLOCKS[position:])
    with tempfile.TemporaryDirectory() as folder, pytest.raises(ConfigError) as info:
        path = Path(folder) / "config.yaml"
        path.write_text(text)
        load_config(path, env={})
    key = unknown.split(":")[0]
    assert len(info.value.lines()) == 1
    assert info.value.line == before.count("\n") + 1
    assert info.value.message.startswith(f"unknown key '{key}' in the config")
