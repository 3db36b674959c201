"""How SQLite connections begin and end transactions: WAL, serial writes, and writers queued in the process.

SQLite lets one transaction write at a time. ``BEGIN IMMEDIATE`` takes that lock up front, so a check-then-write
always sees the current row (SQLite's stand-in for ``SELECT … FOR UPDATE``). A writer that finds the lock taken
retries inside SQLite's busy handler, which sleeps in growing steps (1, 2, 5, 10, 15, 20, 25 ms …): under load it
keeps sleeping long after the lock came free, and the write lock's idle gaps become every request's latency.
So the writers of one process first queue on a :class:`WriteGate` and start the moment the previous one ends;
SQLite's own lock and busy timeout still order writers across processes.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection

# How long a writer waits for another (SQLite's busy timeout, and the gate's, in seconds).
BUSY_SECONDS = 5.0
READ_ONLY = "qbo_read_only"
# False for bookkeeping a power cut may lose (turn leases): on SQLite its commit does not wait for the disk to
# flush, which would otherwise hold the write lock for milliseconds. Business rows are always durable.
DURABLE = "qbo_durable"


class WriteGate:
    """One write transaction at a time in this process, in the order writers arrive (near enough)."""

    def __init__(self, timeout: float = BUSY_SECONDS) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout

    def enter(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            # What SQLite itself answers when its busy timeout runs out.
            raise sqlite3.OperationalError("database is locked")

    def leave(self) -> None:
        self._lock.release()


def gated_connection_class(gate: WriteGate) -> type[sqlite3.Connection]:
    """A DB-API connection class that leaves ``gate`` when its write transaction ends, however it ends."""

    class GatedConnection(sqlite3.Connection):
        holds_gate = False

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.leave_gate()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.leave_gate()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.leave_gate()

        def leave_gate(self) -> None:
            if self.holds_gate:
                self.holds_gate = False
                gate.leave()

    return GatedConnection


def configure_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling runs reads outside any transaction and BEGINs only before the
    # first write, so a read-then-write saw stale rows (lost updates). Turn it off; begin_transaction opens them.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()


def begin_transaction(conn: Connection, gate: WriteGate) -> None:
    """``BEGIN IMMEDIATE`` for a writer (after its turn at the gate), ``BEGIN DEFERRED`` for a reader."""
    options = conn.get_execution_options()
    sync = "FULL" if options.get(DURABLE, True) else "NORMAL"
    info = conn.connection.info
    if info.get("synchronous") != sync:
        # Per connection and only between transactions; a later FULL commit flushes the NORMAL ones before it.
        conn.exec_driver_sql(f"PRAGMA synchronous={sync}")
        info["synchronous"] = sync
    if options.get(READ_ONLY):
        # A WAL reader: it neither waits for nor blocks the writer.
        conn.exec_driver_sql("BEGIN DEFERRED")
        return
    dbapi = conn.connection.dbapi_connection
    gated = getattr(dbapi, "holds_gate", None) is not None
    if gated:
        gate.enter()
        dbapi.holds_gate = True  # type: ignore[union-attr]
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if gated:
            dbapi.leave_gate()  # type: ignore[union-attr]
        raise
