"""Cluster mode with real `pantau run` processes on one fresh PostgreSQL database and 20 local outlets whose
listings take 0.3 s to answer (so two pollers fetching one at once would be seen overlapping).

The issue asks for two minutes of running; 30 s (six intervals of 5 s) keep the suite fast and still show
the cadence, the sharing and the exactly-once delivery.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.farm import NewsFarm
from support.instances import Instances
from support.webhook import WebhookSink

from pantau.store.locks import lock_key

OUTLETS = 20
EVERY = 5.0

CONFIG = """\
database: {db}
cluster: true
workers: 0
defaults: {{every: 5s, timeout: 20s}}
channels: {{hook: "{hook}"}}
sources:
{sources}
rules:
  - {{name: nato, match: 'NATO AND Japan', notify: hook}}
"""


def write_config(path: Path, db: str, hook: WebhookSink, farm: NewsFarm, outlets: range) -> Path:
    sources = "\n".join(
        f'  - {{name: {farm.outlet(i)}, url: "{farm.listing(i)}", links: "a.story"}}' for i in outlets
    )
    path.write_text(CONFIG.format(db=db, hook=hook.url(), sources=sources))
    return path


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[NewsFarm]:
    site = NewsFarm(tmp_path, OUTLETS, hold=0.3)
    for i in range(OUTLETS):
        site.publish(i, f"Harbour cranes arrive at port number {i}")  # a listing with no link fails its poll
    site.start()
    yield site
    site.stop()


def delivered_titles(hook: WebhookSink) -> Counter[str]:
    with hook.lock:
        return Counter(r.json["title"].removeprefix("[nato] ") for r in hook.requests)


def wait_for_titles(hook: WebhookSink, titles: list[str], timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = delivered_titles(hook)
        if all(got[t] for t in titles):
            return got
        time.sleep(0.25)
    return delivered_titles(hook)


def wait_until_polled(farm: NewsFarm, outlets: int, timeout: float = 60) -> None:
    """Until every outlet's listing has been asked for once: the instances are up (they take a few
    seconds to start on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(farm.polls(farm.outlet(i)) for i in range(outlets)):
            return
        time.sleep(0.2)
    raise AssertionError("the instances did not start polling within a minute")


def polling_instances(db: str, *sources: str) -> list[str]:
    """The instances (application_name `pantau host:pid`) holding a poll lock of one of `sources` right now.
    Only those locks' keys count: a starting instance's schema lock or an article's placement lock is not
    a poll."""
    rows = scalar_rows(
        db,
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) IN ("
        + ", ".join(str(lock_key(s)) for s in sources)
        + ")"
        " AND a.datname = current_database()",  # the server is shared with other tests
    )
    return [str(r[0]) for r in rows]


