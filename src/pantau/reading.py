"""Reading one article: fetch its page, follow its own continuation pages, analyse the whole text.

An article split over pages (`extract.pager` finds page 2 on page 1, page 3 on page 2 …) is read from at
most `MAX_PAGES` pages of the same article, each fetched through the same Fetcher as everything else
(robots.txt, per-host limits, timeouts), then analysed once as one text. A later page that is gone (404,
410) or that robots.txt keeps pantau from ends the article where it is; any other failure of a later page
fails the article, so the next poll tries it again. Never follows a link the pager did not name, and never a page it has read already.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from pantau.analyse import Analyser, Analysis, ArticlePage, PagePart
from pantau.extract import decode_html
from pantau.extract.pager import MAX_PAGES, next_page
from pantau.fetch import Fetcher, FetchStatusError, RobotsDisallowed
from pantau.models import ArticleSelectors, Page

log = logging.getLogger(__name__)

GONE = (404, 410)


@dataclass(frozen=True)
class Reader:
    """How to read a source's articles: its fetcher and analyser, and the source's own settings."""

    fetcher: Fetcher
    analyser: Analyser
    source: str
    user_agent: str
    timeout: float
    selectors: ArticleSelectors | None = None


@dataclass(frozen=True)
class Read:
    page: Page  # the first page as fetched (a 304 when the conditional GET found nothing new)
    analysis: Analysis | None  # None for a 304


async def read_article(
    reader: Reader,
    url: str,
    *,
    link_title: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Read:
    """Raises FetchError or ExtractError (WorkerDied included) as the fetcher and analyser do."""
    page = await reader.fetcher.get(
        url, user_agent=reader.user_agent, etag=etag, last_modified=last_modified, timeout=reader.timeout
    )
    if page.not_modified:
        return Read(page, None)
    first = ArticlePage(
        page.body,
        page.charset,
        page.final_url,
        reader.source,
        reader.selectors,
        link_title,
        page.fetched_at,
    )
    found = await reader.analyser(first)
    if found.next_page is None:
        return Read(page, found)
    parts = await _later_pages(reader, page.final_url, found.next_page)
    if not parts:
        return Read(page, found)
    return Read(page, await reader.analyser(replace(first, continued=parts, first_read=found.extracted)))


async def _later_pages(reader: Reader, first: str, url: str | None) -> tuple[PagePart, ...]:
    parts: list[PagePart] = []
    seen = {first}
    while url is not None and url not in seen and len(parts) < MAX_PAGES - 1:
        seen.add(url)
        try:
            page = await reader.fetcher.get(url, user_agent=reader.user_agent, timeout=reader.timeout)
        except (FetchStatusError, RobotsDisallowed) as exc:
            if isinstance(exc, FetchStatusError) and exc.status not in GONE:
                raise
            log.info(
                "%s: page %d of %s not read (%s); the article is read from the pages before it",
                reader.source,
                len(parts) + 2,
                first,
                exc,
            )
            break
        if page.final_url != url and page.final_url in seen:  # redirected back to a page read (page 1)
            break
        seen.add(page.final_url)
        parts.append(PagePart(page.body, page.charset, page.final_url))
        html = decode_html(page.body, page.charset)
        url = next_page(html, page.final_url, first=first, number=len(parts) + 1)
    return tuple(parts)
