"""Article pages read in worker processes: the same result as in the main process, and a worker that dies
or is sent a stop signal costs at most the pages it held."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.demo import DEMO_CONFIG, demo_pages
from support.site import ScriptedSite

from pantau.analyse import WORKER_NICENESS, Analyser, Analysis, ArticlePage, WorkerDied, default_workers
from pantau.clock import utc_now
from pantau.config import SourceConfig, load_config
from pantau.errors import ExtractError
from pantau.fetch import Fetcher, make_client
from pantau.pipeline import Context, PollResult, poll_source
from pantau.rules import RuleSpec, compile_rules
from pantau.store import Store


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> object:
    # The demo config's variables are given to this one load, never set in the tests' own environment.
    env = {
        **os.environ,
        "PANTAU_DEMO_URL": "http://127.0.0.1:9",
        "PANTAU_DEMO_DB": f"sqlite:///{tmp_path_factory.mktemp('db') / 'demo.db'}",
    }
    return load_config(DEMO_CONFIG, env=env).ruleset


def test_reading_the_rules_leaves_the_environment_alone(rules: object) -> None:
    assert os.environ.get("PANTAU_DEMO_URL") != "http://127.0.0.1:9"
    assert "demo.db" not in os.environ.get("PANTAU_DEMO_DB", "")


async def read_all(analyser: Analyser, pages: list[ArticlePage]) -> list[Analysis]:
    return list(await asyncio.gather(*(analyser(page) for page in pages)))


def test_workers_read_exactly_what_the_main_process_reads(rules: object) -> None:
    pages = demo_pages()
    inline = asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]
    with Analyser(rules, workers=2) as pooled:  # type: ignore[arg-type]
        in_workers = asyncio.run(read_all(pooled, pages))
    assert in_workers == inline
    assert any(a.matches for a in inline), "the demo pages match the demo rules"
    assert all(a.extracted.body for a in inline)


def test_pages_handed_over_together_each_get_their_own_result_or_error(rules: object) -> None:
    """Pages that come in one turn of the event loop go to a worker as one task: each still gets its own
    analysis, a page with no article its own error, and a caller that gives up leaves the others theirs."""
    pages = demo_pages()
    empty = ArticlePage(b"<html><body></body></html>", None, "http://demo.test/empty", "warta")

    async def scenario(analyser: Analyser) -> tuple[list[object], Analysis]:
        await analyser(pages[2])  # the worker is up: pages asked for from here are handed over at once
        given_up = asyncio.ensure_future(analyser(pages[0]))
        kept = asyncio.ensure_future(analyser(pages[1]))
        await asyncio.sleep(0)  # both handed over
        given_up.cancel()
        together = [analyser(page) for page in [pages[0], empty, *pages[1:]]]
        return await asyncio.gather(*together, return_exceptions=True), await kept

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        outcomes, kept = asyncio.run(scenario(analyser))
    inline = asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]
    assert isinstance(outcomes[1], ExtractError)
    assert str(outcomes[1]) == "extract: no article found in http://demo.test/empty"
    assert [outcomes[0], *outcomes[2:]] == inline
    assert kept == inline[1]


class _KillsTheWorker:
    """Unpickling this in a worker ends that process at once, as a parser crash or the OOM killer would."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return os._exit, (1,)


def test_a_worker_that_dies_costs_one_page_and_the_pool_recovers(rules: object) -> None:
    page = demo_pages()[0]
    deadly = ArticlePage(page.body, None, "http://demo.test/deadly", "warta", _KillsTheWorker())  # type: ignore[arg-type]

    async def scenario(analyser: Analyser) -> tuple[str, Analysis]:
        with pytest.raises(WorkerDied) as died:
            await analyser(deadly)
        return str(died.value), await analyser(page)

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        message, after = asyncio.run(scenario(analyser))
    assert message == "extract: the analysis worker died while reading http://demo.test/deadly"
    assert after.extracted.body


