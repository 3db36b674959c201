"""Idempotency records: claim a key, read its outcome, finish it, and sweep the expired ones.

The record lives in the database, so every process serving the API sees the same claims. Each function opens
its own short session: nothing here holds a transaction while a request runs or while a caller waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from domain.models.identity_extra import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)  # a finished response is replayed for this long
# A claim with no response after this long belongs to a process that died mid-request; the key is freed.
IN_FLIGHT_FOR = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Stored:
    status_code: int
    content_type: str
    body: bytes


Outcome = Stored | Literal["claimed", "mismatch", "in_progress", "gone"]


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _expired(record: IdempotencyRecord, now: datetime) -> bool:
    age = now - _aware(record.created_at)
    return age > (KEEP_FOR if record.status_code is not None else IN_FLIGHT_FOR)


def _where(owner: str, key: str) -> ColumnElement[bool]:
    return and_(IdempotencyRecord.owner_hash == owner, IdempotencyRecord.key == key)


def _read(session: Session, owner: str, key: str, fingerprint: str, now: datetime) -> Outcome:
    record = session.scalar(select(IdempotencyRecord).where(_where(owner, key)))
    if record is None or _expired(record, now):
        return "gone"
    if record.fingerprint != fingerprint:
        return "mismatch"
    if record.status_code is None:
        return "in_progress"
    return Stored(record.status_code, record.content_type or "application/json", record.body or b"")


def claim(factory: sessionmaker[Session], owner: str, key: str, fingerprint: str, now: datetime) -> Outcome:
    """Claim the key for a new request, or say what became of the request that holds it."""
    with factory() as session:
        seen = _read(session, owner, key, fingerprint, now)
        if seen != "gone":
            return seen
        # Expired: remove it only if it is still the same stale row (another process may have re-claimed it).
        session.execute(delete(IdempotencyRecord).where(_where(owner, key), _stale(now)))
        session.add(IdempotencyRecord(owner_hash=owner, key=key, fingerprint=fingerprint, created_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return "in_progress"  # another request claimed it a moment ago
        return "claimed"


def lookup(factory: sessionmaker[Session], owner: str, key: str, fingerprint: str, now: datetime) -> Outcome:
    """What the request holding the key has produced so far (read only)."""
    with factory() as session:
        return _read(session, owner, key, fingerprint, now)


def finish(factory: sessionmaker[Session], owner: str, key: str, response: Stored | None) -> None:
    """Store the response for replays, or (None) release the key so the client can retry."""
    with factory() as session:
        if response is None:
            session.execute(delete(IdempotencyRecord).where(_where(owner, key)))
        else:
            record = session.scalar(select(IdempotencyRecord).where(_where(owner, key)))
            if record is not None:
                record.status_code = response.status_code
                record.content_type = response.content_type
                record.body = response.body
        session.commit()


def _stale(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(IdempotencyRecord.status_code.is_not(None), IdempotencyRecord.created_at < now - KEEP_FOR),
        and_(IdempotencyRecord.status_code.is_(None), IdempotencyRecord.created_at < now - IN_FLIGHT_FOR),
    )


def sweep(factory: sessionmaker[Session], now: datetime) -> int:
    """Delete expired records (finished ones after KEEP_FOR, abandoned claims after IN_FLIGHT_FOR)."""
    with factory() as session:
        deleted = session.execute(delete(IdempotencyRecord).where(_stale(now)))
        session.commit()
        return int(getattr(deleted, "rowcount", 0) or 0)
