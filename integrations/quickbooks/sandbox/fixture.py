"""The demo company, with every date moved so the books look current."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from integrations.quickbooks.sandbox.wire import loads

FIXTURE_NAME = "qbo_demo_company.json"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def read_fixture_text() -> str:
    return resources.files("integrations.quickbooks.sandbox").joinpath("fixtures", FIXTURE_NAME).read_text()


def _shift_value(value: str, delta: timedelta) -> str:
    if _DATE.fullmatch(value):
        return (date.fromisoformat(value) + delta).isoformat()
    if _DATETIME.fullmatch(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        shifted = (moment + delta).isoformat()
        return shifted.replace("+00:00", "Z") if value.endswith("Z") else shifted
    return value


def _shift(node: Any, delta: timedelta) -> Any:
    if isinstance(node, dict):
        return {key: _shift(value, delta) for key, value in node.items()}
    if isinstance(node, list):
        return [_shift(value, delta) for value in node]
    if isinstance(node, str):
        return _shift_value(node, delta)
    return node


def load_demo_company(today: date | None = None) -> dict[str, Any]:
    """The demo company as v3 JSON (numbers as ``Decimal``), dates shifted by ``today - asOf``.

    ``today`` defaults to the real date. Dates and date-times move by whole days, keeping their time of day
    and offset; with ``today`` equal to ``asOf`` the data is returned as stored.
    """
    data: dict[str, Any] = loads(read_fixture_text())
    as_of = date.fromisoformat(data["asOf"])
    if today is None:
        today = date.today()
    if today == as_of:
        return data
    shifted: dict[str, Any] = _shift(data, today - as_of)
    shifted["asOf"] = today.isoformat()
    return shifted


def fixture_as_of() -> date:
    return date.fromisoformat(loads(read_fixture_text())["asOf"])
