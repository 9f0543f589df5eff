"""What the package says about itself: its licence, and that its dependencies allow it."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_licence_is_in_the_repository_and_in_pyproject() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_no_runtime_dependency_is_under_a_copyleft_licence() -> None:
    """MIT is only honest if what pantau imports allows it: no GPL-family dependency."""
    for requirement in PROJECT["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
        assert name is not None
        meta = metadata.metadata(name.group())
        # What the package declares: its SPDX expression, else its licence classifiers, else the first line
        # of its License field (some wheels append the texts of what they bundle, e.g. numpy's GCC runtime).
        classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        declared = meta.get("License-Expression") or " ".join(classifiers)
        declared = declared or (meta.get("License") or "").strip().split("\n")[0]
        assert declared, f"{name.group()} declares no licence"
        assert "GPL" not in declared, f"{name.group()}: {declared[:200]}"
