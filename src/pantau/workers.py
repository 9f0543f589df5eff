"""A few worker processes, each behind one socket that the event loop watches: no thread in the main process.

A task is one message each way (bytes the caller pickled, bytes the worker's handler returned), handed
to an idle worker only, so neither side ever writes while the other is writing too, and the event loop
never waits on a worker that is busy (a worker says when it is ready, after its setup). The loop reads an
answer when the worker's socket turns readable (`loop.add_reader`); end of file there means the worker is
gone, and only the task it held is lost (its callback gets None). A worker that dies after its setup, or
is retired after `max_tasks`, is replaced at once. Whenever a worker turns idle the pool calls `on_idle`,
so that the caller hands it what has come meanwhile, as one task. Compared with concurrent.futures' process
pool this spares the main process two threads (the manager's and the queue feeder's), their wake-ups and
hand-offs of the interpreter lock, and a wrapper object per task.

A pool serves one event loop at a time (`bind`); a loop that is not running (a finished `asyncio.run`)
can hand it on to the next.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from multiprocessing import util
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio  # a worker, which imports this module too, never needs it

__all__ = ["Done", "Pool", "default_workers", "workers_for"]

log = logging.getLogger("pantau.workers")

Done = Callable[[bytes | None], None]  # told the answer, or None when the worker died holding the task


def default_workers() -> int:
    """One fewer than the CPUs (the main process fetches, places and writes), at most 3: past that the
    main process is the bottleneck."""
    return max(0, min(3, (os.cpu_count() or 1) - 1))


def workers_for(asked: int | None) -> int:
    """The workers a config's `workers` asks for; None: default_workers()."""
    return default_workers() if asked is None else asked


def _serve(
    conn: Connection, setup: Callable[..., None], args: tuple[Any, ...], handle: Callable[[bytes], bytes]
) -> None:
    """A worker's life: say it is ready, then answer each request, until the main process hangs up (or is
    gone)."""
    setup(*args)
    answer = b""  # ready: only now may a request come that is larger than the socket's buffer
    while True:
        try:
            conn.send_bytes(answer)
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        answer = handle(request)


class _Worker:
    def __init__(self, context: ForkServerContext, target_args: tuple[Any, ...]) -> None:
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, *target_args), name="pantau-worker")
        try:
            self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            theirs.close()  # the worker holds its own copy: its end of file is ours closing
        self.ready = False  # it has said so
        self.task: Done | None = None
        self.tasks = 0  # answered so far


class Pool:
    def __init__(
        self,
        size: int,
        context: ForkServerContext,
        worker: tuple[Callable[..., None], tuple[Any, ...], Callable[[bytes], bytes]],
        max_tasks: int,
        on_idle: Callable[[], None],
    ) -> None:
        """`worker` is (setup, its arguments, handler): each worker calls setup(*arguments) once, then
        handler(request) -> answer for each task; all three must pickle."""
        self.size = size
        self._context = context
        self._target_args = worker
        self._max_tasks = max_tasks
        self._on_idle = on_idle
        self._workers: list[_Worker] = []
        self._retired: list[BaseProcess] = []  # hung up on, perhaps still ending
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        # At the interpreter's exit, before multiprocessing joins its children, hang up on the workers so
        # that none waits for a request that will never come; also when the pool is dropped unclosed.
        util.Finalize(self, _hang_up, (self._workers,), exitpriority=10)

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def live(self) -> int:
        return len(self._workers)

    @property
    def idle(self) -> int:
        return sum(w.ready and w.task is None for w in self._workers)

    @property
    def busy(self) -> int:
        return sum(w.task is not None for w in self._workers)

    def spawn(self) -> None:
        """Start the missing workers now. Blocks while the fork server starts (about half a second the
        first time), so it may run in a thread, before the pool is bound to its event loop."""
        while len(self._workers) < self.size and not self._closing:
            worker = _Worker(self._context, self._target_args)
            self._workers.append(worker)
            if self._loop is not None:
                self._loop.add_reader(worker.conn.fileno(), self._readable, worker)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serve `loop` from now on: its callbacks read the answers."""
        if self._loop is loop:
            return
        if self._loop is not None and self._loop.is_running():
            raise RuntimeError("workers: a pool serves one running event loop at a time")
        for worker in self._workers:
            if self._loop is not None:
                self._loop.remove_reader(worker.conn.fileno())  # nothing to do if that loop is closed
            loop.add_reader(worker.conn.fileno(), self._readable, worker)
        self._loop = loop

    def run(self, request: bytes, done: Done) -> bool:
        """Hand `request` to an idle worker (see `idle`); `done` is told its answer from the bound loop.
        False if that worker turns out to have died since its last answer (it is replaced): try again."""
        worker = next(w for w in self._workers if w.ready and w.task is None)
        try:
            worker.conn.send_bytes(request)
        except OSError:
            self._retire(worker)
            self._replace()
            return False
        worker.task = done
        return True

    def wait(self) -> None:
        """Block until a worker answers, says it is ready or dies, and deal with that."""
        readable = wait([w.conn for w in self._workers])
        self._readable(next(w for w in self._workers if w.conn in readable))

    def _readable(self, worker: _Worker) -> None:
        try:
            answer: bytes | None = worker.conn.recv_bytes()
        except (EOFError, OSError):
            answer = None
        task, worker.task = worker.task, None
        if answer is None:
            self._retire(worker)
            if worker.ready:  # one that dies in its setup is not replaced: so would the next
                self._replace()
        else:
            worker.tasks += worker.ready
            worker.ready = True
            if self._closing or worker.tasks >= self._max_tasks:
                self._retire(worker)
                self._replace()
        if task is not None:
            task(answer)
        self._on_idle()

    def _replace(self) -> None:
        try:
            self.spawn()
        except Exception:  # out of memory or processes: the workers still there go on, if any
            log.exception("workers: could not start a worker process")

    def _retire(self, worker: _Worker) -> None:
        """Hang up on a worker: it ends once it has answered what it holds (and our end is gone)."""
        self._workers.remove(worker)
        if self._loop is not None:
            self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        self._retired = [p for p in self._retired if _running(p)]
        self._retired.append(worker.process)

    def close(self, *, wait: bool = True) -> None:
        """Retire the workers once the tasks they hold are answered: with `wait`, before returning
        (reading the answers here), else as the answers come in."""
        self._closing = True
        while wait and self.busy:
            self.wait()
        for worker in [w for w in self._workers if w.task is None]:
            self._retire(worker)
        if wait:
            for process in self._retired:
                process.join()
                process.close()
            self._retired.clear()


def _running(process: BaseProcess) -> bool:
    if process.exitcode is None:
        return True
    process.close()  # its end-of-life pipe from the fork server: one file descriptor fewer
    return False


def _hang_up(workers: list[_Worker]) -> None:
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.conn.close()
