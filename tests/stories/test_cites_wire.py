"""cites_wire: does an article say it is a rewrite of a wire story? (gates the cross-language link)"""

from __future__ import annotations

import pytest

from pantau.dedupe import cites_wire

FILLER = "Pemerintah membahas anggaran pertahanan dengan parlemen pada pekan ini. " * 30

CASES = [
    ("melansir", "Tokyo - Jepang menambah bantuan untuk Ukraina, melansir Kyodo News, Rabu.", True),
    ("dikutip-dari", "Angka itu naik 12 persen, dikutip dari Reuters pada Senin.", True),
    ("menurut-kantor-berita", "Menurut kantor berita Yonhap, latihan digelar pekan depan.", True),
    ("seperti-dilaporkan", "Seperti dilaporkan AFP, kapal itu tiba di pelabuhan.", True),
    ("at-the-end", FILLER + "Sumber berita ini dikutip dari Kyodonews.", True),
    ("wire-named-without-citing", "Wartawan Reuters ditahan di perbatasan selama dua hari.", False),
    ("citing-an-official", "Menurut menteri luar negeri, pertemuan berlangsung di Jakarta.", False),
    ("ap-inside-words", "Tahap apa yang akan diambil menurut rencana kerja baru?", False),
    ("mid-article-only", FILLER + "Menurut laporan Reuters, angka itu naik. " + FILLER, False),
]


@pytest.mark.parametrize(("text", "cited"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cites_wire(text: str, cited: bool) -> None:
    assert cites_wire(text) is cited
