"""Title, times, author, language, canonical URL and image of a parsed page.

Sources in order of trust: JSON-LD (schema.org Article types), then OpenGraph / article:* / other <meta>, then
the visible page (<h1>, <time>, bylines, <title>). Reads the tree and never changes it; never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pantau.extract.dates import parse_date
from pantau.extract.language import guess_lang

_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
     "backgroundnewsarticle", "blogposting", "liveblogposting", "report", "scholarlyarticle", "techarticle",
     "socialmediaposting", "webpage", "creativework"}
)  # fmt: skip
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datePublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "date", "dc.date", "dc.date.issued", "dcterms.created", "parsely-pub-date",
    "sailthru.date", "content_publishdate", "article_date_original", "cXenseParse:recs:publishtime",
)  # fmt: skip
# Elements that show the publication date as text, by the class names CMSes give them (en, id).
_DATE_ELEMENTS = (
    "time, .date, .time, .tanggal, .waktu, .published, .post-date, .entry-date, .article-date, .timestamp, "
    ".pubdate, .date-time, .datetime, .dateline, .article__date, .detail__date, .meta-date"
)
_UPDATED_META = (
    "article:modified_time",
    "og:updated_time",
    "dateModified",
    "last-modified",
    "dcterms.modified",
)
_AUTHOR_META = (
    "author",
    "article:author",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
    "content_author",
)
_BYLINE = re.compile(
    r"^\s*(?:by|oleh|penulis|reporter|editor|writer|written by|文|記者)(?:\s*[:：]\s*|\s+)", re.IGNORECASE
)
# What follows the name in a byline: a job title, a handle, a date, a reading time.
_BYLINE_TAIL = re.compile(
    r"\s+[/|•·]\s+|\s+@\w|\s+(?:\d{1,2}[/.-]\d|\d{4}\b|(?:jan|feb|mar|apr|may|mei|jun|jul|aug|agu|sep|oct|okt|nov|"
    r"dec|des)[a-z]*\.?\s+\d)",
    re.IGNORECASE,
)
_EARLIEST_YEAR = 1990
_SITE_NAME_SEPARATOR = re.compile(r"\s+[|\-–—»:]\s+")
_LANG_SUBTAG = re.compile(r"[-_]")
_LANG_CODE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Metadata:
    title: str | None
    published: datetime | None
    updated: datetime | None
    author: str | None
    lang: str | None
    canonical_url: str | None
    image: str | None


def read_metadata(tree: LexborHTMLParser, url: str, fetched_at: datetime | None = None) -> Metadata:
    """Everything but the body. Times are aware UTC; a time without a zone uses the page language's zone,
    declared or guessed from the text; relative times ("2 jam lalu") count back from `fetched_at`."""
    meta = _meta_map(tree)
    ld = _json_ld_article(tree)
    lang = _declared_lang(tree, meta, ld)
    if lang is None and tree.body is not None:
        lang = guess_lang(tree.body.text(deep=True, separator=" "))
    return Metadata(
        title=_title(tree, meta, ld),
        published=_first_date(
            chain([_ld_str(ld, "datePublished")], _metas(meta, _PUBLISHED_META), _page_dates(tree)),
            lang,
            fetched_at,
        ),
        updated=_first_date([_ld_str(ld, "dateModified"), *_metas(meta, _UPDATED_META)], lang, fetched_at),
        author=_author(tree, meta, ld),
        lang=lang,
        canonical_url=_canonical(tree, meta, url),
        image=_image(meta, ld, url),
    )


def _meta_map(tree: LexborHTMLParser) -> dict[str, str]:
    found: dict[str, str] = {}
    # <meta> belongs in <head>, and searching only there spares a walk over the whole body; pages that keep
    # their dates, authors or images in body <meta> (microdata, misplaced tags) get the full search.
    if tree.head is not None:
        _read_metas(tree.head, found)
    if tree.root is not None and (
        tree.head is None
        or not any(key.lower() in found for key in _PUBLISHED_META)
        or "og:image" not in found
    ):
        _read_metas(tree.root, found)
    return found


def _read_metas(scope: LexborNode, found: dict[str, str]) -> None:
    for node in scope.css("meta[content]"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
        content = (attrs.get("content") or "").strip()
        if key and content:
            found.setdefault(key.strip().lower(), content)


def _metas(meta: dict[str, str], keys: tuple[str, ...]) -> list[str | None]:
    return [meta.get(key.lower()) for key in keys]


def _json_ld_article(tree: LexborHTMLParser) -> dict[str, Any]:
    """The first schema.org article-like object in the page's JSON-LD; a bare WebPage only as a last resort."""
    fallback: dict[str, Any] = {}
    for script in tree.css("script[type='application/ld+json' i]"):
        try:
            data = json.loads(script.text(deep=True).strip() or "null", strict=False)
        except (ValueError, RecursionError):
            continue
        for item in _ld_items(data, 0):
            types = item.get("@type")
            names = {str(t).lower() for t in (types if isinstance(types, list) else [types])}
            if names & _ARTICLE_TYPES - {"webpage", "creativework"}:
                return item
            if names & _ARTICLE_TYPES and not fallback:
                fallback = item
    return fallback


