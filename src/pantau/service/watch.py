"""Watching config.yaml: a saved edit reaches the service within about two seconds, as SIGHUP would.

The config's folder is watched (watchfiles), not the file: editors that save by writing a new file and
renaming it over the old one, and mounts that swap a symlink (Kubernetes' ConfigMaps), replace the file's
inode, which a watch on the file itself would lose. What counts is the file's content: any event in the
folder leads to reading it, and only a content different from the last one seen is reported. Every few
seconds the content is also read without an event, and the watch is set up again if the folder itself
was replaced, so a watch that the kernel dropped (or a file system without inotify) is only slower.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import awatch

log = logging.getLogger("pantau.service")

RECHECK_MS = 3000  # read the file this often even without an event
SETTLE = 0.15  # seconds a new content must stay the same before it counts (a save in several writes)


def digest(path: Path) -> str | None:
    """The file's content hash, or None when it cannot be read (gone, or half-replaced)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


async def watch_file(
    path: Path,
    changed: Callable[[str | None], Awaitable[None]],
    stop: asyncio.Event,
    seen: str | None = None,
) -> None:
    """Call `changed(digest)` each time the content of `path` differs from the last seen (`seen` at
    start); None when the file is gone. Returns when `stop` is set."""
    path = path.absolute()
    folder = path.parent
    last = seen if seen is not None else digest(path)
    while not stop.is_set():
        try:
            inode = folder.stat().st_ino
        except OSError:
            await _sleep(stop, RECHECK_MS / 1000)  # the folder is being replaced: wait for it to return
            continue
        events = awatch(
            folder,
            watch_filter=None,
            recursive=False,
            step=50,
            rust_timeout=RECHECK_MS,
            yield_on_timeout=True,
            stop_event=stop,
        )
        try:
            async with contextlib.aclosing(events):
                async for changes in events:
                    current = await _settled(path)
                    if current != last:
                        last = current
                        await changed(current)
                    if _inode(folder) != inode or any(Path(where) == folder for _, where in changes):
                        break  # the folder was replaced (its inode number may be reused): watch the new one
        except (OSError, RuntimeError) as exc:  # watchfiles reports a vanished folder as either
            log.debug("config watch restarts: %s", exc)
            await _sleep(stop, 1)


async def _settled(path: Path) -> str | None:
    current = digest(path)
    while True:
        await asyncio.sleep(SETTLE)
        again = digest(path)
        if again == current:
            return current
        current = again


def _inode(folder: Path) -> int | None:
    try:
        return folder.stat().st_ino
    except OSError:
        return None


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
