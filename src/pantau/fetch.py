"""STUB — to be replaced by the fetcher."""

from __future__ import annotations

import httpx

from pantau.clock import Clock
from pantau.models import Page


class Fetcher:
    """All HTTP that pantau does goes through here.

    Fetcher(client, clock=..., max_bytes=..., timeout=..., per_host=...) ; `await get(url, user_agent=...,
    etag=None, last_modified=None) -> Page` (status 200 or 304), raising FetchError("fetch: ...") otherwise.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        clock: Clock,
        max_bytes: int = 5_000_000,
        timeout: float = 30.0,
        per_host: int = 2,
    ) -> None:
        raise NotImplementedError

    async def get(
        self, url: str, *, user_agent: str, etag: str | None = None, last_modified: str | None = None
    ) -> Page:
        raise NotImplementedError