def test_workers_ignore_stop_signals_until_the_service_closes_them(rules: object) -> None:
    pages = demo_pages()

    async def scenario(analyser: Analyser) -> list[Analysis]:
        await analyser(pages[0])  # starts the workers
        assert analyser._pool is not None
        workers = list(analyser._pool.pids)
        assert workers
        for pid in workers:  # what a terminal's Ctrl-C or systemd's stop sends to the whole group
            os.kill(pid, signal.SIGINT)
            os.kill(pid, signal.SIGTERM)
        await asyncio.sleep(0.3)
        return await read_all(analyser, pages)

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        after = asyncio.run(scenario(analyser))
        pool_workers = list(analyser._pool.pids)  # type: ignore[union-attr]
    assert len(after) == len(pages)
    for pid in pool_workers:  # closing the analyser stops them
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_give_way_to_the_main_process_when_cpu_is_short(rules: object) -> None:
    async def scenario(analyser: Analyser) -> list[int]:
        await analyser(demo_pages()[0])  # starts the workers
        assert analyser._pool is not None
        return list(analyser._pool.pids)

    with Analyser(rules, workers=2) as analyser:  # type: ignore[arg-type]
        workers = asyncio.run(scenario(analyser))
        niceness = [os.getpriority(os.PRIO_PROCESS, pid) for pid in workers]
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert len(workers) == 2 and niceness == [min(19, mine + WORKER_NICENESS)] * 2


def test_a_closed_analyser_reads_in_the_main_process(rules: object) -> None:
    """A poll that outlives a reload finishes its pages after the old workers are gone."""
    analyser = Analyser(rules, workers=1)  # type: ignore[arg-type]
    analyser.close()
    result = asyncio.run(analyser(demo_pages()[0]))
    assert result.extracted.body and analyser._pool is None


@pytest.mark.parametrize(("cpus", "workers"), [(None, 0), (1, 0), (2, 1), (4, 3), (64, 3)])
def test_default_workers_leave_the_main_process_a_core(
    monkeypatch: pytest.MonkeyPatch, cpus: int | None, workers: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert default_workers() == workers


ORPHAN_SCRIPT = """
import asyncio, os, sys, time
sys.path[:0] = [{tests!r}]
from support.demo import demo_pages, DEMO_CONFIG
from pantau.analyse import Analyser
from pantau.clock import utc_now
from pantau.config import SourceConfig, load_config
from pantau.errors import ExtractError

if __name__ == "__main__":
    analyser = Analyser(load_config(DEMO_CONFIG).ruleset, workers=1)
    asyncio.run(analyser(demo_pages()[0]))
    print(*analyser._pool.pids, flush=True)
    time.sleep(120)
"""


def test_workers_end_soon_after_the_main_process_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    here = Path(__file__).parent
    script.write_text(ORPHAN_SCRIPT.format(tests=str(here.parent)))
    env = {**os.environ, "PANTAU_DEMO_URL": "http://127.0.0.1:9", "PANTAU_DEMO_DB": "sqlite:///x.db"}
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    assert main.stdout is not None
    workers = [int(pid) for pid in main.stdout.readline().split()]
    assert workers
    main.kill()  # kill -9: no chance to shut the pool down
    main.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in workers if _running(pid)]
    assert not alive, f"workers outlived their main process: {alive}"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def test_pages_lost_with_a_worker_are_read_again_on_the_next_poll(
    tmp_path: Path, site: ScriptedSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANTAU_DEMO_URL", site.url)
    monkeypatch.setenv("PANTAU_DEMO_DB", f"sqlite:///{tmp_path / 'p.db'}")
    config = load_config(DEMO_CONFIG)
    warta = config.source("warta")
    deadly = dataclasses.replace(warta, article=_KillsTheWorker())  # type: ignore[arg-type]

    async def poll(source: SourceConfig, store: Store) -> PollResult:
        async with make_client() as client:
            with Analyser(config.ruleset, workers=1) as analyser:
                ctx = Context(config, store, Fetcher(client, clock=utc_now), utc_now, analyser)
                return await poll_source(source, ctx)

    with Store.open(config.database) as store:
        first = asyncio.run(poll(deadly, store))
        assert first.new_articles == 0 and first.errors
        assert all("the analysis worker died" in e for e in first.errors)
        second = asyncio.run(poll(warta, store))
    assert second.new_articles == 6 and not second.errors


def test_each_analyser_reads_with_its_own_rules() -> None:
    """After a reload the old and the new Analyser run side by side for a while, each with its rules."""
    pages = demo_pages()
    wide = compile_rules([RuleSpec("any-warta", "source:warta")], {})
    narrow = compile_rules([RuleSpec("never", "zzyzx")], {})
    with Analyser(wide, workers=1) as old, Analyser(narrow, workers=1) as new:

        async def both() -> tuple[list[Analysis], list[Analysis]]:
            return await read_all(old, pages), await read_all(new, pages)

        from_old, from_new = asyncio.run(both())
    assert {m.rule for a in from_old for m in a.matches} == {"any-warta"}
    assert not any(a.matches for a in from_new)


def test_a_reload_ends_the_old_workers_once_their_pages_are_done(rules: object) -> None:
    """A reload closes the old Analyser without waiting: its workers must not pile up."""
    analyser = Analyser(rules, workers=2)  # type: ignore[arg-type]
    asyncio.run(read_all(analyser, demo_pages()))
    assert analyser._pool is not None
    workers = list(analyser._pool.pids)
    assert len(workers) == 2
    analyser.close(wait=False)
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in workers if _running(pid)]
    assert not alive, f"workers outlived their closed analyser: {alive}"


