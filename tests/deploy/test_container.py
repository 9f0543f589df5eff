"""The Dockerfile and compose.yaml, checked without building an image (this machine cannot pull one):
the image installs pantau with the README's own commands, runs as a non-root user with its state in a
volume and a HEALTHCHECK on /healthz; compose's pantau config passes `pantau check` with the environment
compose gives it, on the port and folder the Dockerfile and compose expect."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def last(name: str) -> str:
    return [args for word, args in instructions() if word == name][-1]


def commands(line: str) -> list[list[str]]:
    return [shlex.split(part) for part in line.split("&&")]


def readme_install() -> list[list[str]]:
    """The README's first command: set up a venv and install pantau (then `pantau demo`, dropped here)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.*?)\n```", readme, re.S)
    assert first is not None
    steps = commands(first.group(1))
    return [step for step in steps if "pantau" not in Path(step[0]).name]


def test_the_image_installs_pantau_as_the_readme_does() -> None:
    runs = [commands(args) for word, args in instructions() if word == "RUN" and "pip" in args]
    assert len(runs) == 1
    # the one difference allowed: the PostgreSQL driver's extra, which the README documents
    without_extra = [[re.sub(r"^\.\[postgres\]$", ".", word) for word in step] for step in runs[0]]
    assert without_extra == readme_install()
    assert "pantau[postgres]" in (ROOT / "README.md").read_text(encoding="utf-8")
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    wanted = re.search(r'requires-python = ">=(\d+\.\d+)"', project)
    assert wanted is not None and last("FROM") == f"python:{wanted.group(1)}-slim"


def test_the_image_runs_pantau_as_a_user_with_its_state_in_a_volume() -> None:
    assert last("USER") not in ("root", "0", "")
    state = last("WORKDIR")
    assert state in last("VOLUME")
    assert yaml.safe_load(last("CMD")) == ["pantau", "run"]
    healthcheck = last("HEALTHCHECK")
    assert "/healthz" in healthcheck and "--interval" in healthcheck


def test_compose_runs_the_image_on_postgresql_with_its_config_folder_mounted() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    pantau, db = compose["services"]["pantau"], compose["services"]["db"]
    assert pantau["build"] == "." and db["image"].startswith("postgres:")
    assert pantau["depends_on"]["db"]["condition"] == "service_healthy"
    config_in_container = Path(pantau["environment"]["PANTAU_CONFIG"])
    mounts = {target: source for source, target, *_ in (v.split(":") for v in pantau["volumes"])}
    # the folder is mounted, not the file: an editor's rename-and-replace then reaches the running service
    assert mounts[str(config_in_container.parent)] == "./deploy/compose"
    assert last("WORKDIR") in mounts
    config = ROOT / "deploy" / "compose" / config_in_container.name
    text = config.read_text(encoding="utf-8")
    for variable in re.findall(r"\$\{(\w+)", text):
        assert variable in pantau["environment"], f"{variable} is not passed to pantau"
    database = urlsplit(yaml.safe_load(text)["database"])
    assert database.hostname == "db" and database.username == db["environment"]["POSTGRES_USER"]
    assert database.path.lstrip("/") == db["environment"]["POSTGRES_DB"]
    listen_port = yaml.safe_load(text)["web"]["listen"].rsplit(":", 1)[1]
    assert any(p.endswith(f":{listen_port}") for p in pantau["ports"])
    assert f"127.0.0.1:{listen_port}/healthz" in last("HEALTHCHECK")


def test_compose_config_passes_pantau_check() -> None:
    config = ROOT / "deploy" / "compose" / "config.yaml"
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "POSTGRES_PASSWORD": "s3cret-pg",
        "PANTAU_WEB_PASSWORD": "s3cret-web",
    }
    checked = subprocess.run(
        [sys.executable, "-m", "pantau", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert "config OK" in checked.stdout
    assert "s3cret" not in checked.stdout + checked.stderr
