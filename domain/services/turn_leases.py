"""Turn leases: one chat turn per thread at a time across every process that serves the API.

A lease is a row keyed by thread id. Claiming is one short transaction (BEGIN IMMEDIATE on SQLite, a row lock
or the primary key on PostgreSQL); nothing is held while the turn runs, and the row is deleted when it ends.
A lease past its expiry belongs to a process that died mid-turn and may be taken over.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from domain.db import DURABLE
from domain.models.identity_extra import TurnLease

# A lease lost to a power cut is harmless (nobody holds a thread after a restart), so its commits skip the flush.
_NOT_DURABLE = {DURABLE: False}


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def claim(factory: sessionmaker[Session], thread_id: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take the thread's lease for ``holder`` if nobody holds it (or its holder's lease ran out)."""
    with factory() as session:
        try:
            with session.begin():
                session.connection(execution_options=_NOT_DURABLE)
                lease = session.scalar(
                    select(TurnLease).where(TurnLease.thread_id == thread_id).with_for_update()
                )
                if lease is None:
                    session.add(TurnLease(thread_id=thread_id, holder=holder, expires_at=now + ttl))
                elif _aware(lease.expires_at) <= now:
                    lease.holder, lease.expires_at = holder, now + ttl
                else:
                    return False
        except IntegrityError:
            # PostgreSQL: another process inserted the same thread's lease first.
            return False
    return True


def release(factory: sessionmaker[Session], thread_id: str, holder: str) -> None:
    """End ``holder``'s lease; a lease another process took over after expiry is left alone."""
    with factory() as session, session.begin():
        session.connection(execution_options=_NOT_DURABLE)
        session.execute(delete(TurnLease).where(TurnLease.thread_id == thread_id, TurnLease.holder == holder))
