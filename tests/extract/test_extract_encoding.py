"""decode_html: the header's charset, a BOM, <meta charset>, then UTF-8 with a cp1252 fallback; never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pantau.extract import decode_html

TEXT = "Menlu: “NATO” dan Jepang — café"


@pytest.mark.parametrize(
    ("body", "charset", "want"),
    [
        pytest.param(TEXT.encode("utf-8"), "utf-8", TEXT, id="header-utf8"),
        pytest.param(TEXT.encode("cp1252"), "windows-1252", TEXT, id="header-cp1252"),
        # Browsers read "iso-8859-1" as windows-1252, so curly quotes in 0x80-0x9F survive.
        pytest.param(TEXT.encode("cp1252"), "ISO-8859-1", TEXT, id="latin1-label-means-cp1252"),
        pytest.param(TEXT.encode("utf-8"), "no-such-charset", TEXT, id="unknown-label-ignored"),
        pytest.param(TEXT.encode("utf-8"), "base64", TEXT, id="non-text-codec-ignored"),
        pytest.param(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), None, TEXT, id="utf8-bom"),
        pytest.param(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "iso-8859-1", TEXT, id="bom-beats-header"),
        pytest.param(b"\xff\xfe" + TEXT.encode("utf-16-le"), None, TEXT, id="utf16-bom"),
        pytest.param(TEXT.encode("cp1252"), None, TEXT, id="undeclared-cp1252-falls-back"),
        pytest.param(
            b'<meta charset="shift_jis"><p>' + "日本と韓国".encode("shift_jis"),
            None,
            '<meta charset="shift_jis"><p>日本と韓国',
            id="meta-charset",
        ),
        pytest.param(
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>\x93NATO\x94',
            None,
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>“NATO”',
            id="meta-http-equiv",
        ),
        pytest.param(
            b'<meta charset="utf-16"><p>plain',
            None,
            '<meta charset="utf-16"><p>plain',
            id="meta-utf16-is-utf8",
        ),
        pytest.param(b"\x81\x8d", "windows-1252", "\x81\x8d", id="cp1252-holes-as-latin1"),
    ],
)
def test_decode_html(body: bytes, charset: str | None, want: str) -> None:
    assert decode_html(body, charset) == want


def test_utf8_cut_by_the_size_cap_stays_utf8() -> None:
    body = ("Jepang " * 50 + "日本").encode("utf-8")[:-1]
    assert decode_html(body, None).startswith("Jepang Jepang")
    assert decode_html(body, None).endswith("日\ufffd")


def test_a_stray_byte_in_a_utf8_page_does_not_turn_it_into_mojibake() -> None:
    body = ("Ukraina — perang " * 40).encode("utf-8") + b"\xff" + "— selesai".encode()
    decoded = decode_html(body, None)
    assert "— selesai" in decoded
    assert "\ufffd" in decoded


@given(st.binary(max_size=2000), st.one_of(st.none(), st.text(max_size=20)))
def test_never_raises(body: bytes, charset: str | None) -> None:
    assert isinstance(decode_html(body, charset), str)


@given(st.text(max_size=500))
def test_utf8_round_trips(text: str) -> None:
    assert decode_html(text.encode("utf-8"), None).lstrip("\ufeff") == text.lstrip("\ufeff")
