"""Declarative base, shared column mixins and engine/session factories.

Nothing here runs at import time: callers build engines with :func:`make_engine` and hand sessions in.
Domain services only ``flush``; the boundary (a request, an agent step, a worker job) commits.
"""

from __future__ import annotations

import asyncio
import enum
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    Numeric,
    String,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.orm.decl_base import _declarative_constructor

from domain.clock import system_clock

# Transaction options callers pass (``execution_options``); how SQLite honours them lives in sqlite_writes.
from domain.sqlite_writes import DURABLE as DURABLE
from domain.sqlite_writes import READ_ONLY as READ_ONLY
from domain.sqlite_writes import (
    WriteGate,
    begin_transaction,
    configure_connection,
    gate_file,
    gated_connection_class,
)

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)
Quantity = Numeric(12, 4)
Percent = Numeric(7, 3)


def new_id() -> str:
    """A random (version 4) UUID string, made without building a ``uuid.UUID`` on the way: a large import makes
    one per row, line and sync state, and that object alone cost seconds per 100,000 ids."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def utcnow() -> datetime:
    """When a row was written (a record-keeping stamp); logic that needs "now" is handed a clock."""
    return system_clock()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Enums are stored by value as plain strings (portable, readable) and loaded back as enum members.
    type_annotation_map = {
        Decimal: Money,
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
        enum.Enum: SAEnum(
            enum.Enum, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        # Column defaults apply at construction, not only at INSERT: services compute with fresh objects before
        # they are flushed (a new invoice's amount_paid is 0, not None; its id exists at once).
        for column in self.__table__.columns:
            default = column.default
            if default is None or column.key in kwargs:
                continue
            if default.is_scalar:
                kwargs[column.key] = default.arg
            elif default.is_callable:
                kwargs[column.key] = default.arg(None)
        _declarative_constructor(self, **kwargs)


class IdMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantScoped:
    """Every business row belongs to exactly one tenant; every query filters on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:
        return mapped_column(String(36), ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


class SyncStatus(enum.StrEnum):
    NEVER = "never"
    PENDING = "pending"
    SYNCED = "synced"
    ERROR = "error"
    CONFLICT = "conflict"


class SourceSystem(enum.StrEnum):
    PLATFORM = "platform"
    QUICKBOOKS = "quickbooks"


class QboSynced:
    """Columns every entity mirrored in QuickBooks carries."""

    qbo_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    sync_token: Mapped[str | None] = mapped_column(String(16), default=None)
    sync_status: Mapped[SyncStatus] = mapped_column(default=SyncStatus.NEVER)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    source_system: Mapped[SourceSystem] = mapped_column(default=SourceSystem.PLATFORM)


# PostgreSQL connections per process: kept open, and allowed on top of them under a burst.
POOL_SIZE = 20
POOL_OVERFLOW = 20


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine; SQLite gets foreign keys, WAL, a busy timeout and serial (BEGIN IMMEDIATE) writes queued
    at one gate per engine (:mod:`domain.sqlite_writes`); PostgreSQL a connection pool sized for concurrent turns."""
    gate = WriteGate(lock_path=gate_file(make_url(url).database)) if url.startswith("sqlite") else None
    if gate is not None:
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "factory": gated_connection_class(gate),
            **kwargs.get("connect_args", {}),
        }
    else:
        kwargs.setdefault("pool_pre_ping", True)
        # Every concurrent turn and request holds a connection only for a short transaction (none while it
        # waits for QuickBooks or a model): room for a busy process's turns and requests at once.
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", POOL_SIZE)
            kwargs.setdefault("max_overflow", POOL_OVERFLOW)
            kwargs.setdefault("pool_timeout", 10)
    engine = create_engine(url, **kwargs)
    if gate is not None:
        event.listen(engine, "connect", configure_connection)
        event.listen(engine, "begin", lambda conn: begin_transaction(conn, gate))
    return engine


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url``, dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


async def run_transaction(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction wholly inside one worker thread: begun, done and committed there.

    The writer's lock (SQLite) is held only while ``work`` runs, never while this coroutine waits for the event
    loop to resume it, which under load is what held it longest.
    """

    def run() -> T:
        with transaction(factory) as session:
            return work(session)

    return await asyncio.to_thread(run)


@asynccontextmanager
async def async_transaction(
    factory: sessionmaker[Session], *, read_only: bool = False
) -> AsyncIterator[Session]:
    """A transaction for async code: begun, committed and rolled back in a worker thread.

    Beginning may wait for another writer (SQLite's BEGIN IMMEDIATE waits up to the busy timeout). Waiting on
    the event loop would stall the very coroutine or request that holds the lock and needs the loop to finish,
    so every call that can wait for a lock runs off the loop. A writing body must not await network calls; a
    ``read_only`` one may (on SQLite it is a WAL reader: it takes no lock and blocks nobody).
    """
    session = factory()
    try:
        await asyncio.to_thread(session.connection, execution_options={READ_ONLY: read_only})
        yield session
        await asyncio.to_thread(session.commit)
    except BaseException:
        await asyncio.shield(asyncio.to_thread(session.rollback))
        raise
    finally:
        session.close()


def ping(session: Session) -> None:
    """One round trip: the database answers."""
    session.execute(text("select 1"))