def scalar_rows(db: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


@pytest.mark.timeout(120)
def test_three_instances_poll_each_source_once_per_interval_and_alert_once(
    tmp_path: Path, cluster_db: str, farm: NewsFarm, instances: Instances
) -> None:
    with WebhookSink() as hook:
        config = write_config(tmp_path / "config.yaml", cluster_db, hook, farm, range(OUTLETS))
        for _ in range(3):
            instances.start(config)
        wait_until_polled(farm, OUTLETS)
        rng = random.Random(14)
        published: list[str] = []
        started = time.monotonic()
        pollers: set[str] = set()  # every instance seen as the last poller of some source
        while time.monotonic() - started < 30:
            time.sleep(1.5)
            title = f"NATO and Japan agree on patrol step {len(published)}"
            farm.publish(rng.randrange(OUTLETS), title)
            published.append(title)
            pollers |= {
                p for (p,) in scalar_rows(cluster_db, "SELECT DISTINCT last_poll_by FROM source_state") if p
            }
        end = time.monotonic()
        got = wait_for_titles(hook, published, timeout=30)
        assert instances.stop_all() == [0, 0, 0]

    assert farm.overlaps() == [], "a listing was fetched by two pollers at once"
    assert {t for t in got if t in published} == set(published)
    assert [t for t, n in got.items() if n != 1] == [], "an alert was delivered more than once"
    # From the moment every source had its first poll (all instances up) to the end of the run: each
    # source polled once an interval, never twice in one (a gap near 0) and never skipped (a gap near
    # 2 intervals). A poll goes out a dispatcher tick and a queue look after it is due, and on this loaded
    # 2-core machine a tick itself comes up to ~2.5 s late now and then: a late poll and an on-time one
    # after it are 2.5 s apart, hence the 3 s either way.
    begin = max(farm.polls(farm.outlet(i))[0][0] for i in range(OUTLETS))
    assert end - begin > 3 * EVERY, "the instances took too long to start"
    off = {}
    for i in range(OUTLETS):
        starts = [s for s, _e in farm.polls(farm.outlet(i)) if s >= begin]
        gaps = [round(b - a, 2) for a, b in pairwise(starts)]
        if len(starts) < 4 or any(not EVERY - 3 <= g <= EVERY + 3 for g in gaps):
            off[farm.outlet(i)] = gaps
    assert off == {}, f"polls not once every {EVERY:g}s (gaps between polls shown): {off}"
    assert len(pollers) >= 2, f"the polls were not shared: {pollers}"


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_kill_9_of_instances_loses_nothing_and_polls_go_on(
    tmp_path: Path, cluster_db: str, farm: NewsFarm, instances: Instances
) -> None:
    """The slowest cluster test (~55 s; `-m "not slow"` leaves it out): three kills at random moments,
    each followed by a fresh instance."""
    with WebhookSink() as hook:
        hook.delay = 0.03  # keeps deliveries in flight when a kill comes
        config = write_config(tmp_path / "config.yaml", cluster_db, hook, farm, range(OUTLETS))
        alive = [instances.start(config) for _ in range(3)]
        wait_until_polled(farm, OUTLETS)
        rng = random.Random(1409)
        kill_at = sorted(rng.uniform(2, 20) for _ in range(3))
        published: list[str] = []
        started = time.monotonic()
        while time.monotonic() - started < 24:
            time.sleep(1.0)
            title = f"NATO and Japan agree on patrol step {len(published)}"
            farm.publish(rng.randrange(OUTLETS), title)
            published.append(title)
            if kill_at and time.monotonic() - started >= kill_at[0]:
                kill_at.pop(0)
                busy = polling_instances(
                    cluster_db, *(farm.outlet(i) for i in range(OUTLETS))
                )  # kill one in the middle of a poll, if any is
                chosen = [p for p in alive if any(b.endswith(f":{p.pid}") for b in busy)] or alive
                victim = chosen[rng.randrange(len(chosen))]
                alive.remove(victim)
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                alive.append(instances.start(config))
        got = wait_for_titles(hook, published, timeout=60)
        ended = time.monotonic()
        keys: dict[str, set[str]] = defaultdict(set)
        with hook.lock:
            for r in hook.requests:
                keys[r.json["title"].removeprefix("[nato] ")].add(r.headers.get("x-pantau-delivery", ""))
        assert [p.wait(timeout=60) for p in alive if not p.send_signal(signal.SIGTERM)] == [0, 0, 0]

    assert farm.overlaps() == [], "a listing was fetched by two pollers at once"
    assert [t for t in published if not got[t]] == [], "alerts were lost"
    # A repeat is only the in-flight send a kill can interrupt: the same delivery, with the same key.
    assert [t for t, seen in keys.items() if len(seen) != 1 or "" in seen] == []
    longest = 0.0
    for i in range(OUTLETS):
        starts = [s for s, _e in farm.polls(farm.outlet(i)) if s > started] + [ended]
        gaps = [b - a for a, b in pairwise(starts)]
        assert max(gaps) < 60, f"{farm.outlet(i)} went unpolled for {max(gaps):.0f} s"
        longest = max(longest, *gaps)
    print(f"longest time a source went unpolled across three kills: {longest:.1f} s")  # pytest -s shows it
    stuck = scalar_rows(cluster_db, "SELECT id FROM procrastinate_jobs WHERE status = 'doing'")
    assert stuck == [], "jobs of killed instances were left in 'doing'"
    logs = "".join(instances.log(p) for p in instances.running)
    assert "jobs of a stopped instance freed" in logs  # a kill did land mid-poll


@pytest.mark.timeout(120)
def test_sigterm_lets_a_poll_finish_and_no_other_instance_reclaims_it_meanwhile(
    tmp_path: Path, cluster_db: str, farm: NewsFarm, instances: Instances
) -> None:
    """procrastinate stops a worker's heartbeat before its jobs drain: a sweep on the other instance sees
    the draining worker as dead after 10 s. The poll here takes 16 s, so it would be reclaimed (and its
    listing fetched again at the same time) if pantau trusted the heartbeat alone."""
    farm.slow["o00"] = 16.0
    farm.publish(0, "NATO and Japan open a joint radar station")
    with WebhookSink() as hook:
        config = write_config(tmp_path / "config.yaml", cluster_db, hook, farm, range(1))
        first, second = instances.start(config), instances.start(config)
        deadline = time.monotonic() + 40
        while not farm.arrived_now("o00") and time.monotonic() < deadline:
            time.sleep(0.1)
        holder = polling_instances(cluster_db, "o00")
        assert len(holder) == 1
        draining = first if holder[0].endswith(f":{first.pid}") else second
        other = second if draining is first else first
        draining.send_signal(signal.SIGTERM)
        assert draining.wait(timeout=60) == 0
        got = wait_for_titles(hook, ["NATO and Japan open a joint radar station"], timeout=15)
        other.send_signal(signal.SIGTERM)
        assert other.wait(timeout=60) == 0

    assert got["NATO and Japan open a joint radar station"] == 1
    assert farm.overlaps() == []
    # Without pantau's guard the sweep takes the job from the draining instance: the other one then runs
    # a poll of the source (and skips it, or fetches it a second time), and the draining one fails to
    # record its job as done.
    assert "another instance is polling it right now" not in instances.log(other)
    assert "jobs of a stopped instance freed" not in instances.log(other)
    assert "Traceback" not in instances.log(draining)
    first_job = scalar_rows(
        cluster_db,
        "SELECT status FROM procrastinate_jobs WHERE task_name = 'pantau.poll' ORDER BY id LIMIT 1",
    )
    assert first_job == [("succeeded",)]


@pytest.mark.timeout(120)
def test_a_config_edit_on_one_instance_reaches_the_others(
    tmp_path: Path, cluster_db: str, farm: NewsFarm, instances: Instances
) -> None:
    with WebhookSink() as hook:
        mine = write_config(tmp_path / "a.yaml", cluster_db, hook, farm, range(2))
        theirs = write_config(tmp_path / "b.yaml", cluster_db, hook, farm, range(2))
        a, b = instances.start(mine), instances.start(theirs)
        deadline = time.monotonic() + 30
        while not farm.polls("o00") and time.monotonic() < deadline:
            time.sleep(0.2)
        write_config(mine, cluster_db, hook, farm, range(4))  # two more sources, on a's file only
        a.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "config from the cluster loaded" not in instances.log(b):
            time.sleep(0.2)
        while time.monotonic() < deadline and not (farm.polls("o02") and farm.polls("o03")):
            time.sleep(0.2)
        assert instances.stop_all() == [0, 0]

    assert "config from the cluster loaded: 4 sources" in instances.log(b)
    assert farm.polls("o02") and farm.polls("o03")
    schedules = scalar_rows(cluster_db, "SELECT name FROM source_schedule ORDER BY name")
    assert schedules == [("o00",), ("o01",), ("o02",), ("o03",)]


@pytest.mark.timeout(120)
def test_polls_go_on_when_leftover_periodic_defer_rows_block_the_dispatcher(
    tmp_path: Path, cluster_db: str, farm: NewsFarm, instances: Instances
) -> None:
    """Rows in procrastinate_periodic_defers with no job (a killed worker's, or of deleted jobs) make
    procrastinate skip those ticks as 'already deferred'. Here every dispatcher tick of the next five
    minutes is taken that way: the instance notices that no tick runs and dispatches by itself."""
    engine = create_engine(cluster_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp)"
                " SELECT 'pantau.dispatch', 'dispatch', s"
                " FROM generate_series(extract(epoch FROM now())::bigint - 5,"
                " extract(epoch FROM now())::bigint + 300) AS s"
            )
        )
    engine.dispose()
    with WebhookSink() as hook:
        config = write_config(tmp_path / "config.yaml", cluster_db, hook, farm, range(2))
        node = instances.start(config)
        wait_until_polled(farm, 2)
        begin = time.monotonic()
        time.sleep(12)
        assert instances.stop_all() == [0]

    assert "no dispatcher tick" in instances.log(node)
    for i in range(2):
        assert sum(s >= begin for s, _e in farm.polls(farm.outlet(i))) >= 2  # every 5 s, 12 s long


