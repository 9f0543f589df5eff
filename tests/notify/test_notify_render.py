"""Rendering: what a reader sees, golden files for whole messages, and scraped text that stays inert."""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

import pytest
import yaml
from apprise.conversion import markdown_to_html
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support.alerts import make_alert

from pantau.notify.render import (
    TITLE_LIMIT,
    Message,
    clean_text,
    escape_markdown,
    format_time,
    render_alert,
    render_digest,
    to_plain,
)

DATA = Path(__file__).parent / "data"
UPDATE = os.environ.get("PANTAU_UPDATE_GOLDEN") == "1"
JAKARTA = ZoneInfo("Asia/Jakarta")
HOSTILE_TITLE = (
    "**Breaking** _NATO_ [click](javascript:alert(1)) <script>alert('x')</script> "
    "<img src=x onerror=alert(2)> `code` AT&T &copy; | a | b | ~~gone~~ \\*"
)
# The only tags our own markdown produces; anything else in the HTML came from scraped text.
OWN_TAGS = {"p", "strong", "br", "a", "blockquote", "ul", "li"}


def _golden(name: str, message: Message) -> None:
    text = f"Title: {message.title}\nFormat: {message.format}\n\n{message.body}"
    path = DATA / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{name} is missing (PANTAU_UPDATE_GOLDEN=1 to write it, then review it)"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (PANTAU_UPDATE_GOLDEN=1 to rewrite)"


def _html_text(fragment: str) -> str:
    """The text a mail client shows for an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _digest_alerts() -> list:  # type: ignore[type-arg]
    base = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    return [
        make_alert(
            id=1,
            title="Kyiv asks partners for more air defence",
            source="kyodo",
            rule="ukraine",
            url="https://english.kyodonews.net/news/2026/11/kyiv-air-defence.html",
            published=base,
            terms=("Kyiv",),
        ),
        make_alert(
            id=2,
            title="Indonesia kirim bantuan kemanusiaan ke Ukraina",
            source="antara-id",
            rule="ukraine",
            url="https://www.antaranews.com/berita/5012345/bantuan-ukraina",
            published=base + timedelta(hours=9),
            also_reported_by=("tempo", "kompas"),
            terms=("Ukraina", "bantuan"),
        ),
        make_alert(
            id=3,
            title="Zelenskyy meets envoys in Kyiv",
            source="antara-en",
            rule="ukraine",
            url="https://en.antaranews.com/news/301234/zelenskyy-envoys",
            published=None,
            created_at=base + timedelta(hours=4),
            terms=("Zelenskyy",),
        ),
    ]


def test_golden_normal_alert() -> None:
    _golden("alert_normal.md", render_alert(make_alert(also_reported_by=("antara-en",)), JAKARTA))


def test_golden_hostile_alert() -> None:
    alert = make_alert(
        title=HOSTILE_TITLE,
        source="evil_<b>source</b>",
        url="https://example.org/a path/(x)?q=<script>&r='1'",
        snippet="Before «<b>NATO</b>» after [link](http://x) «Japan»",
    )
    _golden("alert_hostile.md", render_alert(alert, JAKARTA))


def test_golden_digest() -> None:
    _golden("digest.md", render_digest("ukraine", _digest_alerts(), JAKARTA, "daily 08:00"))


def test_alert_carries_what_the_reader_needs() -> None:
    alert = make_alert(also_reported_by=("antara-en", "tempo"))
    message = render_alert(alert, JAKARTA)
    plain = to_plain(message.body)
    for needed in (
        alert.rule,
        alert.title,
        alert.source,
        alert.url,
        "25 Nov 2026 14:05 WIB (UTC+07:00)",
        "NATO, Japan",
        "antara-en, tempo",
    ):
        assert needed in plain
    assert message.title.startswith("[nato-indo-pacific] ") and alert.title in message.title
    assert message.format == "markdown"


def test_also_reported_by_is_left_out_when_nobody_else_reported() -> None:
    assert "Also reported" not in render_alert(make_alert(also_reported_by=()), JAKARTA).body


def test_snippet_hits_become_bold_in_html() -> None:
    page = markdown_to_html(render_alert(make_alert(), JAKARTA).body)
    assert "<strong>NATO</strong>" in page and "<strong>Japan</strong>" in page
    assert "«" not in page


def test_hostile_title_cannot_add_markup() -> None:
    message = render_alert(make_alert(title=HOSTILE_TITLE, snippet=HOSTILE_TITLE), JAKARTA)
    page = markdown_to_html(message.body)
    tags = {tag.lower() for tag in re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", page)}
    assert tags <= OWN_TAGS, tags - OWN_TAGS
    assert "javascript:" not in re.findall(r'href="([^"]*)"', page)[0]
    assert clean_text(HOSTILE_TITLE) in _html_text(page)
    assert clean_text(HOSTILE_TITLE) in to_plain(message.body)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "not a url", "ftp://x/y"])
def test_only_http_links_become_links(url: str) -> None:
    page = markdown_to_html(render_alert(make_alert(url=url), JAKARTA).body)
    assert "href=" not in page
    assert clean_text(url) in _html_text(page)


@given(
    st.sampled_from(["http://", "HTTPS://", "https:", "http", "ftp://", "javascript:", " http://", ""]),
    st.text(alphabet=st.sampled_from("a.b:/[]@?# \tç%")),
)
@example("http://", "[::1]/x")  # a bracketed IPv6 host
@example("http://", "[x/y")  # a bracket that opens no host
@example("https://", "bad]host/")
def test_a_link_is_made_exactly_for_what_reads_as_an_http_url(scheme: str, rest: str) -> None:
    url = scheme + rest
    readable = clean_text(url).replace(" ", "%20")
    try:
        http = urlsplit(readable).scheme.lower() in ("http", "https")
    except ValueError:  # a URL the standard library cannot read is shown, not linked
        http = False
    page = markdown_to_html(render_alert(make_alert(url=url), JAKARTA).body)
    assert ("href=" in page) == http


def test_title_is_one_line_and_bounded() -> None:
    message = render_alert(make_alert(title="Line one\r\nBcc: victim@example.org\n" + "x" * 500), JAKARTA)
    assert "\n" not in message.title and "\r" not in message.title
    assert len(message.title) <= TITLE_LIMIT and message.title.endswith("…")


def test_missing_publication_time_says_so() -> None:
    plain = to_plain(render_alert(make_alert(published=None), JAKARTA).body)
    assert "time unknown (found 25 Nov 2026 14:20 WIB (UTC+07:00))" in plain


def test_digest_lists_each_story_newest_first() -> None:
    alerts = _digest_alerts()
    message = render_digest("ukraine", alerts, JAKARTA, "daily 08:00")
    plain = to_plain(message.body)
    positions = [plain.index(a.title) for a in alerts]
    # published 10:00 (id 2), then found 05:00 without a date (id 3), then published 01:00 (id 1)
    assert positions[1] < positions[2] < positions[0]
    assert "ukraine" in message.title and "daily 08:00" in message.title and "3 articles" in message.title
    for alert in alerts:
        assert alert.url in plain and alert.source in plain
    assert "also: tempo, kompas" in plain


def test_empty_digest_still_reads_sensibly() -> None:
    message = render_digest("ukraine", [], JAKARTA, "daily 08:00")
    assert "0 articles" in message.title and "Nothing new." in message.body


CASES = yaml.safe_load((Path(__file__).parent / "render_cases.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_time_in_the_users_zone(case: dict[str, str]) -> None:
    assert format_time(datetime.fromisoformat(case["utc"]), ZoneInfo(case["zone"])) == case["expected"]


def _strftime_reading(when: datetime, tz: ZoneInfo) -> str:
    """format_time as the standard library's strftime spells it (the offset cut to hours and minutes)."""
    local = when.astimezone(tz)
    offset = local.strftime("%z")
    offset_text = f"UTC{offset[:3]}:{offset[3:5]}" if offset not in ("", "+0000") else "UTC"
    abbrev = local.strftime("%Z")
    name = f"{abbrev} ({offset_text})" if abbrev and abbrev[0].isalpha() and abbrev != "UTC" else offset_text
    return local.strftime("%-d %b %Y %H:%M ") + name


