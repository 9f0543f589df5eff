"""Layout wrappers whose class names contain furniture words ("sidebar", "widget", "ad", "tag-<topic>") still
hold the article: it must come out whole, while a real comment box next to it stays out."""

from __future__ import annotations

import pytest

from pantau.extract import extract_article

PARAGRAPHS = [
    "Menteri Luar Negeri Jepang tiba di Jakarta untuk membahas kerja sama maritim dan energi bersih.",
    "Kedua menteri sepakat mempercepat perundingan soal pelatihan penjaga pantai dan hibah kapal patroli.",
    "Pertemuan berikutnya dijadwalkan berlangsung di Tokyo pada akhir tahun, kata juru bicara kementerian.",
]


@pytest.mark.parametrize(
    "wrapper_class",
    [
        "l-sidebar-fixed l-article-body-segment",
        "content-with-sidebar-wrp",
        "widget Blog",
        "commentary sidebar-layout",
        "article tag-nato",
        "post type-post status-publish hentry tag-nato tag-ukraina",
        "entry-content entry-content-read-more",
        "non-ad-column",
        "shared-content",
        "box article modal-enabled",
        # issue 16: modifiers say what an element has, custom WordPress taxonomies name the post's topics
        "no-share post-96709 post type-post status-publish hentry",
        "post type-post status-publish hentry topics-umwelt custom_tags-werbung sdg-klimaschutz",
        "article container container--wide has-recommendations",
    ],
)
def test_article_inside_a_furniture_sounding_wrapper_is_kept(wrapper_class: str) -> None:
    article = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    page = (
        f'<html><body><nav><a href="/">Beranda</a> <a href="/nato">NATO</a></nav><div class="{wrapper_class}">'
        f'<h1>Menlu Jepang ke Jakarta</h1>{article}</div><div class="comments-area"><p>Komentar pembaca: NATO '
        "jangan masuk Asia, kata saya, dan saya ulangi lagi di sini.</p></div></body></html>"
    )
    body = extract_article(page, "https://kabarnusa.example/b/4").body
    assert body.split("\n\n") == PARAGRAPHS


def test_embedded_post_quoted_by_the_article_is_kept_but_share_bar_is_not() -> None:
    article = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    tweet = (
        '<div class="social-media-embed"><blockquote class="twitter-tweet"><p>Kami menyambut Jepang sebagai '
        "mitra penting di kawasan ini, tulis juru bicara kementerian.</p></blockquote></div>"
    )
    page = (
        f"<html><body><article><h1>Menlu Jepang ke Jakarta</h1>{article}{tweet}"
        '<div class="social-share"><a href="#">Bagikan ke X</a> Bagikan berita NATO ini ke teman anda sekarang juga'
        "</div></article></body></html>"
    )
    body = extract_article(page, "https://kabarnusa.example/b/5").body
    assert "Kami menyambut Jepang sebagai mitra penting" in body
    assert "NATO" not in body


def test_a_page_kept_whole_in_noscript_is_read() -> None:
    article = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    page = (
        "<html><body><script>document.write('app')</script><noscript><div id='isi'><h1>Menlu Jepang ke Jakarta"
        f"</h1>{article}</div></noscript><noscript><img src='/pixel.gif'></noscript></body></html>"
    )
    assert extract_article(page, "https://kabarnusa.example/b/5").body.split("\n\n") == PARAGRAPHS


def test_a_post_shipped_as_template_markup_is_read_but_json_and_placeholders_are_not() -> None:
    article = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    page = (
        "<html><body><div class='post-body'><script type='text/template'>"
        f"{article}</script></div><script type='text/template'>{{{{#items}}}}<p>{{{{title}}}} NATO</p>"
        '</script><script type="text/template">{"html": "<p>NATO</p>"}</script></body></html>'
    )
    body = extract_article(page, "https://kabarnusa.example/b/6").body
    assert body.split("\n\n") == PARAGRAPHS
