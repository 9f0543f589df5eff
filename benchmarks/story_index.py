"""Story placement in the store: the main process's per-article cost of `Store.place_article`.

    .venv/bin/python benchmarks/story_index.py [--articles 3000] [--pg URL] [--compare OTHER/src]

Places --articles generated articles (benchmarks/vs_urlwatch.py's pages, extracted and fingerprinted
beforehand, so only the store is timed) one by one into a fresh store, as the pipeline does: a duplicate
check, the story lookup, the article, its story and index rows. These pages come from a small vocabulary,
so many of their band keys are shared by hundreds of articles ("hot" keys, as an outlet's boilerplate makes
in real news): a lookup that reads every article sharing a key grows with the store.

Printed per store: ms per article over the first and the last 10% of the articles (flat when the cost does
not grow with the store), the whole run's articles/s, SQL statements per article (SQLite), how many
stories the articles formed (the same clustering either way), and the band rows of the most shared key.
With --compare, the same runs from another source tree (e.g. an older checkout's src/) in a subprocess,
in the same run, shown as "(other)".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from vs_urlwatch import HOSTS, article_html

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def corpus(n: int) -> list[tuple[Any, Any]]:
    from pantau.dedupe import content_hash, fingerprint
    from pantau.extract import decode_html, extract_article
    from pantau.models import Article

    out = []
    per_host = -(-n // len(HOSTS))
    for i in range(n):
        host, index = i % len(HOSTS), i // len(HOSTS)
        url = f"http://{HOSTS[host]}/news/{index}.html"
        found = extract_article(decode_html(article_html(host, index % per_host), "utf-8"), url)
        at = T0 + timedelta(seconds=i)
        article = Article(
            f"h{host}",
            url,
            found.title,
            found.body,
            at,
            None,
            "en",
            content_hash(found.title, found.body),
            at,
        )
        out.append((article, fingerprint(found.body, found.title)))
    return out


def run(url: str, n: int) -> dict[str, Any]:
    """Place n articles into the store at `url` (fresh); the figures as a dict."""
    from sqlalchemy import event, func, select, text

    from pantau.store import Store
    from pantau.store.tables import STORY_BAND

    articles = corpus(n)
    store = Store.open(url)
    statements = [0]
    if store.engine.dialect.name == "sqlite":

        def count(dbapi: Any, _record: Any, _proxy: Any) -> None:
            dbapi.set_trace_callback(lambda _sql: statements.__setitem__(0, statements[0] + 1))

        event.listen(store.engine, "checkout", count)
    tenth = max(1, n // 10)
    times: list[float] = []
    started = time.perf_counter()
    for article, fp in articles:
        t = time.perf_counter()
        store.place_article(
            article,
            article.url,
            fp,
            since=article.fetched_at - timedelta(hours=72),
            cited=False,
            plan=lambda _s: [],
        )
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    with store.engine.connect() as conn:
        stories = conn.execute(text("SELECT count(DISTINCT story_id) FROM article")).scalar_one()
        hottest = conn.execute(
            select(func.count())
            .select_from(STORY_BAND)
            .group_by(STORY_BAND.c.band)
            .order_by(func.count().desc())
        ).first()
    store.close()
    return {
        "first": 1000 * sum(times[:tenth]) / tenth,
        "last": 1000 * sum(times[-tenth:]) / tenth,
        "rate": n / total,
        "statements": statements[0] / n if statements[0] else None,
        "stories": stories,
        "hottest": hottest[0] if hottest else 0,
    }


def fresh_pg(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = f"pantau_bench_{os.getpid()}_{time.monotonic_ns() % 10**6}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def drop_pg(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


def one(store: str, n: int, pg: str | None) -> dict[str, Any]:
    if store == "sqlite":
        with tempfile.TemporaryDirectory(prefix="pantau-story-index-") as tmp:
            return run(f"sqlite:///{Path(tmp) / 'pantau.db'}", n)
    assert pg is not None
    url, name = fresh_pg(pg)
    try:
        return run(url, n)
    finally:
        drop_pg(pg, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pg", help="a PostgreSQL URL (admin database) to run on as well")
    parser.add_argument("--compare", type=Path, help="another pantau source tree to run in the same run")
    parser.add_argument("--one", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.articles, args.pg)))
        return
    stores = ["sqlite"] + (["postgresql"] if args.pg else [])
    trees = [("", None)] + ([(" (other)", args.compare.resolve())] if args.compare else [])
    print(f"{args.articles} articles placed one by one (vs_urlwatch.py's pages), ms per article")
    print(
        f"{'store':<22} {'first 10%':>9} {'last 10%':>9} {'art/s':>7} {'stmts/art':>9} {'stories':>8} {'hot key':>8}"
    )
    for store in stores:
        for label, tree in trees:
            env = dict(os.environ)
            if tree is not None:
                env["PYTHONPATH"] = str(tree)
            argv = [sys.executable, __file__, "--one", store, "--articles", str(args.articles)]
            argv += ["--pg", args.pg] if args.pg else []
            out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            stmts = f"{r['statements']:.1f}" if r["statements"] else "-"
            print(
                f"{store + label:<22} {r['first']:9.2f} {r['last']:9.2f} {r['rate']:7.0f} {stmts:>9} "
                f"{r['stories']:8d} {r['hottest']:8d}"
            )


if __name__ == "__main__":
    main()
