"""Checkpointers: SQLite by default (embedded), PostgreSQL in production. A pending approval lives in them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.engine import make_url


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
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(_sqlite_path(url)) as saver:
            await saver.setup()
            yield saver
    elif scheme == "postgresql":
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(_postgres_dsn(url)) as saver:
            await saver.setup()
            yield saver
    else:
        raise ValueError(f"no checkpointer for '{scheme}' URLs; use sqlite or postgresql")
