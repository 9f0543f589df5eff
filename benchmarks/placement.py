"""Placing new articles: the main process's CPU per article in `Store.place_articles` (issue 15).

    .venv/bin/python benchmarks/placement.py [--articles 1000] [--batches 1,5,32] [--runs 3]
        [--corpus generated,narrow,varied] [--postgresql URL] [--compare OLD/src]

The pipeline stores each new article with `Store.place_articles` (pantau.placing groups the articles that
are ready together, about 5 a transaction in `pantau once`): a duplicate check, the story lookup, the
article, its story and index rows, its alerts and outbox rows. This script places the same articles on a
fresh store per run, in transactions of each --batches size, and prints the CPU ms per article (the
process's, so SQLite's own work counts; PostgreSQL's server does not) and articles/s (wall).

Corpora:
- generated: bodies from a 20,000-word vocabulary, every fifth a lightly edited copy of a recent one, each
  article matching one rule with one outbox row;
- narrow / varied: benchmarks/vs_urlwatch.py's pages (as `pantau once` reads them in vs_urlwatch.py),
  analysed beforehand (extracted, fingerprinted, matched against that benchmark's two rules) and planned by
  the pipeline's own `due.Planner`. Narrow: every article shares band keys with hundreds of others, the
  story index's worst case; varied: more like news.

With --compare, the same runs also go through another source tree (an older checkout's src/), each tree in
a process of its own that prepares the corpus once; runs alternate between the trees. Each line shows the
median of --runs runs and their spread (min-max); "same" says whether both trees stored the same stories,
alerts and outbox rows (a digest of them, compared per run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SYLLABLES = ["ka", "ri", "to", "ne", "sa", "mu", "lo", "pe", "di", "ga", "ba", "ju", "wi", "ho", "ye", "an"]
WINDOW = timedelta(hours=72)


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


def prepare(name: str, n: int) -> Any:
    """What a corpus's placements are made from (picklable): generated bodies and their fingerprints, or
    vs_urlwatch.py's pages analysed as the pipeline analyses them."""
    if name == "generated":
        from pantau.dedupe import fingerprint

        bodies = texts(n)
        return bodies, [fingerprint(body) for body in bodies]
    sys.path.insert(0, str(Path(__file__).parent))
    from vs_urlwatch import HOSTS, article_html

    from pantau.analyse import ArticlePage, analyse

    config = _config()
    per_host = -(-n // len(HOSTS))
    found = []
    for i in range(n):
        host, index = i % len(HOSTS), i // len(HOSTS)
        url = f"http://{HOSTS[host]}/news/{index}.html"
        html = article_html(host, index % per_host, varied=name == "varied")
        found.append(analyse(ArticlePage(html, "utf-8", url, f"h{host}"), config.ruleset))
    return found


def _config() -> Any:
    sys.path.insert(0, str(Path(__file__).parent))
    from vs_urlwatch import HOSTS, pantau_config

    from pantau.config import config_from_text

    return config_from_text(pantau_config([80] * len(HOSTS), Path("/nonexistent.db")), Path("bench.yaml"))


def placements(name: str, data: Any, run: int) -> list[Any]:
    """The placements of one run (fresh URLs per run), from what `prepare` made."""
    if name == "generated":
        return _generated(*data, run)
    from pantau.due import Planner, article_from
    from pantau.pipeline import Context
    from pantau.store import Placement

    config = _config()
    context = Context(config, None, None, None, None)  # type: ignore[arg-type]  # for its rule lookups
    out = []
    for i, analysis in enumerate(data):
        source, at = f"h{i % 10}", T0 + timedelta(seconds=i)
        url = f"{analysis.url}?run={run}"
        article = article_from(analysis, source, url, None, at)
        plan = Planner(list(analysis.matches), source, config, at, context.per_source_rules, context.term_key)
        out.append(Placement(article, url, analysis.fingerprint, at - WINDOW, analysis.cites_wire, plan))
    return out


def _generated(bodies: Sequence[str], prints: Sequence[Any], run: int) -> list[Any]:
    from pantau.dedupe import StoryView, content_hash, plan_alerts
    from pantau.models import Article, Hit, Match
    from pantau.store import Outgoing, Placement

    match = Match("watch", (Hit("ka", "body", 0, 2, "ka"),), "«ka»")
    out = []
    for i, (body, fp) in enumerate(zip(bodies, prints, strict=True)):
        source = f"outlet{i % 10}"
        url = f"https://{source}.test/{run}/news/{i}"
        at = T0 + timedelta(seconds=i)
        article = Article(source, url, "Title", body, at, None, "en", content_hash(url, body), at)

        def plan(
            story: StoryView | None, at: datetime = at, source: str = source
        ) -> list[tuple[Match, list[Outgoing]]]:
            return [(m, [Outgoing(m.rule, "desk", at)]) for m in plan_alerts([match], story, source)]

        out.append(Placement(article, url, fp, at - WINDOW, False, plan))
    return out


def digest(store: Any) -> str:
    """What the placements stored, independent of ids: each article's story (as its first article's URL),
    its alerts and their outbox rows."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        first = dict(conn.execute(text("SELECT story_id, min(id) FROM article GROUP BY story_id")).all())
        urls = dict(conn.execute(text("SELECT id, url FROM article")).all())
        stories = sorted(
            (url, urls[first[story]])
            for url, story in conn.execute(text("SELECT url, story_id FROM article"))
        )
        alerts = conn.execute(
            text(
                "SELECT a.url, r.rule, r.terms, r.hits, r.snippet, d.channel, d.digest, d.state, d.next_attempt_at"
                " FROM alert r JOIN article a ON a.id = r.article_id LEFT JOIN delivery d ON d.alert_id = r.id"
            )
        ).all()
        links = conn.execute(text("SELECT source, url, done, attempts FROM seen_link")).all()
        counts = conn.execute(text("SELECT name, articles_seen, last_new_article_at FROM source_state")).all()
    rows = [stories, sorted(map(str, alerts)), sorted(map(str, links)), sorted(map(str, counts))]
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()[:12]


def place(url: str, todo: Sequence[Any], batch: int) -> tuple[float, float, str]:
    """(CPU ms per article, articles/s wall, digest) placing `todo` on the fresh store at `url`."""
    from pantau.store import Store

    with Store.open(url) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(todo), batch):
            results = store.place_articles(todo[start : start + batch])
            assert not any(isinstance(r, Exception) for r in results), results
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return cpu * 1000 / len(todo), len(todo) / wall, digest(store)


def fresh_pg(base: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_pg(base: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def serve(n: int, corpora: Sequence[str], postgresql: str | None) -> None:
    """The child: prepare each corpus once, then answer `corpus dialect batch run` lines with JSON."""
    made = {name: prepare(name, n) for name in corpora}
    with tempfile.TemporaryDirectory() as tmp:  # a warm-up run, not shown: imports, caches, the disk
        warm = placements(corpora[0], made[corpora[0]], 99)[:100]
        place(f"sqlite:///{Path(tmp) / 'warm.db'}", warm, 5)
    print("ready", flush=True)
    for line in sys.stdin:
        name, dialect, batch, run = line.split()
        todo = placements(name, made[name], int(run))
        if dialect == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                result = place(f"sqlite:///{Path(tmp) / 'bench.db'}", todo, int(batch))
        else:
            assert postgresql
            db = f"pantau_bench_placement_{os.getpid()}"
            try:
                result = place(fresh_pg(postgresql, db), todo, int(batch))
            finally:
                drop_pg(postgresql, db)
        print(json.dumps(result), flush=True)


def instructions(
    trees: Sequence[tuple[str, Path | None]], corpora: Sequence[str], n: int, batch: int
) -> None:
    """Instructions per placed article, counted by valgrind (cachegrind, no cache simulation): the same
    every run whatever else the machine does (SQLite's own work counts; the kernel's, for its writes, not).
    Each tree prepares the corpus in a process of its own; then two counted runs load it and place either
    every article or the first batch only, and the difference is the placing of the rest."""
    print(f"{n} articles placed in batches of {batch} on a fresh SQLite store, under valgrind")
    print(f"{'corpus':<10} {'tree':<10} {'instructions/article':>21}")
    for name in corpora:
        counted: list[int] = []
        for label, tree in trees:
            env = dict(os.environ, PYTHONHASHSEED="0")
            if tree is not None:
                env["PYTHONPATH"] = str(tree)
            with tempfile.TemporaryDirectory() as tmp:
                data = Path(tmp) / "corpus.pickle"
                own = [
                    sys.executable,
                    __file__,
                    "--corpus",
                    name,
                    "--articles",
                    str(n),
                    "--batches",
                    str(batch),
                ]
                subprocess.run([*own, "--prepare-to", str(data)], env=env, check=True)
                runs = [
                    _counted([*own, "--place-from", str(data), *only], env)
                    for only in ([], ["--first-batch"])
                ]
            counted.append((runs[0] - runs[1]) // (n - batch))
            ratio = f"  {counted[0] / counted[-1]:.2f}x of compared" if len(counted) == 2 else ""
            print(f"{name:<10} {label:<10} {counted[-1]:21,d}{ratio}", flush=True)


def _counted(argv: list[str], env: dict[str, str]) -> int:
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    out = subprocess.run([*valgrind, *argv], env=env, capture_output=True, text=True, check=True).stderr
    found = re.search(r"I\s+refs:\s+([\d,]+)", out)
    assert found, out[-2000:]
    return int(found.group(1).replace(",", ""))


def counted_run(name: str, data_file: Path, batch: int, *, all_of_it: bool) -> None:
    """The placing that `instructions` counts: the first batch (statements compiled, caches warm), then
    unless told otherwise the rest."""
    from pantau.store import Store

    with data_file.open("rb") as f:
        todo = placements(name, pickle.load(f), 0)
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{Path(tmp) / 'count.db'}") as store:
        for start in range(0, len(todo) if all_of_it else batch, batch):
            store.place_articles(todo[start : start + batch])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--batches", default="1,5,32")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", default="generated,narrow,varied")
    parser.add_argument("--postgresql", help="e.g. postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--compare", type=Path, help="another pantau source tree (e.g. OLD/src)")
    parser.add_argument("--instructions", action="store_true", help="count instructions with valgrind")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--place-from", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--first-batch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpora = args.corpus.split(",")
    if args.serve:
        serve(args.articles, corpora, args.postgresql)
        return
    if args.prepare_to:
        with args.prepare_to.open("wb") as f:
            pickle.dump(prepare(corpora[0], args.articles), f)
        return
    if args.place_from:
        counted_run(corpora[0], args.place_from, int(args.batches), all_of_it=not args.first_batch)
        return
    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.compare:
        trees.append(("compared", args.compare.resolve()))
    if args.instructions:
        for batch in args.batches.split(","):
            instructions(trees, corpora, args.articles, int(batch))
        return
    children = []
    for _, tree in trees:
        env = dict(os.environ)
        if tree is not None:
            env["PYTHONPATH"] = str(tree)
        argv = [
            sys.executable,
            __file__,
            "--serve",
            "--articles",
            str(args.articles),
            "--corpus",
            args.corpus,
        ]
        argv += ["--postgresql", args.postgresql] if args.postgresql else []
        child = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        children.append(child)
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"

    def ask(child: subprocess.Popen[str], what: str) -> tuple[float, float, str]:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(what + "\n")
        child.stdin.flush()
        cpu, rate, stored = json.loads(child.stdout.readline())
        return cpu, rate, stored

    dialects = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    print(f"{args.articles} articles placed on a fresh store per run; median of {args.runs} (min-max)")
    print(
        f"{'corpus':<10} {'store':<11} {'batch':>5} {'tree':<10} {'CPU ms/article':>22} {'articles/s':>10}  same"
    )
    for name in corpora:
        for dialect in dialects:
            for batch in args.batches.split(","):
                results: list[list[tuple[float, float, str]]] = [[] for _ in trees]
                for run in range(args.runs):
                    order = range(len(trees)) if run % 2 == 0 else reversed(range(len(trees)))
                    for t in order:
                        results[t].append(ask(children[t], f"{name} {dialect} {batch} {run}"))
                base = statistics.median(cpu for cpu, _, _ in results[-1])  # the compared tree's
                for (label, _), got in zip(trees, results, strict=True):
                    cpus = [cpu for cpu, _, _ in got]
                    cpu = statistics.median(cpus)
                    rate = statistics.median(rate for _, rate, _ in got)
                    spread = f"{cpu:.3f} ({min(cpus):.3f}-{max(cpus):.3f})"
                    same = all(a[2] == b[2] for a, b in zip(results[0], got, strict=True))
                    ratio = f"{cpu / base:.2f}x of compared" if args.compare and label == "this tree" else ""
                    print(
                        f"{name:<10} {dialect:<11} {batch:>5} {label:<10} {spread:>22} {rate:10.0f}  "
                        f"{'yes' if same else 'NO'} {ratio}",
                        flush=True,
                    )
    for child in children:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()


if __name__ == "__main__":
    main()