ZONES = sorted(available_timezones())


@given(
    st.datetimes(min_value=datetime(1850, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
)
@settings(deadline=None)  # loading a zone's file the first time takes a while on a busy machine
def test_time_reads_as_strftime_would_write_it_in_every_zone(when: datetime, zone: str) -> None:
    assert format_time(when, ZoneInfo(zone)) == _strftime_reading(when, ZoneInfo(zone))


@given(st.text())
@example("&copy; &#60;b&#62; <b>x</b> AT&T")
@example("[x](javascript:alert(1)) ![i](http://x/i.png) <http://x> `c` **b** __u__ ~~s~~ | a | b |")
def test_escaped_text_renders_as_itself(text: str) -> None:
    page = markdown_to_html(f"Title: {escape_markdown(text)}")
    assert _html_text(page) == " ".join(f"Title: {clean_text(text)}".split())
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", page)) <= {"p"}


@given(st.text(), st.text(alphabet=st.characters(exclude_characters="«»")), st.text())
@example(before="#", hit="", after="")  # a quote line must not turn into a heading
@example(before="1984.", hit="NATO", after="")  # nor into a numbered list
@example(before="- ", hit="*", after="_")
def test_snippet_marks_only_the_hit(before: str, hit: str, after: str) -> None:
    snippet = f"{before.replace('«', '')} «{hit}» {after.replace('«', '')}"
    message = render_alert(make_alert(snippet=snippet, title="t"), JAKARTA)
    page = markdown_to_html(message.body)
    quote = page[page.index("<blockquote>") :]
    if clean_text(hit):
        assert f"<strong>{html.escape(clean_text(hit), quote=False)}</strong>" in quote
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", quote)) <= OWN_TAGS
