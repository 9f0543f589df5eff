"""Source schedules in the store (cluster mode), on SQLite and PostgreSQL: each due source is handed out
once per interval, however many dispatchers ask at once, and a new config reschedules at once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from pantau.store import Store

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


def test_a_due_source_is_handed_out_once_per_interval(store: Store) -> None:
    store.sync_schedules({"a": 5 * S, "b": 60 * S}, T0)
    handed: list[str] = []
    for second in range(61):
        handed += store.claim_due_sources(T0 + second * S)
    assert handed.count("a") == 13  # at 0, 5, … 60 s
    assert handed.count("b") == 2  # at 0 and 60 s


def test_after_a_pause_a_source_is_due_once_then_keeps_its_interval(store: Store) -> None:
    store.sync_schedules({"a": 5 * S}, T0)
    assert store.claim_due_sources(T0) == ["a"]
    assert store.claim_due_sources(T0 + 60 * S) == ["a"]  # twelve intervals missed: one poll, no burst
    assert store.claim_due_sources(T0 + 61 * S) == []
    assert store.claim_due_sources(T0 + 65 * S) == ["a"]


def test_dispatchers_claiming_at_once_share_the_sources_without_overlap(store: Store) -> None:
    names = {f"s{i:03d}": 5 * S for i in range(200)}
    store.sync_schedules(names, T0)
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda _n: store.claim_due_sources(T0, limit=60), range(4)))
    handed = [name for claim in claims for name in claim]
    assert len(handed) == len(set(handed)) == 200


def test_a_new_config_reschedules_at_once(store: Store) -> None:
    store.sync_schedules({"a": 3600 * S, "b": 60 * S}, T0)
    store.claim_due_sources(T0)
    store.sync_schedules({"a": 10 * S, "c": 60 * S}, T0 + 2 * S)  # a faster, b gone, c new
    assert {s.name: (s.every, s.next_due_at) for s in store.schedules()} == {
        "a": (10 * S, T0 + 12 * S),
        "c": (60 * S, T0 + 2 * S),
    }
    assert store.claim_due_sources(T0 + 2 * S) == ["c"]


def test_cluster_facts_are_shared_and_replaced(store: Store) -> None:
    assert store.cluster_fact("config") is None
    store.set_cluster_fact("config", "sources: []", T0)
    store.set_cluster_fact("config", "sources: [x]", T0 + S)
    assert store.cluster_fact("config") == ("sources: [x]", T0 + S)
