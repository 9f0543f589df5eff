"""Per-source locks that live exactly as long as the process holding them (cluster mode).

A PostgreSQL session advisory lock is held while a source is polled, on one connection of the instance's
own. PostgreSQL lets it go the moment that connection ends: a clean exit, a kill -9, or (with the TCP
keepalives set below) a machine that lost power. So "is the lock free?" answers "is anyone still polling
this source?" from the database's own knowledge of live sessions, not from a heartbeat that may have
stopped early (procrastinate stops its heartbeat before in-flight jobs drain on shutdown) or may be late.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

# Server-side keepalives for the lock connection (seconds, probes): a peer that vanished without closing
# its socket (power loss) is noticed in about idle + interval * count, and its locks are freed.
KEEPALIVE = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a source name, in a namespace of pantau's own."""
    digest = hashlib.blake2b(b"pantau-poll:" + name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SourceLocks:
    """`take(name)` before polling, `release(name)` after; `free(name)` asks whether nobody holds it."""

    def __init__(self, engine: Engine, holder: str = "pantau") -> None:
        self._engine = engine
        self._holder = holder  # the session's application_name: pg_stat_activity shows who holds what
        self._connection: Any = None
        self.held: set[str] = set()
        # SQLite has one process per database file here (cluster mode needs PostgreSQL): local locks do.
        self._local = engine.dialect.name != "postgresql"

    def take(self, name: str) -> bool:
        if name in self.held:
            return False  # session locks are re-entrant: this process polls the source already
        if not self._ask("SELECT pg_try_advisory_lock(%s)", lock_key(name)):
            return False
        self.held.add(name)
        return True

    def release(self, name: str) -> None:
        if name in self.held:
            self.held.discard(name)
            self._ask("SELECT pg_advisory_unlock(%s)", lock_key(name))

    def free(self, name: str) -> bool:
        """True when no session holds the source's lock (so nobody is polling it)."""
        if name in self.held:
            return False
        if not self._ask("SELECT pg_try_advisory_lock(%s)", lock_key(name)):
            return False
        self._ask("SELECT pg_advisory_unlock(%s)", lock_key(name))
        return True

    def _ask(self, sql: str, key: int) -> bool:
        if self._local:
            return True
        try:
            cursor = self._cursor()
            cursor.execute(sql, (key,))
            row = cursor.fetchone()
            cursor.close()
            return bool(row and row[0])
        except self._engine.dialect.loaded_dbapi.Error as exc:
            # The session is gone, and every lock it held with it: start again on a new one.
            log.warning("store: lock connection lost (%s); polls on it continue unlocked", exc)
            self.close(invalidate=True)
            self.held.clear()
            return False

    def _cursor(self) -> Any:
        if self._connection is None:
            self._connection = self._engine.raw_connection()
            dbapi = self._connection.driver_connection
            dbapi.autocommit = True
            with dbapi.cursor() as cursor:
                for setting in KEEPALIVE:
                    cursor.execute(setting)
                cursor.execute("SELECT set_config('application_name', %s, false)", (self._holder[:63],))
        return self._connection.driver_connection.cursor()

    def close(self, invalidate: bool = False) -> None:
        if self._connection is not None:
            if invalidate:
                self._connection.invalidate()
            else:
                self._connection.close()
            self._connection = None
