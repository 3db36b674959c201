"""JSON-safe snapshots of rows for audit before/after values and change detection."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import inspect

from domain.db import Base


def jsonable(value: Any) -> Any:
    """Decimals and dates become strings so a snapshot hashes and compares the same on every database."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


_SKIP = frozenset({"created_at", "updated_at", "tenant_id"})


def snapshot(row: Base, *, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Column values of a mapped row (not relationships), JSON-safe."""
    mapper = inspect(row.__class__)
    names = fields or tuple(c.key for c in mapper.column_attrs if c.key not in _SKIP)
    return {name: jsonable(getattr(row, name)) for name in names}