def test_workers_started_ahead_read_the_first_page(rules: object) -> None:
    """`start()` (used by `once`) brings the workers up in the background, while the loop goes on
    fetching: the first page finds them there, and reads as in the main process."""
    page = demo_pages()[0]

    async def scenario(analyser: Analyser) -> tuple[list[int], list[int], Analysis]:
        analyser.start()
        analyser.start()  # a second call changes nothing
        assert analyser._starting is not None
        await analyser._starting
        assert analyser._pool is not None
        before = list(analyser._pool.pids)
        result = await analyser(page)
        return before, list(analyser._pool.pids), result

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        before, after, result = asyncio.run(scenario(analyser))
    assert before and before == after  # no worker was started for the page itself
    assert result == asyncio.run(Analyser(rules, workers=0)(page))  # type: ignore[arg-type]


def test_closing_while_workers_start_leaves_no_worker_behind(rules: object) -> None:
    async def scenario(analyser: Analyser) -> None:
        analyser.start()
        analyser.close()  # a reload or a stop as soon as the pass began
        assert analyser._starting is not None
        await analyser._starting
        assert analyser._pool is None
        # pages still asked for after the close are read in the main process, as before
        assert (await analyser(demo_pages()[0])).extracted.body

    asyncio.run(scenario(Analyser(rules, workers=1)))  # type: ignore[arg-type]


def test_a_worker_that_dies_costs_only_the_pages_it_held(rules: object) -> None:
    """With two workers, a burst goes out as two tasks: the one with the deadly page fails, page by page;
    the other worker's pages are read as ever."""
    pages = demo_pages()[:3]
    deadly = ArticlePage(pages[0].body, None, "http://demo.test/deadly", "warta", _KillsTheWorker())  # type: ignore[arg-type]

    async def scenario(analyser: Analyser) -> list[object]:
        await read_all(analyser, pages)
        assert analyser._pool is not None
        while analyser._pool.idle < 2:  # both workers up
            await asyncio.sleep(0.01)
        burst = [deadly, *pages]  # as two tasks: [deadly, pages[0]] and [pages[1], pages[2]]
        return await asyncio.gather(*(analyser(page) for page in burst), return_exceptions=True)

    with Analyser(rules, workers=2) as analyser:  # type: ignore[arg-type]
        died, first, second, third = asyncio.run(scenario(analyser))
    inline = asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]
    assert isinstance(died, WorkerDied) and isinstance(first, WorkerDied)
    assert str(first) == f"extract: the analysis worker died while reading {pages[0].url}"
    assert [second, third] == inline[1:]


