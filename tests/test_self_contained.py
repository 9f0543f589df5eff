"""The repository passes its tests with nothing beside it: no test or module reads outside the checkout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A path built from the checkout's parent folder, or naming the workspace's shared folder.
OUTSIDE = re.compile(r"ROOT\.parent\b|\.\./shared|[\"']shared[\"']|CONTRACT\.md")


def test_no_test_or_module_reads_outside_the_checkout() -> None:
    here = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in ("src", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != here
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_the_contract_config_example_is_kept_in_the_repository() -> None:
    example = (ROOT / "tests" / "config" / "contract_example.yaml").read_text(encoding="utf-8")
    assert example.startswith("database: sqlite:///pantau.db")
    assert "rules:" in example and "terminal: stdout://" in example


def test_any_set_of_test_folders_collects_together() -> None:
    """Shared fixtures live in tests/support, so no folder's conftest shadows another's."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/fetch",
            "tests/notify",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_no_test_imports_another_test_module_or_a_conftest() -> None:
    imports = re.compile(r"^\s*(from|import) (conftest|test_\w+)\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if imports.match(line)
    ]
    assert offenders == []
