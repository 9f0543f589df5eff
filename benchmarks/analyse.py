"""CPU per article page of `analyse()`, the work an analysis worker does for each page, in one process.

    .venv/bin/python benchmarks/analyse.py [--pages 1000] [--rounds 5] [--runs 3] [--compare OLD/src]

Corpora:
- narrow and varied: the generated pages of benchmarks/vs_urlwatch.py (its `article_html`), --pages each,
  analysed with that benchmark's two rules, as `pantau once` analyses them there;
- aeb: the 181 AEB pages, when benchmarks/extraction.py finds them (../shared/benchmarks/aeb, read in
  place; PANTAU_AEB_DIR overrides);
- golden: the pages under tests/data (the extraction golden pages and the pager cases).

Each side (this checkout's src, and with --compare an old checkout's src) runs in child processes of its
own, started alternately --runs times; each child analyses every page once (a first, cold pass: shown
as "first") and then --rounds more times; the figure is CPU milliseconds per page (time.process_time), the
best round over all runs, with the spread of the runs' best rounds. With --compare, the results of both
sides are compared page by page (title, body, dates, author, language, canonical URL, content hash,
fingerprint, wire citation, rule matches, next page): any difference is printed and the exit code is 1.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_REPO = _HERE.parent
FETCHED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
Page = tuple[str, str, bytes]  # key, url, body


def _generated(count: int, varied: bool) -> list[Page]:
    sys.path.insert(0, str(_HERE))
    from vs_urlwatch import HOSTS, article_html

    per_host = max(1, count // len(HOSTS))
    return [
        (f"{h}-{i}", f"http://{host}:8000/news/{i}.html", article_html(h, i, varied=varied))
        for h, host in enumerate(HOSTS)
        for i in range(per_host)
    ]


def _aeb(folder: Path) -> list[Page]:
    if not (folder / "ground-truth.json").exists():
        return []
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        (key, entry["url"], gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()))
        for key, entry in sorted(truth.items())
    ]


def _golden() -> list[Page]:
    pages = []
    for html in sorted((_REPO / "tests/data").glob("*/*.html")):
        for suffix in (".expected.json", ".pager.json"):
            meta = html.with_suffix(suffix)
            if meta.exists():
                url = json.loads(meta.read_text(encoding="utf-8"))["url"]
                pages.append((f"{html.parent.name}/{html.stem}", url, html.read_bytes()))
                break
    return pages


def corpora(count: int, aeb: Path) -> dict[str, list[Page]]:
    found = {
        "narrow": _generated(count, False),
        "varied": _generated(count, True),
        "aeb": _aeb(aeb),
        "golden": _golden(),
    }
    return {name: pages for name, pages in found.items() if pages}


def _rules() -> Any:
    from vs_urlwatch import pantau_config

    from pantau.config import config_from_text

    text = pantau_config([8000] * 10, Path("/tmp/pantau-analyse-bench.db"))
    return config_from_text(text, Path("/tmp/config.yaml"), {}).ruleset


def _outcome(analysis: Any) -> str:
    """What a user would see of an analysis, as text: equal across versions when the results are equal,
    whatever the shape of the objects that carry them."""
    fp = analysis.fingerprint
    seen = {
        "extracted": repr(analysis.extracted),
        "title": analysis.title,
        "url": analysis.url,
        "content_hash": analysis.content_hash,
        "fingerprint": [fp.exact, fp.signature.hex(), fp.size, list(fp.entities)],
        "cites_wire": analysis.cites_wire,
        "matches": repr(analysis.matches),
        "next_page": analysis.next_page,
        "pages": analysis.pages,
    }
    return json.dumps(seen, sort_keys=True, default=str)


def _pass(inputs: list[tuple[str, Any]], rules: Any, keep: bool) -> tuple[float, dict[str, str]]:
    """CPU seconds to analyse every page once, and (with `keep`) what each analysis gave."""
    from pantau.analyse import analyse
    from pantau.errors import ExtractError

    outcomes: dict[str, str] = {}
    started = time.process_time()
    for key, page in inputs:
        try:
            result = analyse(page, rules)
        except ExtractError as err:
            if keep:
                outcomes[key] = f"ExtractError: {err}"
            continue
        if keep:
            outcomes[key] = _outcome(result)
    return time.process_time() - started, outcomes


def child(count: int, rounds: int, aeb: Path) -> None:
    """Runs in the side's own process (its src first on sys.path): prints one JSON line."""
    import pantau
    from pantau.analyse import ArticlePage

    rules = _rules()
    report: dict[str, Any] = {"src": str(Path(pantau.__file__).parents[1])}
    for name, pages in corpora(count, aeb).items():
        inputs = [
            (key, ArticlePage(body, None, url, "bench", link_title=key, fetched_at=FETCHED_AT))
            for key, url, body in pages
        ]
        first, _ = _pass(inputs, rules, False)
        times = [_pass(inputs, rules, False)[0] for _ in range(rounds)]
        _, outcomes = _pass(inputs, rules, True)
        report[name] = {
            "pages": len(inputs),
            "first_ms": first * 1000 / len(inputs),
            "best_ms": min(times) * 1000 / len(inputs),
            "outcomes": outcomes,
        }
    print(json.dumps(report))


