"""Watches an engine's write transactions for the two ways a lock ends up held across an await.

A write transaction must be begun, worked and committed inside one worker thread. Its SQL running on the event
loop thread means the loop did database work while holding (or waiting for) the write lock; its SQL or commit
running in a thread other than the one that began it means the transaction stayed open while the coroutine
hopped threads, i.e. across an await. Read-only transactions (``READ_ONLY``) take no lock and are not watched.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event

from domain.db import READ_ONLY


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class WriteTransactionWatch:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.watched = 0  # write transactions seen, so a test knows the watch saw its work at all
        self._began: dict[int, int] = {}  # connection → the thread that began its write transaction
        self._lock = threading.Lock()

    def _begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            return
        with self._lock:
            self._began[id(conn)] = threading.get_ident()
            self.watched += 1
        self._check(conn, "BEGIN")

    def _statement(self, conn: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
        self._check(conn, statement)

    def _end(self, conn: Connection) -> None:
        self._check(conn, "COMMIT/ROLLBACK")
        with self._lock:
            self._began.pop(id(conn), None)

    def _check(self, conn: Connection, what: str) -> None:
        began = self._began.get(id(conn))
        if began is None:
            return
        first_words = " ".join(what.split()[:4])
        if on_event_loop():
            self.violations.append(f"on the event loop, inside a write transaction: {first_words}")
        elif threading.get_ident() != began:
            self.violations.append(
                f"in another thread than the one that began the transaction: {first_words}"
            )


@contextmanager
def watch_write_transactions(engine: Engine) -> Iterator[WriteTransactionWatch]:
    watch = WriteTransactionWatch()
    hooks = [
        ("begin", watch._begin),
        ("before_cursor_execute", watch._statement),
        ("commit", watch._end),
        ("rollback", watch._end),
    ]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield watch
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)
