"""Score pantau's article extraction against trafilatura on the AEB benchmark, in one run.

Usage: python benchmarks/extraction.py [--only pantau] [--worst N]
Reads ../shared/benchmarks/aeb (override with PANTAU_AEB_DIR) in place. Metric (the issue's): `\\w+` tokens,
4-token shingles counted with multiplicity; per page TP/FP/FN; precision and recall averaged over pages where
defined; F1 is their harmonic mean. pages/s includes decoding and parsing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pantau.errors import ExtractError  # noqa: E402
from pantau.extract import decode_html, extract_article  # noqa: E402

AEB_DIR = Path(
    os.environ.get("PANTAU_AEB_DIR") or Path(__file__).resolve().parents[1].parent / "shared/benchmarks/aeb"
)
_TOKEN = re.compile(r"\w+")


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def page_scores(predicted: str, truth: str) -> tuple[float | None, float | None]:
    pred, true = shingles(predicted), shingles(truth)
    tp = sum((pred & true).values())
    fp = sum(pred.values()) - tp
    fn = sum(true.values()) - tp
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


def load() -> list[tuple[str, str, str, str]]:
    truth = json.loads((AEB_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, entry in sorted(truth.items()):
        raw = gzip.decompress((AEB_DIR / "html" / f"{key}.html.gz").read_bytes())
        pages.append((key, entry["url"], decode_html(raw, None), entry["articleBody"]))
    return pages


def run_pantau(html: str, url: str) -> str:
    try:
        return extract_article(html, url).body
    except ExtractError:
        return ""


def run_trafilatura(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def score(
    name: str, extract: Callable[[str, str], str], pages: list[tuple[str, str, str, str]]
) -> list[tuple]:
    results = []
    started = time.perf_counter()
    outputs = [extract(html, url) for _, url, html, _ in pages]
    elapsed = time.perf_counter() - started
    precisions, recalls = [], []
    for (key, _, _, truth), output in zip(pages, outputs, strict=True):
        p, r = page_scores(output, truth)
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
        results.append((key, p, r))
    precision = sum(precisions) / len(precisions)
    recall = sum(recalls) / len(recalls)
    f1 = 2 * precision * recall / (precision + recall)
    print(
        f"{name:12} F1 {f1:.4f}  precision {precision:.4f}  recall {recall:.4f}  {len(pages) / elapsed:7.1f} pages/s"
    )
    return [(name, len(pages) / elapsed, f1), *results]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["pantau", "trafilatura"])
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where pantau scores worst")
    args = parser.parse_args()
    pages = load()
    print(f"{len(pages)} pages from {AEB_DIR}")
    ours = theirs = None
    if args.only in (None, "pantau"):
        run_pantau(pages[0][2], pages[0][1])  # warm imports and caches
        ours = score("pantau", run_pantau, pages)
    if args.only in (None, "trafilatura"):
        run_trafilatura(pages[0][2], pages[0][1])
        theirs = score("trafilatura", run_trafilatura, pages)
    if ours and theirs:
        print(
            f"speed ratio pantau/trafilatura: {ours[0][1] / theirs[0][1]:.1f}x; F1 difference {ours[0][2] - theirs[0][2]:+.4f}"
        )
    if ours and args.worst:
        rows = sorted(ours[1:], key=lambda row: (row[1] or 0) + (row[2] or 0))
        for key, p, r in rows[: args.worst]:
            print(
                f"  {key[:16]}  precision {p if p is None else round(p, 3)}  recall {r if r is None else round(r, 3)}"
            )


if __name__ == "__main__":
    main()
