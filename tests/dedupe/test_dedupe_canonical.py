"""canonical_url and content_hash on the spellings outlets really produce (cases in canonical_cases.yaml)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.dedupe import canonical_url, content_hash, site_host

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "canonical_cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_canonical_url(case: dict[str, Any]) -> None:
    assert canonical_url(case["url"], case.get("page_canonical")) == case["want"]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.example.org/a", "example.org"),
        ("https://m.example.org/a", "example.org"),
        ("https://amp.example.org/a", "example.org"),
        ("https://en.example.org/a", "en.example.org"),
        ("not a url", None),
        ("http://[::1/a", None),
    ],
)
def test_site_host(url: str, host: str | None) -> None:
    assert site_host(url) == host


def test_content_hash_ignores_case_width_and_spacing() -> None:
    a = content_hash("NATO dan Jepang", "Para menteri  bertemu.\n\nHasilnya jelas.")
    b = content_hash("nato dan jepang ", "PARA MENTERI bertemu. Hasilnya\tjelas.")
    fullwidth = content_hash("ＮＡＴＯ dan Jepang", "Para menteri bertemu. Hasilnya jelas.")
    assert a == b == fullwidth


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("NATO", "body"), ("NATO", "body changed")),
        (("NATO", "body"), ("OTAN", "body")),
        # the newline keeps title and body apart: moving words across it is a different article
        (("NATO summit", "in Vilnius"), ("NATO", "summit in Vilnius")),
    ],
)
def test_content_hash_differs_when_text_differs(left: tuple[str, str], right: tuple[str, str]) -> None:
    assert content_hash(*left) != content_hash(*right)


def test_content_hash_is_sha256_hex() -> None:
    # title and body folded, joined by a newline, hashed: a known value, not only a plausible shape
    assert content_hash("A ", " b") == hashlib.sha256(b"a\nb").hexdigest()