class _FailsToUnpickle:
    """Unpickling this in a worker raises, as a page from a newer pantau might."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return int, ("not a number",)


def test_a_page_the_worker_cannot_unpickle_fails_alone_and_the_worker_goes_on(rules: object) -> None:
    page = demo_pages()[0]
    odd = ArticlePage(page.body, None, "http://demo.test/odd", "warta", _FailsToUnpickle())  # type: ignore[arg-type]

    async def scenario(analyser: Analyser) -> tuple[BaseException, Analysis, list[int], list[int]]:
        await analyser(page)
        assert analyser._pool is not None
        before = analyser._pool.pids
        with pytest.raises(ValueError) as failed:
            await analyser(odd)
        return failed.value, await analyser(page), before, analyser._pool.pids

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        error, after, before, workers = asyncio.run(scenario(analyser))
    assert "not a number" in str(error)
    assert after.extracted.body and workers == before


def test_a_worker_killed_while_idle_costs_no_page(rules: object) -> None:
    pages = demo_pages()

    async def scenario(analyser: Analyser) -> tuple[list[int], list[Analysis]]:
        await analyser(pages[0])
        assert analyser._pool is not None
        killed = analyser._pool.pids
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # as the OOM killer would, between two polls
        deadline = time.monotonic() + 10
        while set(killed) & set(analyser._pool.pids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the next poll comes later, when the pool has seen its end
        return killed, await read_all(analyser, pages)

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        killed, after = asyncio.run(scenario(analyser))
        assert analyser._pool is not None
        assert analyser._pool.pids and not set(analyser._pool.pids) & set(killed)
    assert after == asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]


def test_a_worker_is_replaced_after_its_share_of_tasks(
    rules: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pantau.analyse.MAX_TASKS_PER_WORKER", 2)
    pages = demo_pages()[:5]

    async def scenario(analyser: Analyser) -> tuple[list[int], list[Analysis]]:
        seen, results = [], []
        for page in pages:  # one task each
            results.append(await analyser(page))
            assert analyser._pool is not None
            seen += analyser._pool.pids
        return seen, results

    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        seen, results = asyncio.run(scenario(analyser))
    assert results == asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]
    assert len(set(seen)) == 3  # tasks 1-2, 3-4 and 5, each pair in a worker of its own
    assert not any(_running(pid) for pid in seen)


def test_a_burst_is_spread_over_the_idle_workers(rules: object) -> None:
    pages = demo_pages()

    async def scenario(analyser: Analyser) -> list[int]:
        await read_all(analyser, pages)
        assert analyser._pool is not None
        while analyser._pool.idle < 2:  # both workers up
            await asyncio.sleep(0.01)
        before = [w.tasks for w in analyser._pool._workers]
        await read_all(analyser, pages)
        after = [w.tasks for w in analyser._pool._workers]
        return [later - earlier for later, earlier in zip(after, before, strict=True)]

    with Analyser(rules, workers=2) as analyser:  # type: ignore[arg-type]
        assert asyncio.run(scenario(analyser)) == [1, 1]


def test_an_analyser_serves_one_event_loop_after_another(rules: object) -> None:
    """Its workers outlive the loop that started them: the next loop reads with the same ones."""
    pages = demo_pages()
    with Analyser(rules, workers=1) as analyser:  # type: ignore[arg-type]
        first = asyncio.run(read_all(analyser, pages))
        assert analyser._pool is not None
        workers = analyser._pool.pids
        second = asyncio.run(read_all(analyser, pages))
        assert analyser._pool.pids == workers
    assert first == second == asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]


def test_closing_without_waiting_still_reads_the_pages_handed_over(rules: object) -> None:
    pages = demo_pages()

    async def scenario(analyser: Analyser) -> tuple[list[int], list[Analysis]]:
        await analyser(pages[0])
        assert analyser._pool is not None
        workers = analyser._pool.pids
        reading = asyncio.gather(*(analyser(page) for page in pages))
        await asyncio.sleep(0)  # handed over
        analyser.close(wait=False)
        return workers, await reading

    workers, results = asyncio.run(scenario(Analyser(rules, workers=2)))  # type: ignore[arg-type]
    assert results == asyncio.run(read_all(Analyser(rules, workers=0), pages))  # type: ignore[arg-type]
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)


def test_an_analyser_leaves_no_file_descriptor_open(rules: object) -> None:
    page = demo_pages()[0]
    with Analyser(rules, workers=1) as warm:  # type: ignore[arg-type]
        asyncio.run(warm(page))  # the fork server runs from here on, with its own descriptors
    before = sorted(os.listdir("/proc/self/fd"))

    async def scenario(analyser: Analyser) -> None:
        await read_all(analyser, demo_pages())
        assert analyser._pool is not None
        for pid in analyser._pool.pids[:1]:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while pid in analyser._pool.pids and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        await read_all(analyser, demo_pages())  # with a replacement

    with Analyser(rules, workers=2) as analyser:  # type: ignore[arg-type]
        asyncio.run(scenario(analyser))
    assert sorted(os.listdir("/proc/self/fd")) == before


EXIT_SCRIPT = """
import asyncio, sys
sys.path[:0] = [{tests!r}]
from support.demo import demo_pages, DEMO_CONFIG
from pantau.analyse import Analyser
from pantau.config import load_config

async def main():
    rules = load_config(DEMO_CONFIG).ruleset
    closed, left = Analyser(rules, workers=2), Analyser(rules, workers=1)
    for analyser in (closed, left):
        await asyncio.gather(*(analyser(page) for page in demo_pages()))
    closed.close(wait=False)
    global kept
    kept = left  # never closed: its workers must not keep the process from ending
    print("read", flush=True)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_the_main_process_exits_at_once_and_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    script.write_text(EXIT_SCRIPT.format(tests=str(Path(__file__).parent.parent)))
    env = {**os.environ, "PANTAU_DEMO_URL": "http://127.0.0.1:9", "PANTAU_DEMO_DB": "sqlite:///x.db"}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-W", "always", str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "read\n", "")
    assert time.monotonic() - began < 20
