"""Each command loads only what it uses: `check`, `test-rule` and `--help` start without the store
(SQLAlchemy, alembic), the HTTP client (aiohttp) or the notifier (apprise). Checked in a fresh interpreter,
by which modules it ended up holding, so the test does not depend on how loaded the machine is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pantau.demo.server import DEMO_SITE

HEAVY = ("alembic", "sqlalchemy", "sqlmodel", "aiohttp", "apprise", "procrastinate", "starlette", "jinja2")

# Runs one command in a fresh interpreter; prints its exit status and the heavy packages it imported.
PROBE = """
import json, sys
from pantau.cli import run_cli
status = run_cli(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(%r)))
extractor = 'pantau.extract.article' in sys.modules
print(json.dumps({'status': status, 'heavy': heavy, 'extractor': extractor}), file=sys.stderr)
"""

CONFIG = """\
database: sqlite:///{db}
channels:
  terminal: stdout://
concepts:
  nato: [NATO, OTAN]
sources:
  - name: warta
    url: https://warta.example/index.html
    link_pattern: '/p\\d+$'
    article: {{body: ".detail-content", drop: [".komentar"]}}
rules:
  - {{name: r, match: '@nato AND japan', notify: terminal}}
"""


def _loaded(*argv: str, cwd: Path) -> dict[str, object]:
    probe = PROBE % json.dumps(HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    result: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "p.db"))
    return path


def test_check_loads_no_store_http_client_notifier_or_extractor(config: Path) -> None:
    loaded = _loaded("check", "-c", str(config), cwd=config.parent)
    assert loaded == {"status": 0, "heavy": [], "extractor": False}


def test_test_rule_loads_no_store_http_client_notifier_or_extractor(config: Path) -> None:
    loaded = _loaded("test-rule", "NATO", "--title", "NATO meets", "-c", str(config), cwd=config.parent)
    assert loaded == {"status": 0, "heavy": [], "extractor": False}


def test_help_loads_nothing_heavy(tmp_path: Path) -> None:
    loaded = _loaded(cwd=tmp_path)  # `pantau` alone prints the help
    assert loaded["heavy"] == [] and loaded["extractor"] is False


def test_an_alert_to_stdout_in_the_default_format_loads_no_template_engine(config: Path) -> None:
    # Jinja2 is for templates from the config (and HTML); the default markdown and text need none.
    loaded = _loaded("test-notify", "terminal", "-c", str(config), cwd=config.parent)
    assert loaded == {"status": 0, "heavy": [], "extractor": False}


def test_a_real_channel_url_is_still_checked_by_apprise(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: sqlite:///x.db\nchannels:\n  bad: tgram://\n")
    loaded = _loaded("check", "-c", str(path), cwd=tmp_path)
    assert loaded["status"] == 2 and loaded["heavy"] == ["apprise"]


def test_extract_still_extracts(tmp_path: Path) -> None:
    loaded = _loaded("extract", str(DEMO_SITE / "warta" / "p1003"), cwd=tmp_path)
    assert loaded["status"] == 0 and loaded["extractor"] is True


def test_once_loads_only_the_http_client_before_its_first_request(tmp_path: Path) -> None:
    """What `once` imports before asking for robots.txt: the command table, the config and the HTTP
    client, and before the HTTP client nothing heavy, so that the workers' fork server starts first. The
    pipeline and the store load in a thread meanwhile (tests/cli/test_once_first_request.py)."""
    probe = (
        "import json, sys\n"
        "def loaded():\n"
        f"    heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "    pipeline = [m for m in ('pantau.pipeline', 'pantau.store', 'pantau.extract.article') if m in sys.modules]\n"
        "    return {'heavy': heavy, 'pipeline': pipeline}\n"
        "import pantau.cli.commands, pantau.service.once\n"
        "before = loaded()\n"
        "import pantau.fetch\n"
        "print(json.dumps([before, loaded()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    before, with_client = json.loads(done.stdout)
    assert before == {"heavy": [], "pipeline": []}, done.stderr
    assert with_client == {"heavy": ["aiohttp"], "pipeline": []}, done.stderr


def test_the_pipeline_leaves_extraction_and_feed_parsing_to_where_they_are_used(tmp_path: Path) -> None:
    """The main process of `once` and `run` fetches, places and writes; the worker processes extract (their
    fork server loads the extractor), and feedparser loads with the first feed. Neither is on the way to
    the first poll."""
    probe = (
        "import json, sys\n"
        "import pantau.pipeline\n"
        "print(json.dumps(sorted(m for m in ('pantau.extract.article', 'feedparser') if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert json.loads(done.stdout) == [], done.stderr
