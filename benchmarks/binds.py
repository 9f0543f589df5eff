"""The store's bind values per statement: this checkout's `_Compiled.binds` against an earlier one (issue 15).

    .venv/bin/python benchmarks/binds.py [--articles 300] [--baseline 2f51b8a] [--postgresql URL]

Places generated articles through the store (benchmarks/placement.py's articles, in batches of 8) while
recording every `binds()` call the fast path makes, then replays exactly those calls on this checkout's
`_Compiled` and on the one in `src/pantau/store/fast.py` at the --baseline git revision (default: the last
commit before binds were worked out at compile time, which ran SQLAlchemy's construct_params on every
execute), in alternating rounds; the best round of each is printed, in µs per call and per article, and
both are checked to give the same binds. With --postgresql also on that database (a fresh one, dropped).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from placement import drop_pg, fresh_pg, placements, texts

from pantau.dedupe import fingerprint
from pantau.store import Store
from pantau.store import fast as current

Call = tuple[Any, Any, tuple[str, ...], dict[str, Any]]  # statement, engine, compiled-for names, values


def baseline_module(revision: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{revision}:src/pantau/store/fast.py"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_fast.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_fast", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(url: str, bodies: Sequence[str]) -> list[Call]:
    """Every binds() call made while placing the bodies, in order."""
    calls: list[Call] = []
    compiled_for: dict[int, tuple[Any, Any, tuple[str, ...]]] = {}
    init, binds = current._Compiled.__init__, current._Compiled.binds

    def recording_init(self: Any, stmt: Any, engine: Any, keys: Sequence[str]) -> None:
        init(self, stmt, engine, keys)
        compiled_for[id(self)] = (stmt, engine, tuple(keys))

    def recording_binds(self: Any, values: Mapping[str, Any]) -> Any:
        calls.append((*compiled_for[id(self)], dict(values)))
        return binds(self, values)

    current._Compiled.__init__ = recording_init  # type: ignore[method-assign]
    current._Compiled.binds = recording_binds  # type: ignore[method-assign]
    try:
        with Store.open(url) as store:
            todo = placements(bodies, 0)
            for start in range(0, len(todo), 8):
                results = store.place_articles(todo[start : start + 8])
                assert not any(isinstance(r, Exception) for r in results), results
    finally:
        current._Compiled.__init__ = init  # type: ignore[method-assign]
        current._Compiled.binds = binds  # type: ignore[method-assign]
    return calls


def prepared(module: ModuleType, calls: Sequence[Call]) -> list[tuple[Any, dict[str, Any]]]:
    """Each call with its statement compiled by `module`'s _Compiled (once per statement and names)."""
    made: dict[tuple[Any, tuple[str, ...]], Any] = {}
    out = []
    for stmt, engine, keys, values in calls:
        key = (stmt, keys)
        if key not in made:
            made[key] = module._Compiled(stmt, engine, keys)
        out.append((made[key], values))
    return out


def comparable(binds: Any) -> Any:
    """psycopg's Binary wrappers have no equality of their own."""
    items = binds.items() if isinstance(binds, dict) else enumerate(binds)
    same = {k: repr(v) if type(v).__name__ == "Binary" else v for k, v in items}
    return same if isinstance(binds, dict) else tuple(same.values())


def seconds(work: Sequence[tuple[Any, dict[str, Any]]]) -> float:
    start = time.perf_counter()
    for compiled, values in work:
        compiled.binds(values)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--baseline", default="2f51b8a", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgresql", help="e.g. postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    before = baseline_module(args.baseline)
    bodies = texts(args.articles)
    for body in bodies:
        fingerprint(body)
    print(f"binds() calls made placing {args.articles} articles, replayed {args.rounds} rounds (best shown)")
    print(f"{'store':<11} {'binds':<22} {'calls':>7} {'µs/call':>8} {'µs/article':>11}")
    for dialect in ["sqlite"] + (["postgresql"] if args.postgresql else []):
        with tempfile.TemporaryDirectory() as tmp:
            if dialect == "sqlite":
                calls = record(f"sqlite:///{Path(tmp) / 'bench.db'}", bodies)
            else:
                assert args.postgresql
                try:
                    calls = record(fresh_pg(args.postgresql, "pantau_bench_binds"), bodies)
                finally:
                    drop_pg(args.postgresql, "pantau_bench_binds")
        old, new = prepared(before, calls), prepared(current, calls)
        for (a, values), (b, _) in zip(old, new, strict=True):
            assert comparable(a.binds(values)) == comparable(b.binds(values)), (a.sql, values)
        best = {"old": float("inf"), "new": float("inf")}
        for _ in range(args.rounds):
            best["old"] = min(best["old"], seconds(old))
            best["new"] = min(best["new"], seconds(new))
        for name, label in (("old", f"{args.baseline} (baseline)"), ("new", "this checkout")):
            per_call = best[name] * 1e6 / len(calls)
            per_article = best[name] * 1e6 / args.articles
            print(f"{dialect:<11} {label:<22} {len(calls):7d} {per_call:8.2f} {per_article:11.1f}")
        print(f"{dialect:<11} {'speed-up':<22} {'':7} {best['old'] / best['new']:7.2f}x  (same binds: yes)")


if __name__ == "__main__":
    main()
