"""Re-checking recent articles for updates made in place.

For `recheck` after an article was first seen, each poll of its source also asks again for the articles
whose next check is due, with a conditional GET (ETag / Last-Modified). The first check comes one poll
interval after the article was first seen; each later gap is as long as the article's age at the check
before it (never shorter than the source's `every`), so an article is fetched about log2(recheck / every)
times, mostly answered 304. At most `MAX_RECHECKS_PER_POLL` a poll, through the same fetcher as every
other request (robots.txt, per-host limits).

An article whose text changed is treated like a copy of itself: stored as a revision in its own story and
planned against that story's alerts (`dedupe.plan_alerts`). A rule that now matches alerts once, its
message marked as an update; a rule that already alerted sends a follow-up only when the update adds a
watched term; nothing else is sent. A failed check is logged and tried again at the next gap: it never
fails the source's poll.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pantau.config import SourceConfig
from pantau.due import Planner, article_from, too_old
from pantau.errors import ExtractError, FetchError
from pantau.models import Match
from pantau.reading import read_article
from pantau.redact import redact_text
from pantau.store import DueRecheck, Rechecked

if TYPE_CHECKING:
    from pantau.pipeline import Context

log = logging.getLogger(__name__)

MAX_RECHECKS_PER_POLL = 50
IN_FLIGHT = 2  # the host allows two requests at a time anyway
FOLLOW_UP = "Follow-up: this report adds "


@dataclass(frozen=True)
class RecheckResult:
    checked: int = 0
    changed: int = 0
    alert_rules: tuple[str, ...] = ()
    notes: tuple[Rechecked, ...] = ()  # for the store, written with the poll (Store.record_poll)


def next_check(first_seen: datetime, now: datetime, every: timedelta, until: datetime) -> datetime | None:
    """When to check again after a check at `now`, or None when the article is no longer watched."""
    at = now + max(every, now - first_seen)
    return at if at < until else None


async def recheck_source(source: SourceConfig, ctx: Context, *, due: bool = True) -> RecheckResult:
    """Check the source's articles that are due. `due`: False when the poll's first read found none
    (Store.poll_state), which spares the query. What each check read is returned as `notes`, for the
    caller to write with the poll: one write for the whole poll."""
    if source.recheck is None or not due:
        return RecheckResult()
    items = ctx.store.due_rechecks(source.name, ctx.clock(), MAX_RECHECKS_PER_POLL)
    if not items:
        return RecheckResult()
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(item: DueRecheck) -> tuple[Rechecked, tuple[str, ...]]:
        async with slots:
            return await _check(source, item, ctx)

    done = await asyncio.gather(*(one(item) for item in items))
    rules = tuple(rule for _note, rules in done for rule in rules)
    changed = sum(note.content_hash is not None for note, _ in done)
    return RecheckResult(len(items), changed, rules, tuple(note for note, _ in done))


async def _check(source: SourceConfig, item: DueRecheck, ctx: Context) -> tuple[Rechecked, tuple[str, ...]]:
    """(what to note about the check: its content_hash is set when the text changed, the rules that
    alerted on the update)."""
    store = ctx.store
    try:
        read = await read_article(
            ctx.reader(source), item.url, etag=item.etag, last_modified=item.last_modified
        )
    except (FetchError, ExtractError) as exc:
        log.warning(
            "%s: recheck of %s failed: %s", source.name, item.url, redact_text(str(exc), ctx.config.secrets)
        )
        following = next_check(item.first_seen_at, ctx.clock(), source.every, item.until)
        return Rechecked(item.article_id, following, item.etag, item.last_modified), ()
    now, page, found = ctx.clock(), read.page, read.analysis
    following = next_check(item.first_seen_at, now, source.every, item.until)
    if found is None or found.content_hash == item.content_hash:
        return Rechecked(item.article_id, following, page.etag, page.last_modified), ()

    extracted, matches = found.extracted, list(found.matches)
    old = too_old(extracted.published, source, now)
    # A fragment browsers ignore: the link still opens the article, and one revision is stored once.
    url = f"{item.original_url}#update-{found.content_hash[:12]}"
    revision = article_from(found, source.name, url, extracted.published, now)
    plan = Planner(
        matches,
        source.name,
        ctx.config,
        now,
        ctx.per_source_rules,
        ctx.term_key,
        too_old=old,
        mark=_as_update,
    )

    article_id, _alerts = store.place_revision(
        revision,
        item.story_id,
        found.fingerprint,
        indexed=bool(matches),
        held=tuple(m.rule for m in matches) if old else (),
        plan=plan,
    )
    note = Rechecked(item.article_id, following, page.etag, page.last_modified, found.content_hash)
    if article_id is None:
        return note, ()
    log.info("%s: %s was updated (%d alerts)", source.name, item.original_url, len(plan.planned))
    return note, tuple(m.rule for m, _ in plan.planned)


def _as_update(match: Match) -> Match:
    """The message says the article was updated, and what the update adds when the rule alerted before."""
    if match.snippet.startswith(FOLLOW_UP):
        return replace(match, snippet="Update: the article now adds " + match.snippet[len(FOLLOW_UP) :])
    return replace(match, snippet="Update: the article was changed after it was first read. " + match.snippet)
