"""Checkpointers: SQLite by default (embedded), PostgreSQL in production. A pending approval lives in them.

SQLite checkpoints live in a file of their own (WAL, one connection per process, each call short), so they
never take the domain database's write lock. PostgreSQL checkpoints draw from a connection pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.engine import make_url

# PostgreSQL connections the checkpointer keeps per process (each checkpoint read or write takes one briefly).
CHECKPOINT_POOL = 16
# The advisory lock id that serializes the checkpoint tables' creation across processes.
SETUP_LOCK = 0x71626F636B7074  # "qbockpt"
# Another process writing the SQLite checkpoint file is waited for this long.
SQLITE_BUSY_SECONDS = 10.0


class _NoLock:
    """Stands in for the saver's asyncio.Lock when it draws from a pool: pooled calls need no mutual exclusion."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_exc: object) -> None:
        return None


async def _try_lock(conn: Any) -> bool:
    row = await (await conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (SETUP_LOCK,))).fetchone()
    return bool(row["ok"])


def _sqlite_path(url: str) -> str:
    database = make_url(url).database or ":memory:"
    if database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    return database


def _postgres_dsn(url: str) -> str:
    # SQLAlchemy URLs name a driver ("postgresql+psycopg://"); libpq wants the plain scheme.
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def make_checkpointer(url: str | None) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """Open a checkpointer for ``url`` (``sqlite:///path``, ``postgresql://…``, or ``memory``/None)."""
    if url is None or url == "memory":
        yield InMemorySaver()
        return
    scheme = make_url(url).get_backend_name()
    if scheme == "sqlite":
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with aiosqlite.connect(_sqlite_path(url), timeout=SQLITE_BUSY_SECONDS) as conn:
            # WAL (readers never wait for the writer) with NORMAL sync: a commit no longer waits for the disk
            # to flush, which cost most of a turn; WAL stays consistent on a crash, and a power cut can lose
            # only the last checkpoints, which a turn's domain rows (approvals, audit) do not depend on.
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            lite = AsyncSqliteSaver(conn)
            await lite.setup()
            yield lite
    elif scheme == "postgresql":
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
        async with AsyncConnectionPool(
            _postgres_dsn(url), min_size=2, max_size=CHECKPOINT_POOL, kwargs=kwargs, open=False
        ) as pool:
            saver = AsyncPostgresSaver(conn=pool)  # type: ignore[arg-type]
            # The saver's lock guards one shared connection; each call takes its own pooled one instead.
            saver.lock = _NoLock()  # type: ignore[assignment]
            async with pool.connection() as conn:
                # Worker processes start together: one creates the tables while the others wait.
                # Poll rather than wait in pg_advisory_lock: a waiting statement is a transaction that the
                # setup's CREATE INDEX CONCURRENTLY in the lock holder would itself wait for.
                while not await _try_lock(conn):
                    await asyncio.sleep(0.1)
                try:
                    await saver.setup()
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
            yield saver
    else:
        raise ValueError(f"no checkpointer for '{scheme}' URLs; use sqlite or postgresql")