def _ld_items(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for entry in data:
            yield from _ld_items(entry, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in data:
                yield from _ld_items(data[key], depth + 1)


def _ld_str(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or value.get("@id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _title(tree: LexborHTMLParser, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    for candidate in (_ld_str(ld, "headline"), meta.get("og:title"), meta.get("twitter:title")):
        cleaned = _text(candidate)
        if cleaned:
            return cleaned
    h1 = tree.css_first("h1")
    cleaned = _text(h1.text(deep=True)) if h1 else None
    if cleaned:
        return cleaned
    page_title = tree.css_first("title")
    return _text(_strip_site_name(page_title.text(deep=True))) if page_title else None


def _strip_site_name(title: str) -> str:
    parts = _SITE_NAME_SEPARATOR.split(title.strip())
    return max(parts, key=len) if len(parts) > 1 else title


def _page_dates(tree: LexborHTMLParser) -> Iterator[str | None]:
    """Dates shown on the page, machine-readable ones first; only read when the metadata has none."""
    for node in tree.css("[itemprop=datePublished], time[datetime], time[pubdate]")[:3]:
        attrs = node.attributes
        yield attrs.get("datetime") or attrs.get("content") or node.text(deep=True)
    for node in tree.css(_DATE_ELEMENTS)[:6]:
        yield node.text(deep=True)[:200]


def _first_date(
    candidates: Iterable[str | None], lang: str | None, fetched_at: datetime | None
) -> datetime | None:
    for candidate in candidates:
        parsed = parse_date(candidate, lang, fetched_at)
        # CMS placeholders ("0001-01-01T00:00:00") are no publication time; look further.
        if parsed is not None and parsed.year >= _EARLIEST_YEAR:
            return parsed
    return None


def _author(tree: LexborHTMLParser, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    names = [name for name in map(_clean_author, _ld_names(ld.get("author"))) if name]
    if names:
        return ", ".join(names)
    for key in _AUTHOR_META:
        value = _clean_author(meta.get(key))
        if value and not value.startswith(("http://", "https://")):
            return value
    for node in tree.css("[rel=author], [itemprop=author], .author, .byline, .penulis, .reporter")[:3]:
        value = _clean_author(node.text(deep=True))
        if value and len(value) < 100:
            return value
    return None


def _clean_author(value: str | None) -> str | None:
    """The name(s) in a byline: "By KENJI SATO / Staff Writer" -> "KENJI SATO", "Bryan DeArdo @BryanDeArdo
    Nov 18, 2019 at 9:24 pm ET" -> "Bryan DeArdo"."""
    text = _text(value)
    if text is None:
        return None
    text = _BYLINE.sub("", text)
    text = _BYLINE_TAIL.split(text, maxsplit=1)[0]
    return _text(text.strip(" ,;:-–—"))


def _ld_names(value: Any) -> list[str]:
    entries = value if isinstance(value, list) else [value]
    names: list[str] = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else entry
        cleaned = _text(name) if isinstance(name, str) else None
        if cleaned and not cleaned.startswith(("http://", "https://")) and cleaned not in names:
            names.append(cleaned)
    return names


def _declared_lang(tree: LexborHTMLParser, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    html = tree.css_first("html")
    for candidate in (
        html.attributes.get("lang") if html else None,
        html.attributes.get("xml:lang") if html else None,
        meta.get("og:locale"),
        _ld_str(ld, "inLanguage"),
        meta.get("content-language"),
        meta.get("language"),
    ):
        code = _lang_code(candidate)
        if code:
            return code
    return None


def _lang_code(value: str | None) -> str | None:
    if not value:
        return None
    code = _LANG_SUBTAG.split(value.strip().lower(), maxsplit=1)[0]
    # "in" is the withdrawn ISO 639 code for Indonesian that some CMSes still emit.
    code = {"in": "id", "jp": "ja"}.get(code, code)
    return code if _LANG_CODE.fullmatch(code) else None


def _canonical(tree: LexborHTMLParser, meta: dict[str, str], url: str) -> str | None:
    link = tree.css_first("link[rel=canonical i][href]")
    for candidate in ((link.attributes.get("href") if link else None), meta.get("og:url")):
        absolute = _absolute(candidate, url)
        if absolute:
            return absolute
    return None


def _image(meta: dict[str, str], ld: dict[str, Any], url: str) -> str | None:
    for candidate in (
        meta.get("og:image"),
        meta.get("og:image:url"),
        _ld_str(ld, "image"),
        meta.get("twitter:image"),
    ):
        absolute = _absolute(candidate, url)
        if absolute:
            return absolute
    return None


def _absolute(candidate: str | None, base: str) -> str | None:
    if not candidate or not candidate.strip():
        return None
    try:
        absolute = urljoin(base, candidate.strip())
    except ValueError:
        return None
    return absolute if absolute.startswith(("http://", "https://")) else None
