"""Property: whatever its size or place, text in a comment thread, a related-links box or a share bar never
reaches the body, and the article around it is kept whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.extract import extract_article

SENTENCES = [
    "Menteri Pertahanan Jepang bertemu mitranya dari Australia di Darwin pada hari Senin.",
    "Kedua negara sepakat memperluas latihan bersama, termasuk patroli udara dan laut.",
    "Juru bicara kementerian mengatakan rencana itu masih menunggu persetujuan parlemen.",
    "Pengamat menilai kerja sama tersebut sebagai respons atas situasi keamanan kawasan.",
    "Latihan berikutnya dijadwalkan berlangsung di perairan utara Australia pada September.",
]
BOX_CLASSES = [
    "komentar",
    "comments-area",
    "berita-terkait",
    "related-posts",
    "share-bar",
    "baca-juga",
    "tags",
]
MARKER = "NATO menyerukan sekutu di Asia untuk bersiap, kata seorang pembaca yang marah."


@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=8),
    box_at=st.integers(min_value=0, max_value=8),
    box_class=st.sampled_from(BOX_CLASSES),
    box_size=st.integers(min_value=1, max_value=40),
    inside_article=st.booleans(),
)
def test_boxed_furniture_never_reaches_the_body(
    paragraphs: list[str], box_at: int, box_class: str, box_size: int, inside_article: bool
) -> None:
    box = f'<div class="{box_class}">' + f"<p>{MARKER}</p>" * box_size + "</div>"
    blocks = [f"<p>{text}</p>" for text in paragraphs]
    if inside_article:
        blocks.insert(min(box_at, len(blocks)), box)
        page = "<html><body><article>" + "".join(blocks) + "</article></body></html>"
    else:
        page = "<html><body><article>" + "".join(blocks) + "</article>" + box + "</body></html>"
    body = extract_article(page, "https://kabarnusa.example/b/3").body
    assert "NATO" not in body
    assert body.split("\n\n") == paragraphs
