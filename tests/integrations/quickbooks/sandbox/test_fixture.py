"""The demo company: the in-repo copy, and the date shift that makes it look current."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from integrations.quickbooks.sandbox.fixture import (
    STAMP_MARGIN,
    fixture_as_of,
    load_demo_company,
    read_fixture_text,
    stamps_of,
)

PACIFIC = timezone(timedelta(hours=-8))

REPO = Path(__file__).resolve().parents[4]
SHARED = REPO.parent / "shared" / "fixtures" / "qbo_demo_company.json"


def test_in_repo_copy_is_identical_to_the_shared_fixture() -> None:
    if not SHARED.exists():
        pytest.skip("the shared design folder is not beside this checkout")
    assert read_fixture_text() == SHARED.read_text()


def test_no_shift_when_today_is_as_of() -> None:
    as_of = fixture_as_of()
    data = load_demo_company(as_of)
    assert data == json.loads(read_fixture_text(), parse_float=__import__("decimal").Decimal)
    assert data["asOf"] == as_of.isoformat()


def test_every_date_and_datetime_moves_by_the_same_number_of_days() -> None:
    as_of = fixture_as_of()
    today = as_of + timedelta(days=250)
    original = load_demo_company(as_of)
    shifted = load_demo_company(today)
    assert shifted["asOf"] == today.isoformat()
    inv0, inv1 = original["Invoice"][0], shifted["Invoice"][0]
    assert date.fromisoformat(inv1["TxnDate"]) - date.fromisoformat(inv0["TxnDate"]) == timedelta(days=250)
    assert date.fromisoformat(inv1["DueDate"]) - date.fromisoformat(inv0["DueDate"]) == timedelta(days=250)
    created0 = datetime.fromisoformat(inv0["MetaData"]["CreateTime"])
    created1 = datetime.fromisoformat(inv1["MetaData"]["CreateTime"])
    assert created1 - created0 == timedelta(days=250)
    assert created1.utcoffset() == created0.utcoffset()  # offset and time of day kept
    est0, est1 = original["Estimate"][0], shifted["Estimate"][0]
    for field in ("ExpirationDate", "AcceptedDate"):
        assert date.fromisoformat(est1[field]) - date.fromisoformat(est0[field]) == timedelta(days=250)
    # Non-date strings are untouched.
    assert inv1["DocNumber"] == inv0["DocNumber"]
    assert shifted["Customer"][0]["DisplayName"] == original["Customer"][0]["DisplayName"]


def test_backwards_shift_and_amounts_stay_exact() -> None:
    as_of = fixture_as_of()
    shifted = load_demo_company(as_of - timedelta(days=10))
    original = load_demo_company(as_of)
    assert (
        shifted["Bill"][3]["TxnDate"]
        == (date.fromisoformat(original["Bill"][3]["TxnDate"]) - timedelta(days=10)).isoformat()
    )
    assert shifted["Invoice"][0]["TotalAmt"] == original["Invoice"][0]["TotalAmt"]
    assert str(shifted["Estimate"][0]["TotalAmt"]) == "605.28"


def test_no_today_means_the_data_as_stored() -> None:
    assert load_demo_company() == load_demo_company(fixture_as_of())


def _latest_stamp(data: dict) -> datetime:
    return max(stamp for stamp in stamps_of(data))


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 18, 0, 1, tzinfo=PACIFIC),  # just after midnight on the as-of day
        datetime(2026, 3, 18, 12, 0, tzinfo=PACIFIC),
        datetime(2026, 3, 18, 17, 50, tzinfo=PACIFIC),  # between the fixture's own last edits
        datetime(2026, 3, 18, 23, 59, tzinfo=PACIFIC),
        datetime(2026, 11, 2, 0, 3, tzinfo=UTC),  # months later, a UTC midnight (still yesterday in QBO)
    ],
    ids=["00:01", "midday", "17:50", "23:59", "months-later"],
)
def test_no_seeded_stamp_lies_after_now(now: datetime) -> None:
    today = now.astimezone(PACIFIC).date()
    data = load_demo_company(today, now=now)
    assert data["asOf"] == today.isoformat()
    assert _latest_stamp(data) <= now - STAMP_MARGIN
    # Dates still move by exactly today - asOf; stamps keep their time of day and offset.
    original = load_demo_company()
    inv0, inv1 = original["Invoice"][0], data["Invoice"][0]
    assert (
        date.fromisoformat(inv1["TxnDate"]) - date.fromisoformat(inv0["TxnDate"]) == today - fixture_as_of()
    )
    created0 = datetime.fromisoformat(inv0["MetaData"]["CreateTime"])
    created1 = datetime.fromisoformat(inv1["MetaData"]["CreateTime"])
    assert created1.timetz() == created0.timetz()
    # Moved back by whole days only as far as needed: one day fewer would put the latest stamp after now.
    assert _latest_stamp(data) + timedelta(days=1) > now - STAMP_MARGIN
