"""The emulator's JSON: decimals written exactly as they are held, dates as ISO text."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from integrations.quickbooks.sandbox.wire import dumps, loads


def test_decimals_keep_their_digits_and_round_trip() -> None:
    body = {"Amt": Decimal("10.00"), "Rate": Decimal("0.1"), "Big": Decimal("12345678901234567890.123456789")}
    text = dumps({"Invoice": [body], "Name": "Café ✓", 3: (1, 2)})
    assert b'"Amt":10.00' in text and b'"Rate":0.1' in text and b"12345678901234567890.123456789" in text
    assert loads(text) == {"Invoice": [body], "Name": "Café ✓", "3": [1, 2]}


def test_dates_and_times_are_iso_text_and_unknown_types_fail() -> None:
    when = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=-8)))
    assert loads(dumps({"d": date(2026, 3, 1), "t": when})) == {"d": "2026-03-01", "t": when.isoformat()}
    with pytest.raises(TypeError):
        dumps({"s": {1, 2}})
