"""Cursor pagination: newest first, keyset on (created_at, id) so pages never skip or repeat rows."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from domain.errors import ValidationFailed

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
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


def paginate(
    session: Session, query: Select[Any], model: Any, *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Rows of ``query`` (already tenant-scoped) newest first, and the cursor of the next page."""
    if cursor:
        at_raw, last_id = decode_cursor(cursor, 2)
        try:
            at = datetime.fromisoformat(str(at_raw))
        except ValueError as exc:
            raise ValidationFailed("The cursor is not valid") from exc
        query = query.where(or_(model.created_at < at, and_(model.created_at == at, model.id < str(last_id))))
    rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(last.created_at.isoformat(), last.id)