def _run_side(src: Path, count: int, rounds: int) -> dict[str, Any]:
    # The AEB folder as benchmarks/extraction.py finds it; imported here, as it puts this checkout's src
    # first on sys.path.
    from extraction import AEB_DIR

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), str(_HERE)]),
        "PANTAU_AEB_DIR": str(AEB_DIR),
    }
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--pages", str(count)]
    out = subprocess.run(
        [*argv, "--rounds", str(rounds)], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"analyse: the child for {src} failed:\n{out.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def _spread(values: list[float]) -> str:
    return f"{min(values):.3f} ms (runs' best {min(values):.3f}-{max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="generated pages per generated corpus")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over every page, per child")
    parser.add_argument("--runs", type=int, default=3, help="children per side, started alternately")
    parser.add_argument("--compare", type=Path, help="an old checkout's src folder, run in the same way")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.pages, args.rounds, Path(os.environ["PANTAU_AEB_DIR"]))
        return
    sides = {"new": _REPO / "src"}
    if args.compare:
        sides["old"] = args.compare.resolve()
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for _ in range(args.runs):
        for side, src in sides.items():
            runs[side].append(_run_side(src, args.pages, args.rounds))
    failed = False
    for side, src in sides.items():
        if runs[side][0].pop("src") != str(src):
            raise SystemExit(f"analyse: the {side} side did not import pantau from {src}")
        for run in runs[side][1:]:
            run.pop("src")
    for name in runs["new"][0]:
        pages = runs["new"][0][name]["pages"]
        print(f"{name} ({pages} pages), CPU per page:")
        best: dict[str, float] = {}
        for side in sides:
            firsts = [run[name]["first_ms"] for run in runs[side]]
            bests = [run[name]["best_ms"] for run in runs[side]]
            best[side] = min(bests)
            print(f"  {side}: best round {_spread(bests)}; first pass {_spread(firsts)}")
        if "old" in best:
            print(
                f"  new/old: {best['new'] / best['old']:.2f}x the CPU ({best['old'] / best['new']:.2f}x as fast)"
            )
            new, old = runs["new"][0][name]["outcomes"], runs["old"][0][name]["outcomes"]
            differing = [key for key in old if new.get(key) != old[key]]
            if differing:
                failed = True
                print(f"  RESULTS DIFFER on {len(differing)} of {len(old)} pages, e.g. {differing[0]}:")
                print(f"    old: {old[differing[0]][:2000]}")
                print(f"    new: {new.get(differing[0], '(missing)')[:2000]}")
            else:
                print(f"  results: identical on all {len(old)} pages")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
