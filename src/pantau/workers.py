"""A few worker processes, each behind one socket that the event loop watches: no thread in the main process.

A task is one message each way (bytes the caller pickled, bytes the worker's handler returned), sent to an
idle worker only, so neither side ever writes while the other is writing too. The event loop reads an
answer when the worker's socket turns readable (`loop.add_reader`); end of file on it means the worker is
gone, and only the task it held is lost (its callback gets None). A dead worker, or one retired after
`max_tasks`, is replaced when the next task needs it. Compared with concurrent.futures' process pool this
spares the main process two threads (the manager's and the queue feeder's), their wake-ups and hand-offs
of the interpreter lock, and a wrapper object per task.

A pool serves one event loop at a time: the first task binds it, and a loop that is not running (say a
finished `asyncio.run`) can hand it on to the next.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable
from multiprocessing import util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["Done", "Pool"]

log = logging.getLogger("pantau.workers")

Done = Callable[[bytes | None], None]  # told the answer, or None when the worker died holding the task


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
        self.ready = False  # it has said so: the event loop never waits on a worker still starting
        self.task: tuple[bytes, Done] | None = None
        self.tasks = 0  # answered so far


class Pool:
    def __init__(
        self,
        size: int,
        context: ForkServerContext,
        setup: Callable[..., None],
        args: tuple[Any, ...],
        handle: Callable[[bytes], bytes],
        max_tasks: int,
    ) -> None:
        self.size = size
        self._context = context
        self._target_args = (setup, args, handle)
        self._max_tasks = max_tasks
        self._workers: list[_Worker] = []
        self._retired: list[BaseProcess] = []  # hung up on, perhaps still ending
        self._waiting: collections.deque[tuple[bytes, Done]] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        # At the interpreter's exit, before multiprocessing joins its children, close our ends so that no
        # worker waits for a request (or to write an answer) that will never come; also when the pool is
        # dropped without close().
        util.Finalize(self, _hang_up, (self._workers,), exitpriority=10)

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def spawn(self) -> None:
        """Start the missing workers now. Blocks while the fork server starts (about half a second the
        first time), so it may run in a thread, before the pool is bound to its event loop."""
        while len(self._workers) < self.size:
            worker = _Worker(self._context, self._target_args)
            self._workers.append(worker)
            if self._loop is not None:
                self._loop.add_reader(worker.conn.fileno(), self._readable, worker)

    def run(self, request: bytes, done: Done) -> None:
        """Hand `request` to a worker; `done` is called from the event loop with the answer. Call it from
        the event loop."""
        self._bind(asyncio.get_running_loop())
        self._waiting.append((request, done))
        self._dispatch()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        if self._loop is not None and self._loop.is_running():
            raise RuntimeError("workers: a pool serves one running event loop at a time")
        for worker in self._workers:
            if self._loop is not None:
                self._loop.remove_reader(worker.conn.fileno())  # nothing to do if that loop is closed
            loop.add_reader(worker.conn.fileno(), self._readable, worker)
        self._loop = loop

    def _dispatch(self) -> None:
        if self._waiting and not self._closing:
            try:
                self.spawn()
            except Exception:  # out of memory or processes: the workers still there go on, if any
                log.exception("workers: could not start a worker process")
        if not self._workers:  # none could start, or closing and the last one died
            self._fail_waiting()
        for worker in self._workers:
            if not self._waiting:
                break
            if worker.ready and worker.task is None:
                worker.task = self._waiting.popleft()
                with contextlib.suppress(OSError):  # it died since its last answer: the reader hears of it
                    worker.conn.send_bytes(worker.task[0])

    def _fail_waiting(self) -> None:
        while self._waiting:
            self._waiting.popleft()[1](None)

    def _readable(self, worker: _Worker) -> None:
        try:
            answer: bytes | None = worker.conn.recv_bytes()
        except (EOFError, OSError):
            answer = None
        task, worker.task = worker.task, None
        if answer is None:
            self._retire(worker)
            if not worker.ready:  # it died starting: so may the next, so these are not kept waiting
                self._fail_waiting()
        elif not worker.ready:
            worker.ready = True
        else:
            worker.tasks += 1
            if worker.tasks >= self._max_tasks:
                self._retire(worker)
        if self._closing and not self._waiting and worker in self._workers:
            self._retire(worker)
        if task is not None:
            task[1](answer)
        self._dispatch()

    def _retire(self, worker: _Worker) -> None:
        """Hang up on a worker: it ends once it has answered what it holds (and our end is gone)."""
        self._workers.remove(worker)
        if self._loop is not None:
            self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        self._retired = [p for p in self._retired if _running(p)]
        self._retired.append(worker.process)

    def close(self, *, wait: bool = True) -> None:
        """Retire the workers once the tasks handed over are answered: with `wait`, before returning
        (reading the answers here), else as the answers come in."""
        self._closing = True
        if wait:
            while busy := [w for w in self._workers if w.task is not None]:
                self._readable(busy[0])  # blocks until it answers or dies
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
