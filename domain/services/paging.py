"""Cursor-paged lists: newest first, keyset on (created_at, id) so pages never skip or repeat rows."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from domain.errors import ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Which page: the ``next_cursor`` of the page before (None for the first) and how many rows."""

    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class Window(Generic[T]):
    """One page of rows, and the cursor of the next page (None on the last)."""

    rows: list[T]
    next_cursor: str | None = None


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ValidationFailed("The cursor is not valid", cursor=cursor[:50]) from exc
    if not isinstance(parts, list) or len(parts) != arity:
        raise ValidationFailed("The cursor is not valid", cursor=cursor[:50])
    return parts


def newest_first(
    session: Session,
    model: type[T],
    tenant_id: str,
    page: PageRequest,
    *conditions: ColumnElement[bool],
    **equal: object,
) -> Window[T]:
    """The tenant's rows of ``model`` matching ``conditions`` and each given ``equal`` column, newest first.

    An ``equal`` value of None or "" is no filter (a query parameter left out); a tuple means any of its values.
    """
    table: Any = model
    query = select(model).where(table.tenant_id == tenant_id, *conditions)
    query = query.where(
        *(
            getattr(table, name).in_(value) if isinstance(value, tuple) else getattr(table, name) == value
            for name, value in equal.items()
            if value not in (None, "")
        )
    )
    cursor, limit = page.cursor, page.limit
    if cursor:
        at_raw, last_id = decode_cursor(cursor, 2)
        try:
            at = datetime.fromisoformat(str(at_raw))
        except ValueError as exc:
            raise ValidationFailed("The cursor is not valid") from exc
        query = query.where(or_(table.created_at < at, and_(table.created_at == at, table.id < str(last_id))))
    rows = list(session.scalars(query.order_by(table.created_at.desc(), table.id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return Window(rows)
    rows = rows[:limit]
    last: Any = rows[-1]
    return Window(rows, encode_cursor(last.created_at.isoformat(), last.id))
