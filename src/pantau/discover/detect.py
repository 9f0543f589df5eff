"""STUB — to be replaced."""

from __future__ import annotations

import re

from pantau.models import Discovery, Page


def discover(page: Page, *, links: str | None, link_pattern: re.Pattern[str] | None) -> Discovery:
    raise NotImplementedError
