"""STUB — to be replaced."""

from __future__ import annotations


def canonical_url(url: str, page_canonical: str | None = None) -> str:
    raise NotImplementedError


def content_hash(title: str, body: str) -> str:
    raise NotImplementedError
