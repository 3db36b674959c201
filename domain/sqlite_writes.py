"""How SQLite connections begin and end transactions: WAL, serial writes, and writers queued in the process.

SQLite lets one transaction write at a time. ``BEGIN IMMEDIATE`` takes that lock up front, so a check-then-write
always sees the current row (SQLite's stand-in for ``SELECT … FOR UPDATE``). A writer that finds the lock taken
retries inside SQLite's busy handler, which sleeps in growing steps (1, 2, 5, 10, 15, 20, 25 ms …): under load it
keeps sleeping long after the lock came free, and the write lock's idle gaps become every request's latency.
So writers first queue on a :class:`WriteGate` (a lock in the process, and a file lock beside the database for
the other processes) and start the moment the previous one ends; SQLite's own lock and busy timeout stay as the
backstop for anything that writes without the gate.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

# How long a writer waits for another (SQLite's busy timeout, and the gate's, in seconds).
BUSY_SECONDS = 5.0
# How often a writer waiting for another process's write looks again (seconds).
FILE_LOCK_POLL = 0.0005
READ_ONLY = "qbo_read_only"
# False for bookkeeping a power cut may lose (turn leases): on SQLite its commit does not wait for the disk to
# flush, which would otherwise hold the write lock for milliseconds. Business rows are always durable.
DURABLE = "qbo_durable"


class WriteGate:
    """One write transaction at a time, in the order writers arrive (near enough).

    Threads of this process queue on a lock; with ``lock_path`` the holder also takes an advisory file lock, so
    the writers of other processes on the same database (``serve --workers N``) queue there as well instead of
    in SQLite's busy handler. Either wait ends after ``timeout`` with SQLite's own "database is locked".
    """

    def __init__(self, timeout: float = BUSY_SECONDS, lock_path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout
        self._lock_path = lock_path
        self._fd: int | None = None

    def enter(self) -> None:
        deadline = time.monotonic() + self._timeout
        if not self._lock.acquire(timeout=self._timeout):
            raise _locked()
        if self._lock_path is None:
            return
        try:
            self._lock_file(deadline)
        except BaseException:
            self._lock.release()
            raise

    def leave(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _lock_file(self, deadline: float) -> None:
        if self._fd is None:
            assert self._lock_path is not None
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _locked() from None
                # Short polls: the holder's transaction lasts a millisecond or so.
                time.sleep(FILE_LOCK_POLL)


def _locked() -> sqlite3.OperationalError:
    # What SQLite itself answers when its busy timeout runs out.
    return sqlite3.OperationalError("database is locked")


def gate_file(database: str | None) -> Path | None:
    """The lock file beside a database file; none for an in-memory database (it has one process)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".write-gate")


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
