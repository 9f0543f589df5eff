"""The cyclic garbage collector, set for a long pass of short-lived objects after a big start-up.

A pantau process imports most of what it will ever hold (SQLAlchemy, aiohttp, the config and its compiled
rules) before its first poll, then makes pages, rows, futures and dataclasses by the hundred thousand, nearly
all freed at once by their reference counts. With CPython's defaults (a young collection every 700 net
allocations, a full one every 100 young ones) the collector kept walking the start-up heap: in `pantau once`
over 1,000 pages it took 130-140 ms of the main process's CPU, two full collections alone 70 ms
(benchmarks/once_cpu.py shows it). `settle()` moves everything alive at that moment out of the collector's
sight (`gc.freeze`: it is never freed anyway) and collects the young generation every 10,000 allocations
instead of 700; about 40 ms remain. Reference counting is untouched: only garbage in cycles waits longer,
and for at most 10,000 allocations.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 10_000  # net allocations between young collections (CPython's default: 700)
_settled = False


def settle() -> None:
    """Call once the process has loaded what it runs on (before the first poll). Only the first call in a
    process does anything: a service that reloads its config, or tests running many passes in one
    process, do not freeze again what later passes left behind."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
