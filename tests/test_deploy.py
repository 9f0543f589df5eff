"""deploy/pantau.service: the config its comments show works under the unit's own sandbox."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from pantau.config import load_config

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "pantau.service"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)  # systemd repeats some keys
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def _config_example() -> str:
    """The indented config.yaml block in the unit's comments (lines `#   key: value`)."""
    lines = UNIT.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#   database:"))
    block = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        block.append(line[4:])
    return "\n".join(block) + "\n"


def test_the_unit_gives_pantau_a_state_directory_it_may_write() -> None:
    service = _unit()["Service"]
    assert service["StateDirectory"] == "pantau"
    assert service["ProtectSystem"] == "strict"
    assert service["WorkingDirectory"] == "/var/lib/pantau"


def test_the_config_example_in_the_unit_puts_the_database_in_the_state_directory(tmp_path: Path) -> None:
    state = Path("/var/lib") / _unit()["Service"]["StateDirectory"]
    etc = tmp_path / "etc" / "pantau"  # stands for /etc/pantau, read-only under ProtectSystem=strict
    etc.mkdir(parents=True)
    (etc / "config.yaml").write_text(_config_example())
    config = load_config(etc / "config.yaml", env={"SMTP_PASSWORD": "pw"})
    found = re.fullmatch(r"sqlite:///(/.+)", config.database)
    assert found, config.database
    database = Path(found.group(1))
    assert database.parent == state
    assert not database.is_relative_to(etc)


def test_the_unit_says_how_to_install_pantau_from_a_checkout() -> None:
    text = UNIT.read_text()
    assert "checkout" in text
    assert re.search(r"pip install /path/to/pantau\b", text)
    assert re.search(r"^ExecStart=/opt/pantau/venv/bin/pantau run$", text, re.M)
