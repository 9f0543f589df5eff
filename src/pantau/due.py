"""Which matches of an article may alert, and when: the pieces of alert planning that new articles and
updated ones share. Pure."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pantau.analyse import Analysis
from pantau.config import Config, SourceConfig
from pantau.dedupe import StoryView, plan_alerts
from pantau.models import Article, Match
from pantau.store import Outgoing


def too_old(published: datetime | None, source: SourceConfig, now: datetime) -> bool:
    """Published longer ago than the source's max_age: stored and indexed, never alerted."""
    return source.max_age is not None and published is not None and now - published > source.max_age


def outgoing(match: Match, config: Config, now: datetime) -> list[Outgoing]:
    """One outbox row per channel of the match's rule, due now or at the rule's next digest."""
    rule = config.rule(match.rule)
    due = rule.digest.next_due(now, config.timezone) if rule.digest else now
    return [Outgoing(rule.name, channel, due) for channel in rule.notify]


@dataclass
class Planner:
    """`plan` for Store.place_article/place_revision: the matches that still alert in the article's story
    (`dedupe.plan_alerts`), none when the article is too old, each passed through `mark`; what it planned
    stays in `planned` for the caller to report."""

    matches: Sequence[Match]
    source: str
    config: Config
    now: datetime
    per_source: Collection[str]
    term_key: Callable[[str], str]
    too_old: bool = False
    mark: Callable[[Match], Match] = lambda match: match
    planned: list[tuple[Match, list[Outgoing]]] = field(default_factory=list)

    def __call__(self, story: StoryView | None) -> list[tuple[Match, list[Outgoing]]]:
        if self.too_old:
            return []
        due = plan_alerts(
            self.matches, story, self.source, per_source=self.per_source, term_key=self.term_key
        )
        self.planned[:] = [(self.mark(m), outgoing(m, self.config, self.now)) for m in due]
        return self.planned


def article_from(
    found: Analysis, source: str, url: str, published: datetime | None, now: datetime
) -> Article:
    extracted = found.extracted
    return Article(
        source=source,
        url=url,
        title=found.title,
        body=extracted.body,
        published=published,
        author=extracted.author,
        lang=extracted.lang,
        content_hash=found.content_hash,
        fetched_at=now,
    )