@pytest.mark.timeout(120)
def test_an_instance_serves_the_web_view_health_and_metrics(
    tmp_path: Path, cluster_db: str, farm: NewsFarm, instances: Instances
) -> None:
    """Cluster mode serves what the embedded service serves: pages, /healthz and /metrics counting its polls."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families
    from support.smtp import free_port

    port = free_port()
    with WebhookSink() as hook:
        config = write_config(tmp_path / "config.yaml", cluster_db, hook, farm, range(2))
        config.write_text(config.read_text() + f'web: {{listen: "127.0.0.1:{port}"}}\n')
        process = instances.start(config)
        wait_until_polled(farm, 2)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        polls = 0.0
        while time.monotonic() < deadline and polls < 2:
            with urllib.request.urlopen(base + "/metrics", timeout=10) as reply:
                families = {f.name: f for f in text_string_to_metric_families(reply.read().decode())}
            polls = sum(
                s.value
                for s in families["pantau_polls"].samples
                if s.name == "pantau_polls_total" and s.labels["source"] in {farm.outlet(0), farm.outlet(1)}
            )
            time.sleep(0.5)
        assert polls >= 2, instances.log(process)
        with urllib.request.urlopen(base + "/healthz", timeout=10) as reply:
            assert reply.status == 200 and reply.read() == b"ok"
        with urllib.request.urlopen(base + "/sources", timeout=10) as reply:
            page = reply.read().decode()
        assert farm.outlet(0) in page and farm.outlet(1) in page
    assert instances.stop_all() == [0]
