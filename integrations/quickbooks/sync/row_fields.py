"""Writing mapped fields onto a row only where they differ, so an unchanged record stays clean."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def same(current: Any, wanted: Any) -> bool:
    """Equal as stored: decimals by value, an enum against the plain string read back, times without zones."""
    if isinstance(wanted, Decimal) and current is not None:
        return Decimal(current) == wanted
    if hasattr(wanted, "value") and isinstance(current, str):  # StrEnum vs the plain string read back
        return bool(current == wanted.value)
    if (
        hasattr(wanted, "tzinfo")
        and hasattr(current, "tzinfo")
        and wanted is not None
        and current is not None
    ):
        return bool(current.replace(tzinfo=None) == wanted.replace(tzinfo=None))
    return bool(current == wanted)


def assign(row: Any, fields: dict[str, Any]) -> bool:
    """Set each of ``fields`` that differs on ``row``; whether any did."""
    changed = False
    for name, value in fields.items():
        if not same(getattr(row, name), value):
            setattr(row, name, value)
            changed = True
    return changed


def older(token: str | None, *held: str | None) -> bool:
    """SyncTokens count up per entity: one below any we already hold is an older version."""
    if not token or not token.isdigit():
        return False
    return any(h is not None and h.isdigit() and int(token) < int(h) for h in held)


__all__ = ["assign", "older", "same"]
