"""Score pantau's article extraction against trafilatura, in one run, on AEB and on trafeval-dev.

Usage: python benchmarks/extraction.py [--set aeb|trafeval-dev|both] [--only pantau|trafilatura]
           [--rounds N] [--worst N] [--misses] [--check]
Reads ../shared/benchmarks/aeb and ../shared/benchmarks/trafeval-dev in place (override with PANTAU_AEB_DIR,
PANTAU_TRAFEVAL_DIR). Both extractors get the same decoded text; speed is pages per CPU-second of this
process (parsing included), the best of --rounds interleaved passes: the machine is shared, and wall-clock
figures swing with the other processes' load. trafilatura runs as its own evaluation runs it:
`extract(html, url=url, include_comments=False)` (pantau leaves comments out by design too).

Metrics:
- aeb: `\\w+` tokens, 4-token shingles counted with multiplicity; per page TP/FP/FN; precision and recall
  averaged over pages where defined; F1 is their harmonic mean (issue 4).
- trafeval-dev: its README's (trafilatura's own): each `with` snippet found in the extracted text is a true
  positive, each missing one a false negative; each `without` snippet found a false positive; summed over
  all pages; snippets and text compared after collapsing whitespace.
--misses prints each missed `with` snippet on trafeval-dev by page and language, with its likely cause, and
the count per cause (see benchmarks/extraction_misses.py).
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pantau.errors import ExtractError
from pantau.extract import decode_html, extract_article

_REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repository (a worktree in ../wt/NAME finds it one level further up).
_SHARED = next(
    (
        p / "shared/benchmarks"
        for p in (_REPO.parent, _REPO.parent.parent)
        if (p / "shared/benchmarks").is_dir()
    ),
    _REPO.parent / "shared/benchmarks",
)
AEB_DIR = Path(os.environ.get("PANTAU_AEB_DIR") or _SHARED / "aeb")
TRAFEVAL_DIR = Path(os.environ.get("PANTAU_TRAFEVAL_DIR") or _SHARED / "trafeval-dev")
# Goals: F1 at least trafilatura's (AEB: and at least 0.975) at this many times its pages/s.
SPEED_GOAL = {"aeb": 5.0, "trafeval-dev": 4.0}
Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class BenchPage:
    key: str
    url: str
    html: str
    truth: str = ""  # aeb: the whole article body
    with_: tuple[str, ...] = ()  # trafeval-dev: snippets the text must contain ...
    without: tuple[str, ...] = ()  # ... and must not


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float
    per_page: list[tuple[str, float | None, float | None]]


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


def collapse(text: str) -> str:
    return " ".join(text.split())


def load_aeb() -> list[BenchPage]:
    truth = json.loads((AEB_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, entry in sorted(truth.items()):
        raw = gzip.decompress((AEB_DIR / "html" / f"{key}.html.gz").read_bytes())
        pages.append(BenchPage(key, entry["url"], decode_html(raw, None), truth=entry["articleBody"]))
    return pages


def load_trafeval() -> list[BenchPage]:
    data = json.loads((TRAFEVAL_DIR / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for url, entry in sorted(data.items()):
        raw = gzip.decompress((TRAFEVAL_DIR / "pages" / entry["file"]).read_bytes())
        # Keys look like "hard::example.org-page.html"; the real URL is not given, a plausible one is enough.
        page_url = url if url.startswith("http") else "https://" + url.split("::")[-1].split("-")[0] + "/"
        pages.append(
            BenchPage(
                url,
                page_url,
                decode_html(raw, None),
                with_=tuple(collapse(s) for s in entry["with"] if s),
                without=tuple(collapse(s) for s in entry["without"] if s),
            )
        )
    return pages


def score_aeb(pages: list[BenchPage], outputs: list[str]) -> Score:
    precisions, recalls, rows = [], [], []
    for page, output in zip(pages, outputs, strict=True):
        p, r = page_scores(output, page.truth)
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
        rows.append((page.key, p, r))
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    return Score(_f1(precision, recall), precision, recall, rows)


def score_trafeval(pages: list[BenchPage], outputs: list[str]) -> Score:
    tp = fp = fn = 0
    rows = []
    for page, output in zip(pages, outputs, strict=True):
        text = collapse(output)
        found = sum(1 for s in page.with_ if s in text)
        wrong = sum(1 for s in page.without if s in text)
        tp, fn, fp = tp + found, fn + len(page.with_) - found, fp + wrong
        p = found / (found + wrong) if found + wrong else None
        r = found / len(page.with_) if page.with_ else None
        rows.append((page.key, p, r))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return Score(_f1(precision, recall), precision, recall, rows)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run_pantau(html: str, url: str) -> str:
    try:
        return extract_article(html, url).body
    except ExtractError:
        return ""


def run_trafilatura(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False) or ""


def timed_run(extract: Extractor, pages: list[BenchPage]) -> tuple[float, list[str]]:
    """CPU seconds of this process for one pass: on a shared machine the wall clock also counts the time
    other processes held the cores, which swings the ratio by 2x from run to run."""
    started = time.process_time()
    outputs = [extract(page.html, page.url) for page in pages]
    return time.process_time() - started, outputs


def measure(
    extractors: dict[str, Extractor], pages: list[BenchPage], rounds: int
) -> dict[str, tuple[float, list[str]]]:
    """Best time of `rounds` interleaved passes per extractor, and its outputs."""
    best: dict[str, tuple[float, list[str]]] = {}
    for extract in extractors.values():
        extract(pages[0].html, pages[0].url)  # imports and first-call set-up are not per-page costs
    for _ in range(max(1, rounds)):
        for name, extract in extractors.items():
            seconds, outputs = timed_run(extract, pages)
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, outputs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=["aeb", "trafeval-dev", "both"], default="both", dest="which")
    parser.add_argument("--only", choices=["pantau", "trafilatura"])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per extractor, interleaved")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal of issue 16 is missed")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where pantau scores worst")
    parser.add_argument("--misses", action="store_true", help="trafeval-dev: missed snippets by cause")
    args = parser.parse_args()
    if args.misses:
        from extraction_misses import print_misses

        print_misses(load_trafeval())
        return
    names = ["aeb", "trafeval-dev"] if args.which == "both" else [args.which]
    extractors: dict[str, Extractor] = {"pantau": run_pantau, "trafilatura": run_trafilatura}
    if args.only:
        extractors = {args.only: extractors[args.only]}
    lines, missed = [], False
    for name in names:
        pages = load_aeb() if name == "aeb" else load_trafeval()
        scorer = score_aeb if name == "aeb" else score_trafeval
        best = measure(extractors, pages, args.rounds)
        scores = {who: scorer(pages, outputs) for who, (_, outputs) in best.items()}
        speeds = {who: len(pages) / seconds for who, (seconds, _) in best.items()}
        for who, score in scores.items():
            lines.append(
                f"{name:13} {who:12} F1 {score.f1:.4f}  P {score.precision:.4f}  R {score.recall:.4f}"
                f"  {speeds[who]:7.1f} pages/CPU-s"
            )
        if len(scores) == 2:
            ratio = speeds["pantau"] / speeds["trafilatura"]
            ours, theirs = scores["pantau"], scores["trafilatura"]
            lines.append(
                f"{name:13} pantau/trafilatura: {ratio:.1f}x pages/CPU-s (goal {SPEED_GOAL[name]:.0f}x), "
                f"F1 {ours.f1 - theirs.f1:+.4f}, recall {ours.recall - theirs.recall:+.4f}  ({len(pages)} pages)"
            )
            missed = missed or ratio < SPEED_GOAL[name] or ours.f1 < theirs.f1
            if name == "aeb":
                missed = missed or ours.f1 < 0.975
            else:
                missed = missed or ours.recall < theirs.recall - 0.01
        if "pantau" in scores and args.worst:
            rows = sorted(scores["pantau"].per_page, key=lambda row: (row[1] or 0) + (row[2] or 0))
            for key, p, r in rows[: args.worst]:
                shown_p = "-" if p is None else f"{p:.3f}"
                shown_r = "-" if r is None else f"{r:.3f}"
                lines.append(f"  {key[:50]:50}  precision {shown_p}  recall {shown_r}")
    print(f"best of {args.rounds} interleaved rounds per set (the machine is shared)")
    print("\n".join(lines))
    if args.check and missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
