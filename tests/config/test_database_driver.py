"""`database: postgresql://…` on an install without the PostgreSQL driver: a config error, never a traceback.

psycopg stays installed here; each command runs in a fresh interpreter whose import system refuses
`psycopg` (a finder on sys.meta_path), which is what a plain `pip install pantau` looks like to pantau.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BLOCK_PSYCOPG = textwrap.dedent(
    """
    import sys

    class NoPsycopg:
        def find_spec(self, name, path=None, target=None):
            if name == "psycopg" or name.startswith(("psycopg.", "psycopg_")):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoPsycopg())
    from pantau.cli import main
    sys.argv[0] = "pantau"
    main(sys.argv[1:])
    """
)


def pantau_without_psycopg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_PSYCOPG, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("command", [["check"], ["once"], ["run"], ["sources"]])
def test_postgresql_without_its_driver_is_a_config_error(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "timezone: UTC\n"
        "database: postgresql://pantau@127.0.0.1:5432/pantau\n"
        "channels:\n  terminal: stdout://\n"
    )
    done = pantau_without_psycopg(*command, "-c", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"error: {path}:2: database: PostgreSQL needs the psycopg driver, which is not installed"
        " (hint: pip install 'pantau[postgres]')"
    ]


def test_the_blocker_really_hides_psycopg(tmp_path: Path) -> None:
    # The same shim with SQLite is fine: only PostgreSQL needs the driver.
    path = tmp_path / "config.yaml"
    path.write_text("database: sqlite:///p.db\n")
    done = pantau_without_psycopg("check", "-c", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        [sys.executable, "-c", BLOCK_PSYCOPG.split("from pantau.cli")[0] + "import psycopg\n"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 1 and "No module named 'psycopg'" in probe.stderr
