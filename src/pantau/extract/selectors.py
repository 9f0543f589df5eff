"""selector_error: is a per-source CSS selector usable? Light on purpose: config loads it, not the extractor."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

_PROBE = "<html><body><p>probe</p></body></html>"


def selector_error(selector: str) -> str | None:
    """Why Lexbor cannot use this CSS selector, or None when it can: for config validation at load time."""
    if not selector.strip():
        return "empty CSS selector"
    try:
        LexborHTMLParser(_PROBE).css(selector)
    except SelectolaxError as err:
        return f"bad CSS selector {selector!r}: {err}"
    return None
