"""The demo company: the in-repo copy, and the date shift that makes it look current."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from integrations.quickbooks.sandbox.fixture import fixture_as_of, load_demo_company, read_fixture_text

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


def test_default_today_is_the_real_date() -> None:
    assert load_demo_company()["asOf"] == date.today().isoformat()
