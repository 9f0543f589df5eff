"""Score pantau's article extraction against trafilatura on the AEB benchmark, in one run.

Usage: python benchmarks/extraction.py [--only pantau|trafilatura] [--rounds N] [--worst N] [--check]
Reads ../shared/benchmarks/aeb (override with PANTAU_AEB_DIR) in place. Metric (the issue's): `\\w+` tokens,
4-token shingles counted with multiplicity; per page TP/FP/FN; precision and recall averaged over pages where
defined; F1 is their harmonic mean. pages/s includes parsing (both get the same decoded text).
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

from pantau.errors import ExtractError
from pantau.extract import decode_html, extract_article

AEB_DIR = Path(
    os.environ.get("PANTAU_AEB_DIR") or Path(__file__).resolve().parents[1].parent / "shared/benchmarks/aeb"
)
Page = tuple[str, str, str, str]
Row = tuple[str, float | None, float | None]


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


def load() -> list[Page]:
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


def timed_run(extract: Callable[[str, str], str], pages: list[Page]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    outputs = [extract(html, url) for _, url, html, _ in pages]
    return time.perf_counter() - started, outputs


def report(name: str, seconds: float, outputs: list[str], pages: list[Page]) -> tuple[float, list[Row]]:
    precisions, recalls, rows = [], [], []
    for (key, _, _, truth), output in zip(pages, outputs, strict=True):
        p, r = page_scores(output, truth)
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
        rows.append((key, p, r))
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    speed = len(pages) / seconds
    print(f"{name:12} F1 {f1:.4f}  precision {precision:.4f}  recall {recall:.4f}  {speed:7.1f} pages/s")
    return f1, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["pantau", "trafilatura"])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per extractor, interleaved")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target of issue 4 is missed")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where pantau scores worst")
    args = parser.parse_args()
    pages = load()
    print(
        f"{len(pages)} pages from {AEB_DIR}; best of {args.rounds} interleaved rounds (the machine is shared)"
    )
    extractors = {"pantau": run_pantau, "trafilatura": run_trafilatura}
    if args.only:
        extractors = {args.only: extractors[args.only]}
    best: dict[str, tuple[float, list[str]]] = {}
    for extract in extractors.values():
        extract(pages[0][2], pages[0][1])  # imports and first-call set-up are not per-page costs
    for _ in range(max(1, args.rounds)):
        for name, extract in extractors.items():
            seconds, outputs = timed_run(extract, pages)
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, outputs)
    results = {name: report(name, seconds, outputs, pages) for name, (seconds, outputs) in best.items()}
    missed = False
    if len(best) == 2:
        ratio = best["trafilatura"][0] / best["pantau"][0]
        difference = results["pantau"][0] - results["trafilatura"][0]
        print(f"pantau is {ratio:.1f}x as fast as trafilatura (target 5x); F1 difference {difference:+.4f}")
        missed = ratio < 5 or results["pantau"][0] < 0.96 or difference <= 0
    if "pantau" in results and args.worst:
        rows = sorted(results["pantau"][1], key=lambda row: (row[1] or 0) + (row[2] or 0))
        for key, p, r in rows[: args.worst]:
            shown_p = "-" if p is None else f"{p:.3f}"
            shown_r = "-" if r is None else f"{r:.3f}"
            print(f"  {key[:16]}  precision {shown_p}  recall {shown_r}")
    if args.check and missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
