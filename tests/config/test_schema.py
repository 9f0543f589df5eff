"""`pantau schema`: a JSON Schema (draft 2020-12) of config.yaml made from the key table that validates it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from pantau.cli import run_cli
from pantau.config import KEYS

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
README = (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(_printed_schema())


def _printed_schema() -> dict[str, Any]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert run_cli(["schema"]) == 0
    schema: dict[str, Any] = json.loads(buffer.getvalue())
    Draft202012Validator.check_schema(schema)
    return schema


def _readme_example() -> str:
    return next(b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if b.startswith("database:"))


EXAMPLES = {
    "contract": (HERE / "contract_example.yaml").read_text(),
    "readme": _readme_example(),
    "demo": (ROOT / "src" / "pantau" / "demo" / "config.yaml").read_text(),
    "shipped": (ROOT / "config.yaml").read_text(),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_example_configs_follow_the_schema(name: str, validator: Draft202012Validator) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(yaml.safe_load(EXAMPLES[name]))]
    assert errors == []


@pytest.mark.parametrize(
    ("mistake", "where"),
    [
        ("databse: sqlite:///x.db", []),
        ("workers: two", ["workers"]),
        ("defaults: {every: 5 minutes}", ["defaults", "every"]),
        ("sources: [{name: a, url: ftp://x.test/}]", ["sources", 0, "url"]),
        ("sources: [{name: a}]", ["sources", 0]),
        ("channels: {t: {urls: stdout://, format: pdf}}", ["channels", "t"]),
        ("rules: [{name: r, match: NATO, notify: t, repeat: sometimes}]", ["rules", 0, "repeat"]),
        ("concepts: {nato: {english: [NATO]}}", ["concepts", "nato"]),
    ],
)
def test_the_schema_rejects_what_check_rejects(
    mistake: str, where: list[object], validator: Draft202012Validator, tmp_path: Path
) -> None:
    config = yaml.safe_load(mistake)
    errors = list(validator.iter_errors(config))
    assert errors and any(list(e.absolute_path)[: len(where)] == where for e in errors)
    path = tmp_path / "config.yaml"
    path.write_text(mistake + "\n")
    assert run_cli(["check", "-c", str(path)]) == 2


def test_every_key_of_the_table_is_in_the_schema_and_the_readme() -> None:
    schema = _printed_schema()
    for section, keys in KEYS.items():
        shown = schema if section == "top" else schema["$defs"][section]
        assert set(shown["properties"]) == set(keys), section
        for name, key in keys.items():
            assert shown["properties"][name]["description"] == key.help
            assert f"| `{name}` |" in README, f"README does not document {section} key '{name}'"


def test_the_readme_states_each_default_of_the_table() -> None:
    for section, keys in KEYS.items():
        for name, key in keys.items():
            if key.default is None or isinstance(key.default, bool):
                continue
            rows = [line for line in README.splitlines() if line.startswith(f"| `{name}` |")]
            assert any(f"`{key.default}`" in row or f" {key.default})" in row for row in rows), (
                f"README does not give {section}.{name}'s default {key.default!r}"
            )


def test_the_readme_shows_the_editor_line() -> None:
    assert "pantau schema > pantau.schema.json" in README
    assert "# yaml-language-server: $schema=" in README
