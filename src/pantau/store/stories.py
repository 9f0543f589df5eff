"""The story index: which story an article joins, near-duplicate signatures and band keys, and which
other outlets reported a story. A mixin of Store (store.queries).
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property, lru_cache
from itertools import islice
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Engine,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    true,
    union_all,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql

from pantau.dedupe import Candidate, Fingerprint, PriorAlert, StoryView, choose_story
from pantau.models import Article
from pantau.store.fast import FastCursor, FastPath
from pantau.store.outbox import chunks
from pantau.store.tables import ALERT, ARTICLE, STORY, STORY_BAND, STORY_SIGNATURE


@dataclass(frozen=True)
class StoryLink:
    """Where `place_article` puts a new article: into story `story_id`, or a new story when it is None.

    With a fingerprint the article also enters the near-duplicate index (until `prune_story_index`).
    """

    story_id: int | None = None
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True)
class StoryArticle:
    """One outlet's article in a story, with the rules it alerted (none for a copy that joined later)."""

    article_id: int
    source: str
    title: str
    url: str
    fetched_at: datetime
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorySummary:
    """A story and every article in it, earliest first."""

    id: int
    copies: tuple[StoryArticle, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.source for c in self.copies))


PLACEMENT_LOCK = 0x70616E746175  # "pantau": the PostgreSQL advisory lock held while an article is placed
FIGURE_BAND = 1023  # band number of the index keys made from an article's figures (cross-language links)
MAX_CANDIDATES = 20  # articles sharing the most band keys; enough since a true copy shares many
# Articles read per band key, newest first. Some keys are shared by hundreds of articles (an outlet's
# boilerplate wins a permutation's minimum in each of its articles): reading them all made every lookup
# grow with the store. A copy shares many keys, so the keys that are not that common still find it.
PER_KEY = 32
UNRANKED = 20  # places for index entries older than the window (not pruned yet) among the best-sharing
SIGNATURES_READ = 20  # index rows of ranked candidates that one statement reads at most
CANDIDATES_KEPT = 1024  # index rows whose Candidate is remembered (a few KB each)
_CANDIDATE_COLUMNS = ("story_id", "article_id", "source", "lang", "exact", "signature", "size", "entities")


def figure_keys(fp: Fingerprint) -> list[int]:
    figures = sorted(f for f in fp.figures if len(f) >= 2)[:8]  # "3" is in every other article
    return [(FIGURE_BAND << 32) | zlib.crc32(f.encode()) for f in figures]


