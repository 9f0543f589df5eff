"""pantau.redact on its own: URLs and free text lose passwords, tokens and keys, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pantau.redact import redact_text, redact_url, secrets_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.test/feed?api_key=K3y9&lang=en", "https://x.test/feed?api_key=***&lang=en"),
        ("https://x.test/feed?apikey=K3y9", "https://x.test/feed?apikey=***"),
        ("https://x.test/feed?key=K3y9", "https://x.test/feed?key=***"),
        ("https://x.test/rss?access_token=T0k&page=2", "https://x.test/rss?access_token=***&page=2"),
        ("https://x.test/rss?sig=abc123&expires=9", "https://x.test/rss?sig=***&expires=9"),
        ("https://x.test/rss?auth=abc123", "https://x.test/rss?auth=***"),
        ("https://x.test/rss?password=hunter22&secret=s3", "https://x.test/rss?password=***&secret=***"),
        ("https://reader:hunter22@x.test/feed", "https://reader:***@x.test/feed"),
        ("https://x.test/news?id=42&page=2", "https://x.test/news?id=42&page=2"),
        ("https://x.test:8443/news/2026/11/story.html", "https://x.test:8443/news/2026/11/story.html"),
        (
            "mailtos://alerts:pw9x@smtp.example.org:587x?to=d@example.org",
            "mailtos://alerts:***@smtp.example.org:587x?to=d@example.org",
        ),
        ("ntfys://tk_abcdefghijk@ntfy.sh/topic", "ntfys://***@ntfy.sh/topic"),
        ("gotify://push.example.org/AbCdEfGhIjK", "gotify://push.example.org/***"),
        ("stdout://", "stdout://"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "fetch: HTTP 500 for https://x.test/feed?api_key=K3y9.",
            "fetch: HTTP 500 for https://x.test/feed?api_key=***.",
        ),
        (
            "fetch: cannot connect to http://x.test/rss?token=abc123 (connection refused)",
            "fetch: cannot connect to http://x.test/rss?token=*** (connection refused)",
        ),
        (
            "discover: no links on 'https://x.test/?key=k9k9'",
            "discover: no links on 'https://x.test/?key=***'",
        ),
        ("nothing secret here: https://x.test/a?b=c", "nothing secret here: https://x.test/a?b=c"),
    ],
)
def test_redact_text_redacts_every_url_in_it(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_known_secrets_are_hidden_as_written_and_percent_encoded() -> None:
    assert redact_text("login as x with p@ss/w0rd, sent p%40ss%2Fw0rd", {"p@ss/w0rd"}) == (
        "login as x with ***, sent ***"
    )


def test_pieces_of_a_misread_password_are_secrets_too() -> None:
    # apprise reads json://hook:p@ss/SECRETPART@host as host "ss" and logs "http://ss/SECRETPART@host".
    assert "SECRETPART9" in secrets_of("json://hook:p@ss/SECRETPART9@127.0.0.1:8080/hook")


NAMES = st.sampled_from(
    ["api_key", "apikey", "key", "token", "access_token", "password", "secret", "sig", "auth"]
)
VALUES = st.text(
    alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.~", min_size=4, max_size=40
)


@given(NAMES, VALUES, st.sampled_from(["", "lang=en&", "page=2&"]))
def test_a_secret_query_value_never_survives_in_a_message(name: str, value: str, before: str) -> None:
    value = "Zq" + value  # a prefix nothing else in the message contains
    url = f"https://feeds.example.org/news.xml?{before}{name}={value}"
    shown = redact_text(f"fetch: HTTP 503 for {url}; giving up")
    assert value not in shown and f"{name}=***" in shown
