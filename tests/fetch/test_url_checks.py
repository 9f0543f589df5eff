"""Fetcher's verdict on a URL is worked out once per host: every URL must still get the verdict (and the
message) that reading the whole URL gives, whatever URLs came before it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from hypothesis import assume, example, given
from hypothesis import strategies as st

from pantau.errors import FetchError
from pantau.fetch import _check_url, _checked_url, _is_robots_txt

# Pieces that urlsplit and the host checks treat specially: tabs and line breaks (removed anywhere),
# leading spaces and controls, brackets, ports, userinfo, empty and overlong labels, non-ASCII names.
_schemes = st.sampled_from(
    ["http", "HTTP", "https", "hTTps", "ftp", "", "h\tttp", " http", "\x00http", "ht-tp"]
)
_separators = st.sampled_from(["://", ":/", ":", "//", ":\t//", ":/\n/"])
_hosts = st.sampled_from(
    [
        "example.org", "EXAMPLE.org", "127.0.0.5", "[::1]", "[::1", "::1]", "news..example.org",
        "a" * 64 + ".org", "berïta.contoh.id", "berïta..contoh.id", "exa\tmple.org", "exa mple.org", "",
        "xn--brta-mqa.id", "example.org.", "\u2100.org",
    ]
)  # fmt: skip
_ports = st.sampled_from(["", ":80", ":8080", ":99999", ":x", ":", ":\t81"])
_users = st.sampled_from(["", "user@", "user:pw@", "a@b@", "us/er@"])
_rests = st.lists(
    st.sampled_from(
        ["/", "/robots.txt", "/robots\t.txt", "?", "#", "/a", "?x=/robots.txt", "\t", "\n", "ï", " "]
    ),
    max_size=4,
).map("".join)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    parts = [draw(_schemes), draw(_separators), draw(_users), draw(_hosts), draw(_ports), draw(_rests)]
    return "".join(parts)


def _verdict(check: Callable[[str], tuple[str, str]], url: str) -> tuple[str, str] | str:
    try:
        return check(url)
    except FetchError as exc:
        return str(exc)


@given(st.lists(_urls(), min_size=1, max_size=6))
@example(["http://example.org/a", "http://example.org:99999/a", "http://example.org/b"])
@example(["http://exa\tmple.org/a", "http://exa/a"])
def test_a_url_gets_the_verdict_of_reading_it_whole(urls: list[str]) -> None:
    for url in urls:  # earlier URLs of the same host must not decide for a later one
        assert _verdict(_check_url, url) == _verdict(_checked_url, url)


@given(_urls())
@example("http://example.org/robots\t.txt")
@example(" http://example.org/robots.txt")
def test_robots_txt_is_recognised_as_urlsplit_reads_the_path(url: str) -> None:
    try:
        path = urlsplit(url).path
    except ValueError:
        path = None  # _is_robots_txt is asked only of URLs that _check_url let through, which urlsplit reads
    assume(path is not None)
    assert _is_robots_txt(url) == (path == "/robots.txt")
