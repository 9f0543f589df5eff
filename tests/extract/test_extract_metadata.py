"""Metadata (metadata_cases.yaml): JSON-LD, then OpenGraph and other <meta>, then the page itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.extract import extract_article

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "metadata_cases.yaml").read_text("utf-8")
)
URL = "https://kabarnusa.example/berita/1"
DEFAULT_TEXT = "12345 67890 — 2024 · 3,5 % · 10.000 · 42 · 7"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_metadata(case: dict[str, Any]) -> None:
    got = extract_article(f"{case['html']}<article><p>{case.get('text', DEFAULT_TEXT)}</p></article>", URL)
    for field, want in case["want"].items():
        value = getattr(got, field)
        if isinstance(value, datetime):
            value = value.isoformat()
        assert value == want, field
