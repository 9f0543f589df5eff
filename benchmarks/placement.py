"""Placing new articles one transaction each against several to a transaction (issue 15).

    .venv/bin/python benchmarks/placement.py [--articles 2000] [--batches 1,4,8,32] [--postgresql URL]

The pipeline stores each new article with `Store.place_article` (its story lookup, the article, story and
index rows, alerts and outbox rows). Since issue 15 the articles that are ready at the same moment go
through `Store.place_articles` together (pantau.placing), in one transaction. This
script places the same generated articles (one in five a copy of an earlier one, each matching one rule
with one outbox row) on a fresh store per run: first one `place_article` per article (the old way, the
baseline of this run), then `place_articles` in batches of each size. Printed: articles/s (wall) and CPU ms
per article, per run; with --postgresql also on that database (a fresh database is created and dropped).

In `pantau once` over 1,000 pages on 10 loopback hosts, batches averaged about 5 articles (1 to 21).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pantau.dedupe import StoryView, content_hash, fingerprint, plan_alerts
from pantau.models import Article, Hit, Match
from pantau.store import Outgoing, Placement, Store

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SYLLABLES = ["ka", "ri", "to", "ne", "sa", "mu", "lo", "pe", "di", "ga", "ba", "ju", "wi", "ho", "ye", "an"]


def texts(n: int, seed: int = 15) -> list[str]:
    """Article bodies from a large made-up vocabulary (so near-duplicate keys spread as real news does),
    every fifth a lightly edited copy of a recent one."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(20_000)]
    out: list[str] = []
    for i in range(n):
        if i % 5 == 4 and out:
            original = rng.choice(out[-20:])
            out.append("JAKARTA -- " + original.replace(" ", "  ", 3))
        else:
            out.append(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(250, 500))) + ".")
    return out


def placements(bodies: Sequence[str], run: int) -> list[Placement]:
    match = Match("watch", (Hit("ka", "body", 0, 2, "ka"),), "«ka»")
    out = []
    for n, body in enumerate(bodies):
        source = f"outlet{n % 10}"
        url = f"https://{source}.test/{run}/news/{n}"
        at = T0 + timedelta(seconds=n)
        article = Article(source, url, "Title", body, at, None, "en", content_hash(url, body), at)

        def plan(
            story: StoryView | None, at: datetime = at, source: str = source
        ) -> list[tuple[Match, list[Outgoing]]]:
            return [(m, [Outgoing(m.rule, "desk", at)]) for m in plan_alerts([match], story, source)]

        out.append(Placement(article, url, fingerprint(body), at - timedelta(hours=72), False, plan))
    return out


def run(url: str, bodies: Sequence[str], batch: int | None, run_no: int) -> tuple[float, float]:
    """(articles/s wall, CPU ms per article) placing every body once; batch None = place_article each."""
    todo = placements(bodies, run_no)
    with Store.open(url) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        if batch is None:
            for p in todo:
                store.place_article(
                    p.article, p.link_url, p.fingerprint, since=p.since, cited=p.cited, plan=p.plan
                )
        else:
            for start in range(0, len(todo), batch):
                results = store.place_articles(todo[start : start + batch])
                assert not any(isinstance(r, Exception) for r in results), results
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(todo) / wall, cpu * 1000 / len(todo)


def fresh_pg(base: str, name: str) -> str:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_pg(base: str, name: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--batches", default="1,4,8,32")
    parser.add_argument("--postgresql", help="e.g. postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    bodies = texts(args.articles)
    for body in bodies:  # warm the word-hash memo, so no run pays for it
        fingerprint(body)
    sizes: list[int | None] = [None, *(int(b) for b in args.batches.split(","))]
    dialects = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    with tempfile.TemporaryDirectory() as tmp:  # a warm-up run, not shown: imports, caches, the disk
        run(f"sqlite:///{Path(tmp) / 'warm.db'}", bodies[:200], None, 99)
    print(f"{args.articles} articles placed on a fresh store per run")
    print(f"{'store':<11} {'transactions':<34} {'articles/s':>10} {'CPU ms/article':>15}")
    for dialect in dialects:
        base = None
        for run_no, size in enumerate(sizes):
            with tempfile.TemporaryDirectory() as tmp:
                if dialect == "sqlite":
                    url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                else:
                    assert args.postgresql
                    url = fresh_pg(args.postgresql, f"pantau_bench_placement_{run_no}")
                try:
                    rate, cpu = run(url, bodies, size, run_no)
                finally:
                    if dialect == "postgresql":
                        assert args.postgresql
                        drop_pg(args.postgresql, f"pantau_bench_placement_{run_no}")
            what = "one each (place_article)" if size is None else f"{size} a transaction (place_articles)"
            base = base or rate
            print(f"{dialect:<11} {what:<34} {rate:10.0f} {cpu:15.2f}   {rate / base:.2f}x")


if __name__ == "__main__":
    main()
