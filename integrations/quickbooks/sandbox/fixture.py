"""The demo company, with every date moved so the books look current."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from integrations.quickbooks.sandbox.wire import loads

FIXTURE_NAME = "qbo_demo_company.json"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def read_fixture_text() -> str:
    return resources.files("integrations.quickbooks.sandbox").joinpath("fixtures", FIXTURE_NAME).read_text()


# Seeded records are stamped at least this long before the sandbox's now, so a first CDC poll finds none.
STAMP_MARGIN = timedelta(minutes=5)


def _moment(value: str) -> datetime | None:
    if not _DATETIME.fullmatch(value):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _shift_value(value: str, days: timedelta, stamps: timedelta) -> str:
    if _DATE.fullmatch(value):
        return (date.fromisoformat(value) + days).isoformat()
    moment = _moment(value)
    if moment is not None:
        shifted = (moment + stamps).isoformat()
        return shifted.replace("+00:00", "Z") if value.endswith("Z") else shifted
    return value


def _shift(node: Any, days: timedelta, stamps: timedelta) -> Any:
    if isinstance(node, dict):
        return {key: _shift(value, days, stamps) for key, value in node.items()}
    if isinstance(node, list):
        return [_shift(value, days, stamps) for value in node]
    if isinstance(node, str):
        return _shift_value(node, days, stamps)
    return node


def stamps_of(node: Any) -> Iterator[datetime]:
    """Every offset-carrying date-time in a company document (MetaData stamps, delivery times)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from stamps_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from stamps_of(value)
    elif isinstance(node, str):
        moment = _moment(node)
        if moment is not None and moment.tzinfo is not None:
            yield moment


def stamp_shift(data: dict[str, Any], days: timedelta, now: datetime | None) -> timedelta:
    """How far date-times move: the same whole days as dates, and more whole days back where the latest
    stamp would otherwise not lie at least :data:`STAMP_MARGIN` before ``now`` (time of day is kept)."""
    latest = max(stamps_of(data), default=None)
    if now is None or latest is None:
        return days
    overshoot = latest + days - (now - STAMP_MARGIN)
    if overshoot <= timedelta(0):
        return days
    return days - timedelta(days=-(-overshoot // timedelta(days=1)))


def load_demo_company(today: date | None = None, *, now: datetime | None = None) -> dict[str, Any]:
    """The demo company as v3 JSON (numbers as ``Decimal``), its dates shifted by ``today - asOf``.

    ``today=None`` returns the data as stored. Dates move by whole days; date-times move by whole days too,
    keeping their time of day and offset, and never land later than ``now`` minus :data:`STAMP_MARGIN`:
    a record seeded "in the future" would be reported as changed by every change-data-capture call.
    """
    data: dict[str, Any] = loads(read_fixture_text())
    if today is None:
        return data
    days = today - date.fromisoformat(data["asOf"])
    stamps = stamp_shift(data, days, now)
    if days == stamps == timedelta(0):
        return data
    shifted: dict[str, Any] = _shift(data, days, stamps)
    shifted["asOf"] = today.isoformat()
    return shifted


def fixture_as_of() -> date:
    return date.fromisoformat(loads(read_fixture_text())["asOf"])
