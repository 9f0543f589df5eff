"""Lines inside the article container that are furniture ("Baca juga", ad labels, plugs, bare datelines) are
dropped, and article sentences that merely start like them are kept (line_cases.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pantau.extract import extract_article, hints

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "line_cases.yaml").read_text("utf-8"))
PAGE = """<html><body><article>
<p>Menteri Pertahanan Jepang bertemu mitranya dari Australia di Darwin, membahas latihan bersama tahun depan.</p>
<p>{line}</p>
<p>Kedua menteri juga membahas pengadaan kapal selam dan kerja sama industri pertahanan, kata juru bicara.</p>
</article></body></html>"""


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_line(case: dict[str, Any]) -> None:
    paragraphs = extract_article(PAGE.format(line=case["line"]), "https://kabarnusa.example/b/1").body.split(
        "\n\n"
    )
    assert paragraphs[0].startswith("Menteri Pertahanan Jepang")
    assert paragraphs[-1].startswith("Kedua menteri")
    assert (case["line"] not in paragraphs) is case["drop"]


@pytest.mark.parametrize(
    "heading", ["Komentar", "3 Komentar", "Tanggapan (2)", "Comments", "Leave a Reply", "コメント"]
)
def test_comment_thread_without_class_names_is_left_out(heading: str) -> None:
    page = PAGE.replace(
        "</article>",
        f"<h3>{heading}</h3><div><b>warga62</b><p>NATO harus keluar dari Asia, saya tidak setuju dengan "
        "kerja sama ini sama sekali.</p></div></article>",
    ).format(line="Latihan dijadwalkan pada bulan September di perairan utara Australia.")
    body = extract_article(page, "https://kabarnusa.example/b/2").body
    assert "Kedua menteri" in body
    assert "NATO" not in body


_CREDIT_BITS = st.sampled_from(
    [
        *(
            "Getty Images",
            "getty",
            "IMAGES",
            "Shutterstock",
            "imago",
            "AP Photo",
            "ap",
            "photo",
            "Associated",
        ),
        *("Press", "REUTERS", "AFP", "dpa", "EPA", "picture alliance", "Contributed", "reporting", "to this"),
        *("report", "from", "Jakarta", " ", "  ", "/", ".", "-", "x", "é", "_", "1"),
    ]
)
_CREDITS = st.sampled_from(
    [
        *("Getty Images", "shutterstock", "IMAGO images", "AP Photo", "Associated Press", "Reuters", "AFP"),
        *("dpa", "EPA", "Picture Alliance", "contributed reporting", "Contributed to this report from Bali"),
        *(
            "\u017fhutter\u017ftock",
            "Getty \u0130mages",
            "\u212aeuters",
            "pıcture allıance",
            "Associated Pre\u017f\u017f",
        ),
    ]
)


@given(
    st.lists(st.one_of(_CREDIT_BITS, st.text(max_size=2)), max_size=6),
    _CREDITS,
    st.sampled_from(["", ".", " )"]),
)
def test_the_quick_credit_test_never_rules_out_a_credit(bits: list[str], credit: str, end: str) -> None:
    for text in ("".join(bits), "".join(bits) + credit + end):
        assert hints.may_be_credit(text) or hints._CREDIT.search(text) is None