class StoryQueries:
    """The story index: stories, near-duplicate signatures and band keys (a mixin of Store)."""

    engine: Engine
    _fast: FastPath
    _add_article: Any  # Store's prebuilt article insert (ON CONFLICT (url) DO NOTHING)
    # Index rows known to be stored, by article id, each as (its time as stored, its Candidate);
    # and those the open write transaction stored, not kept until it commits (see _settle_index).
    _indexed_rows: dict[int, tuple[Any, Candidate]]
    _written: dict[int, tuple[Any, tuple[Any, ...]]]

    def _read(self) -> Any:
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:
        raise NotImplementedError

    def _find_story(
        self, cur: FastCursor, fp: Fingerprint, since: datetime, *, lang: str | None, cited: bool
    ) -> StoryView | None:
        if not fp.signature and not (cited and fp.entities):
            return None
        candidates = self._candidates(cur, fp, since, cited)
        story_id = choose_story(fp, candidates, lang=lang, cited=cited)
        if story_id is None:
            return None
        # One statement for both: the story's articles in order, each with its alerts (if any).
        rows = cur.all(self._story_members, {"story_id": story_id})
        sources = tuple(dict.fromkeys(source for source, *_ in rows))
        raised = sorted((alert_id, rule, terms, source) for source, alert_id, rule, terms in rows if alert_id)
        alerts = tuple(
            PriorAlert(rule, source, tuple(json.loads(terms))) for _, rule, terms, source in raised
        )
        return StoryView(story_id, alerts, sources)

    def _one_placement_at_a_time(self, cur: FastCursor) -> None:
        """Serialise story placement across processes. SQLite's BEGIN IMMEDIATE already has; PostgreSQL's
        READ COMMITTED would let two transactions each miss the other's copy and start two stories."""
        if self.engine.dialect.name == "postgresql":
            cur.execute(self._placement_lock, {"key": PLACEMENT_LOCK})

    def _candidates(self, cur: FastCursor, fp: Fingerprint, since: datetime, cited: bool) -> list[Candidate]:
        # An exact copy shares every band key, so it is among the candidates (unless each of its keys has
        # PER_KEY newer articles, as only a text made of boilerplate would): no lookup of its own.
        bands, figures = _index_keys(fp)
        keys = list(dict.fromkeys([*bands, *figures])) if cited else list(dict.fromkeys(bands))
        if not keys:
            return []
        return self._ranked_candidates(cur, {f"k{i}": key for i, key in enumerate(keys)}, since)

    def _ranked_candidates(self, cur: FastCursor, keys: dict[str, Any], since: datetime) -> list[Candidate]:
        """The articles among the newest PER_KEY of each key (see _newest) that share the most keys with
        the new one (most hits first, then the oldest), then those indexed since `since`: at most
        MAX_CANDIDATES. The window is checked on those few: older entries are pruned after every poll, and
        an older article only takes one of the places kept for the window (UNRANKED) when it shares more
        keys than a copy.

        The database only reads the hits, as one string: grouping and sorting them took it more than the
        reading (temporary B-trees on SQLite), and returning the best ranked articles' index rows took the
        driver more than the rest. Python ranks the hits; the index rows come from `_indexed_rows` (this
        process wrote or read most of them before: the articles of a busy story come up again and again),
        the others are read SIGNATURES_READ at a time in rank order; the window is checked on each
        article's time as stored, as SQL compares it."""
        hits = cur.execute(_band_hits(len(keys), postgresql=not self._fast.sqlite), keys).fetchone()[0]
        if not hits:
            return []
        ranked = _ranked(hits, MAX_CANDIDATES + UNRANKED)
        after = self._as_stored(since)
        known = self._indexed_rows
        fresh: dict[int, tuple[Any, Candidate]] = {}
        read: set[int] = set()
        found: list[Candidate] = []
        written = self._written  # by this transaction, as a read in it would return them
        for i, article_id in enumerate(ranked):
            entry = known.get(article_id) or fresh.get(article_id)
            if entry is None and article_id in written:
                at, row = written[article_id]
                entry = fresh[article_id] = (at, _candidate(row))
            elif entry is None and article_id not in read:
                unknown = [a for a in ranked[i:] if a not in known and a not in written and a not in read][
                    :SIGNATURES_READ
                ]
                read.update(unknown)
                fresh.update(self._read_indexed(cur, unknown))
                entry = fresh.get(article_id)
            if entry is not None and entry[0] >= after:
                found.append(entry[1])
                if len(found) == MAX_CANDIDATES:
                    break
        return found

    def _read_indexed(self, cur: FastCursor, article_ids: list[int]) -> dict[int, tuple[Any, Candidate]]:
        """The index rows of these articles (those that have one) by article id, each with its time as
        stored; kept in `_indexed_rows` unless the open transaction wrote them."""
        params = {f"a{i}": article_id for i, article_id in enumerate(article_ids)}
        rows: dict[int, tuple[Any, Candidate]] = {}
        for at, *row in cur.execute(_indexed_rows_of(len(article_ids)), params).fetchall():
            candidate = _candidate(tuple(row))
            rows[candidate.article_id] = (at, candidate)
            if candidate.article_id not in self._written:
                self._keep_indexed(candidate.article_id, at, candidate)
        return rows

    def _keep_indexed(self, article_id: int, at: Any, candidate: Candidate) -> None:
        """Remember a stored index row. Index rows never change (pruning removes an article's band keys
        with its row, so it is not ranked again) and article ids are not reused but after a rollback,
        which the rows of the open transaction wait for. The oldest half goes when it is full."""
        known = self._indexed_rows
        if len(known) >= CANDIDATES_KEPT:
            for old in list(islice(known, CANDIDATES_KEPT // 2)):
                del known[old]
        known[article_id] = (at, candidate)

    def _settle_index(self) -> None:
        """After the commit of a placement's transaction: the index rows it wrote are stored."""
        for article_id, (at, row) in self._written.items():
            self._keep_indexed(article_id, at, _candidate(row))
        self._written.clear()

    @cached_property
    def _as_stored(self) -> Callable[[datetime], Any]:
        """A time as the database stores and compares it (text on SQLite, a naive UTC datetime from
        PostgreSQL), and as a read on the fast path returns it."""
        dialect = self.engine.dialect
        process: Any = STORY_SIGNATURE.c.at.type.dialect_impl(dialect).bind_processor(dialect)
        return cast("Callable[[datetime], Any]", process)

    def _add_article_in_story(self, cur: FastCursor, article: Article, story: StoryLink | None) -> int | None:
        """Insert the article into its story (a new one unless given); None if the URL was stored already."""
        story_id = story.story_id if story else None
        if not self._fast.sqlite:
            fp = story.fingerprint if story else None
            return self._add_article_at_once(cur, article, story_id, fp if fp and _indexed(fp) else None)
        new_story = story_id is None
        if new_story:
            story_id = cur.insert_id(self._add_story, {"first_seen_at": article.fetched_at})
        article_id = cur.insert_id(self._add_article, {**article.__dict__, "story_id": story_id})
        if article_id is None:
            if new_story:
                cur.execute(self._drop_story, {"story_id": story_id})
            return None
        fp = story.fingerprint if story else None
        if fp is not None:
            self._index(cur, article_id, story_id, article, fp)
        return article_id

    def _index(
        self, cur: FastCursor, article_id: int, story_id: int | None, article: Article, fp: Fingerprint
    ) -> None:
        at = article.fetched_at
        if not _indexed(fp):
            return
        signature = {
            "article_id": article_id,
            "story_id": story_id,
            "source": article.source,
            "lang": article.lang,
            "exact": fp.exact,
            "signature": fp.signature,
            "size": fp.size,
            "entities": "\n".join(fp.entities),
            "at": at,
        }
        cur.execute(self._add_signature, signature)
        row = tuple(signature[name] for name in _CANDIDATE_COLUMNS)
        self._written[article_id] = (self._as_stored(at), row)
        bands, figures = _index_keys(fp)
        rows = [(key, article_id) for key in dict.fromkeys([*bands, *figures])]
        cur.executemany_rows(self._add_bands, ("band", "article_id"), rows)

    def _add_article_at_once(
        self, cur: FastCursor, article: Article, story_id: int | None, fp: Fingerprint | None
    ) -> int | None:
        """PostgreSQL: what _add_article_in_story and _index write, in one statement (see _placed_pg):
        each statement is a round trip and ~0.1 ms of the driver's CPU."""
        values = dict(article.__dict__)
        if story_id is None:
            values["first_seen_at"] = article.fetched_at
        else:
            values["story_id"] = story_id
        if fp is not None:
            bands, figures = _index_keys(fp)
            values["exact"], values["signature"], values["size"] = fp.exact, fp.signature, fp.size
            values["entities"] = "\n".join(fp.entities)
            values["bands"] = list(dict.fromkeys([*bands, *figures]))
        row = cur.execute(_placed_pg(story_id is None, fp is not None), values).fetchone()
        if story_id is not None:
            article_id = None if row is None else int(row[0])
        else:
            story_id, article_id = row
            if article_id is None:  # the URL was stored meanwhile: no story of its own
                cur.execute(self._drop_story, {"story_id": story_id})
        if article_id is not None and fp is not None:
            values.update(article_id=article_id, story_id=story_id)
            row = tuple(values[name] for name in _CANDIDATE_COLUMNS)
            self._written[article_id] = (self._as_stored(article.fetched_at), row)
        return None if article_id is None else int(article_id)

    def prune_story_index(self, before: datetime, slack: timedelta = timedelta(0)) -> int:
        """Forget index entries older than `before`; stories and articles stay. Returns rows removed.

        With `slack`, nothing happens until some entry is older than `before - slack`: removing band rows
        scans their table, so a caller that prunes on every poll should let them gather for a while.
        Lookups never see entries older than their window either way.
        """
        with self._read() as conn:
            due = conn.execute(self._oldest_before, {"before": before - slack}).first()
        if due is None:
            return 0
        old = select(STORY_SIGNATURE.c.article_id).where(STORY_SIGNATURE.c.at < before)
        with self.engine.begin() as conn:
            bands = conn.execute(delete(STORY_BAND).where(STORY_BAND.c.article_id.in_(old))).rowcount
            signatures = conn.execute(delete(STORY_SIGNATURE).where(STORY_SIGNATURE.c.at < before)).rowcount
        return int(bands or 0) + int(signatures or 0)

    def also_reported_by(self, alert_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """For each alert id: the other sources that reported its story, earliest first (absent: none)."""
        own, other = ARTICLE.alias("own"), ARTICLE.alias("other")
        first = func.min(other.c.fetched_at)
        out: dict[int, tuple[str, ...]] = {}
        with self._read() as conn:
            for chunk in chunks(list(dict.fromkeys(alert_ids)), 500):
                query = (
                    select(ALERT.c.id, other.c.source, first.label("first"))
                    .join(own, own.c.id == ALERT.c.article_id)
                    .join(other, and_(other.c.story_id == own.c.story_id, other.c.source != own.c.source))
                    .where(ALERT.c.id.in_(chunk))
                    .group_by(ALERT.c.id, other.c.source)
                    .order_by(ALERT.c.id, first, other.c.source)
                )
                for alert_id, source, _first in conn.execute(query):
                    out[alert_id] = (*out.get(alert_id, ()), source)
        return out

    def alert_stories(self, alert_ids: Sequence[int]) -> dict[int, int]:
        """For each alert id: the story its article is in."""
        out: dict[int, int] = {}
        with self._read() as conn:
            for chunk in chunks(list(dict.fromkeys(alert_ids)), 500):
                query = (
                    select(ALERT.c.id, ARTICLE.c.story_id)
                    .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
                    .where(ALERT.c.id.in_(chunk), ARTICLE.c.story_id.is_not(None))
                )
                out.update({alert_id: story_id for alert_id, story_id in conn.execute(query)})
        return out

    def stories_since(self, since: datetime, *, limit: int = 200) -> list[StorySummary]:
        """Stories with an article fetched since `since`, newest first, each with all of its articles."""
        newest = func.max(ARTICLE.c.fetched_at)
        recent = (
            select(ARTICLE.c.story_id)
            .where(ARTICLE.c.fetched_at >= since, ARTICLE.c.story_id.is_not(None))
            .group_by(ARTICLE.c.story_id)
            .order_by(newest.desc(), ARTICLE.c.story_id.desc())
            .limit(limit)
        )
        columns = (ARTICLE.c.story_id, ARTICLE.c.id, ARTICLE.c.source, ARTICLE.c.title, ARTICLE.c.url)
        with self._read() as conn:
            ids = [story_id for (story_id,) in conn.execute(recent)]
            copies: dict[int, list[StoryArticle]] = {story_id: [] for story_id in ids}
            for chunk in chunks(ids, 500):
                rows = conn.execute(
                    select(*columns, ARTICLE.c.fetched_at, ALERT.c.rule)
                    .outerjoin(ALERT, ALERT.c.article_id == ARTICLE.c.id)
                    .where(ARTICLE.c.story_id.in_(chunk))
                    .order_by(ARTICLE.c.fetched_at, ARTICLE.c.id, ALERT.c.id)
                )
                for story_id, article_id, source, title, url, at, rule in rows:
                    found = copies[story_id]
                    if found and found[-1].article_id == article_id:
                        found[-1] = StoryArticle(article_id, source, title, url, at, (*found[-1].rules, rule))
                    else:
                        found.append(
                            StoryArticle(article_id, source, title, url, at, (rule,) if rule else ())
                        )
        return [StorySummary(story_id, tuple(copies[story_id])) for story_id in ids]

    # Statements built once: building one per call cost more than running it.
    _add_signature = insert(STORY_SIGNATURE)
    _add_bands = insert(STORY_BAND)
    _add_story = insert(STORY).values(first_seen_at=bindparam("first_seen_at"))
    _placement_lock = select(func.pg_advisory_xact_lock(bindparam("key")))
    _drop_story = delete(STORY).where(STORY.c.id == bindparam("story_id"))
    _oldest_before = (
        select(STORY_SIGNATURE.c.article_id).where(STORY_SIGNATURE.c.at < bindparam("before")).limit(1)
    )
    _story_alerts = (
        select(ALERT.c.rule, ALERT.c.terms, ARTICLE.c.source)
        .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
        .where(ARTICLE.c.story_id == bindparam("story_id"))
        .order_by(ALERT.c.id)
    )
    _story_members = (
        select(ARTICLE.c.source, ALERT.c.id, ALERT.c.rule, ALERT.c.terms)
        .select_from(ARTICLE.outerjoin(ALERT, ALERT.c.article_id == ARTICLE.c.id))
        .where(ARTICLE.c.story_id == bindparam("story_id"))
        .order_by(ARTICLE.c.fetched_at, ARTICLE.c.id, ALERT.c.id)
    )


def _newest(keys: int) -> Any:
    """The article ids among the newest PER_KEY of each of `keys` band keys (k0, k1 …), one row per hit.

    Each key is one range of story_band's primary key (band, article_id), read backwards and stopped
    after PER_KEY rows, so a lookup reads at most keys x PER_KEY index rows however many articles share a
    key. (PostgreSQL does so for the keys its statistics know as common; a key that became common since
    autovacuum's last ANALYZE is read whole until the next one.)"""
    newest = [
        select(STORY_BAND.c.article_id)
        .where(STORY_BAND.c.band == bindparam(f"k{i}"))
        .order_by(STORY_BAND.c.article_id.desc())
        .limit(PER_KEY)
        .subquery()
        for i in range(keys)
    ]
    return union_all(*(select(rows.c.article_id) for rows in newest)).subquery("hits")


@cache
def _band_hits(keys: int, *, postgresql: bool) -> Any:
    """The hits of _newest as one comma-separated string (NULL for none). One statement per number of
    keys (16 band keys, up to 8 figures more)."""
    hits = _newest(keys)
    if postgresql:
        return select(func.string_agg(cast_(hits.c.article_id, Text()), ","))
    return select(func.group_concat(hits.c.article_id))


def _ranked(hits: str, limit: int) -> list[int]:
    """The article ids of comma-separated hits, most hits first and then the lowest id (as ORDER BY
    count(*) DESC, article_id), at most `limit`. Most articles are hit once: only the ids of the counts
    needed are sorted."""
    by_hits: dict[int, list[str]] = {}
    for article_id, n in Counter(hits.split(",")).items():
        by_hits.setdefault(n, []).append(article_id)
    ranked: list[int] = []
    for n in sorted(by_hits, reverse=True):
        ranked += sorted(map(int, by_hits[n]))
        if len(ranked) >= limit:
            break
    return ranked[:limit]


@cache
def _indexed_rows_of(articles: int) -> Any:
    """The index rows of `articles` articles (a0, a1 …), each with its time first."""
    columns = (STORY_SIGNATURE.c[name] for name in _CANDIDATE_COLUMNS)
    ids = STORY_SIGNATURE.c.article_id.in_([bindparam(f"a{i}") for i in range(articles)])
    return select(STORY_SIGNATURE.c.at, *columns).where(ids)


@cache
def _placed_pg(new_story: bool, indexed: bool) -> Any:
    """PostgreSQL's one statement for a new article: its story (when new), the article (unless its URL is
    stored: ON CONFLICT DO NOTHING), and with `indexed` its signature and band keys (an array, unnested),
    as data-modifying WITH queries that read the article's new id from its RETURNING. Returns (story id,
    article id or NULL) for a new story, else the article id (no row when not stored)."""
    article: dict[str, Any] = {name: bindparam(name) for name in Article.__dataclass_fields__}
    ctes = []
    if new_story:
        story = insert(STORY).values(first_seen_at=bindparam("first_seen_at")).returning(STORY.c.id).cte("s")
        ctes.append(story)
        article["story_id"] = select(story.c.id).scalar_subquery()
    else:
        article["story_id"] = bindparam("story_id")
    stored = (
        postgresql.insert(ARTICLE)
        .values(**article)
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(ARTICLE.c.id, ARTICLE.c.story_id, ARTICLE.c.source, ARTICLE.c.lang, ARTICLE.c.fetched_at)
        .cte("a")
    )
    ctes.append(stored)
    if indexed:
        sig = STORY_SIGNATURE.c
        fields = [
            bindparam(name, type_=sig[name].type) for name in ("exact", "signature", "size", "entities")
        ]
        row = select(
            stored.c.id, stored.c.story_id, stored.c.source, stored.c.lang, *fields, stored.c.fetched_at
        )
        ctes.append(insert(STORY_SIGNATURE).from_select(list(sig.keys()), row).cte("sig"))
        keys = func.unnest(bindparam("bands", type_=postgresql.ARRAY(BigInteger())))
        ctes.append(
            insert(STORY_BAND).from_select(["band", "article_id"], select(keys, stored.c.id)).cte("bands")
        )
    if new_story:
        return select(story.c.id, stored.c.id).select_from(story.outerjoin(stored, true())).add_cte(*ctes)
    return select(stored.c.id).add_cte(*ctes)


def _indexed(fp: Fingerprint) -> bool:
    """Whether an article with this fingerprint has anything to enter the near-duplicate index with."""
    return bool(fp.signature or fp.entities)


@lru_cache(maxsize=8)
def _index_keys(fp: Fingerprint) -> tuple[tuple[int, ...], list[int]]:
    """The article's band keys and figure keys, worked out once for its lookup and its index rows."""
    return fp.bands, figure_keys(fp)


def _candidate(row: tuple[Any, ...]) -> Candidate:
    """A candidate from its index row. Remembered by article: the articles of a busy story come up for most
    new articles, and the same object lets choose_story reuse what it worked out about them. The row it was
    made from must be the same (compared, not hashed: hashing the signature and names cost more than
    building the candidate), so a row that differs (an article id reused after a rollback) is built anew."""
    found = _CANDIDATES.get(row[1])
    if found is not None and found[0] == row:
        return found[1]
    story_id, article_id, source, lang, exact, signature, size, entities = row
    fp = Fingerprint(exact, bytes(signature), size, tuple(entities.split("\n")) if entities else ())
    candidate = Candidate(story_id, article_id, source, lang, fp)
    if len(_CANDIDATES) >= CANDIDATES_KEPT:
        _CANDIDATES.clear()  # a memo, not state: candidates are the same with or without it
    _CANDIDATES[article_id] = (row, candidate)
    return candidate


_CANDIDATES: dict[int, tuple[tuple[Any, ...], Candidate]] = {}
