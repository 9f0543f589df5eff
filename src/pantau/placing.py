"""The pipeline's writes, grouped: articles that are ready at the same moment share one transaction.

Each new article ends in `Store.place_article` (its story, alerts and outbox rows in one transaction). With
one commit per article the commits cost more than the placements (on the 2-core machine about 0.5 ms of an
article's ~1 ms). `Placer.place` queues the article and returns when it is stored; the queue is written in
the next turn of the event loop, as one `Store.place_articles` call, so the articles that finish being read
in the same moment (workers answer in bursts) are placed together, in the order they arrived, each seeing
the ones before it. Nothing waits on purpose: a lone article is written at once, as before. A batch holds the
store's write lock for at most `MAX_BATCH` placements, so other writers never wait long.
"""

from __future__ import annotations

import asyncio

from pantau.store import Placed, Placement, Store

MAX_BATCH = 32  # placements per transaction (~30 ms of the write lock at most)


class Placer:
    def __init__(self, store: Store, *, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be 1 or more")
        self._store = store
        self._max_batch = max_batch
        self._queue: list[tuple[Placement, asyncio.Future[Placed]]] = []
        self._scheduled = False
        self.batches = 0  # transactions written (for benchmarks and tests)
        self.placed = 0  # placements written

    async def place(self, placement: Placement) -> Placed:
        """Store one article (see Store.place_article); raises what its placement raised."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Placed] = loop.create_future()
        self._queue.append((placement, done))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._write)
        return await done

    def _write(self) -> None:
        batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        self._scheduled = bool(self._queue)
        if self._queue:  # the rest in the next turn, so the loop is not held for the whole queue
            asyncio.get_running_loop().call_soon(self._write)
        try:
            results = self._store.place_articles([placement for placement, _ in batch])
        except Exception as exc:  # the transaction itself failed: nothing of the batch was stored
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        self.batches += 1
        self.placed += len(batch)
        for (_, done), result in zip(batch, results, strict=True):
            if done.done():  # its poll was cancelled meanwhile; the article is stored all the same
                continue
            if isinstance(result, Exception):
                done.set_exception(result)
            else:
                done.set_result(result)
