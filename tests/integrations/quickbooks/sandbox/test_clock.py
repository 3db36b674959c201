"""The emulator's clock at any instant: seeded records never lie in its future, so change-data-capture is quiet.

Each case stands the sandbox (and the demo built on it) at one instant with a manual clock, instead of whatever
time of day the suite happens to run at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from demo.company import DEMO_TIMEZONE, demo_day
from demo.runtime import open_demo
from domain.clock import ManualClock
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import SandboxConfig
from integrations.quickbooks.sandbox.fixture import fixture_as_of

from .conftest import Qbo

COMPANY = timezone(timedelta(hours=-8))  # the sandbox company's offset
CDC_ENTITIES = "Customer,Item,Estimate,Invoice,Payment,CreditMemo,Bill,Vendor"
AS_OF = fixture_as_of()

INSTANTS = {
    "just-after-midnight": datetime.combine(AS_OF, datetime.min.time(), COMPANY) + timedelta(minutes=1),
    "midday": datetime.combine(AS_OF, datetime.min.time(), COMPANY) + timedelta(hours=12),
    "23:59": datetime.combine(AS_OF, datetime.min.time(), COMPANY) + timedelta(hours=23, minutes=59),
    "months-later-utc-midnight": datetime(2026, 11, 2, 0, 0, 30, tzinfo=UTC),
}


def _company_day(instant: datetime) -> date:
    return instant.astimezone(COMPANY).date()


@pytest.fixture(params=list(INSTANTS), ids=list(INSTANTS))
def at(request: pytest.FixtureRequest) -> tuple[ManualClock, Qbo]:
    clock = ManualClock(INSTANTS[request.param])
    app = create_sandbox_app(SandboxConfig(today=_company_day(clock())), clock=clock)
    sandbox = app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]
    http = TestClient(app)
    request.addfinalizer(http.close)
    return clock, Qbo(http, sandbox.default_realm_id, token)


def _changes(qbo: Qbo, since: datetime) -> dict[str, list[str]]:
    status, data = qbo.get("cdc", entities=CDC_ENTITIES, changedSince=since.isoformat())
    assert status == 200, data
    found: dict[str, list[str]] = {}
    for block in data["CDCResponse"][0]["QueryResponse"]:
        for entity, rows in block.items():
            if isinstance(rows, list):
                found[entity] = [row["Id"] for row in rows]
    return found


def test_a_poll_right_after_seeding_reports_no_change(at: tuple[ManualClock, Qbo]) -> None:
    clock, qbo = at
    assert _changes(qbo, clock() - timedelta(minutes=1)) == {}


def test_a_poll_reports_exactly_what_changed_since(at: tuple[ManualClock, Qbo]) -> None:
    clock, qbo = at
    since = clock()
    clock.advance(timedelta(seconds=2))
    customer = qbo.create("Customer", {"DisplayName": "Clockwork Plumbing"})
    assert _changes(qbo, since) == {"Customer": [customer["Id"]]}
    assert (
        customer["MetaData"]["CreateTime"] == (since + timedelta(seconds=2)).astimezone(COMPANY).isoformat()
    )


def test_the_sandbox_keeps_the_pinned_day_and_the_clock_time(at: tuple[ManualClock, Qbo]) -> None:
    clock, qbo = at
    status, data = qbo.get("companyinfo/1")
    assert status == 200
    stamp = datetime.fromisoformat(data["time"])
    assert stamp == clock().replace(microsecond=0) or abs(stamp - clock()) < timedelta(seconds=1)
    # A document created without a date takes the company's today, whatever the UTC date is.
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10, "SalesItemLineDetail": {}}],
        },
    )
    assert invoice["TxnDate"] == _company_day(clock()).isoformat()


@pytest.fixture
def demo_clock(request: pytest.FixtureRequest) -> Iterator[ManualClock]:
    yield ManualClock(request.param)


@pytest.mark.parametrize("demo_clock", list(INSTANTS.values()), ids=list(INSTANTS), indirect=True)
async def test_the_demo_mirrors_the_sandbox_and_its_first_poll_is_quiet(demo_clock: ManualClock) -> None:
    async with open_demo(clock=demo_clock) as runtime:
        assert runtime.today == demo_day(None, demo_clock)
        assert runtime.today == demo_clock().astimezone(__import__("zoneinfo").ZoneInfo(DEMO_TIMEZONE)).date()
        changed = await runtime.client.cdc(
            ["Customer", "Invoice", "Payment"], demo_clock() - timedelta(minutes=1)
        )
        assert all(not rows for rows in changed.values()), changed
        # The local store holds the very records the sandbox seeded: the same dates, the same stamps.
        remote = await runtime.client.query_all("select * from Invoice")
        local = {inv["Id"]: inv for inv in runtime.company["Invoice"]}
        assert {inv["Id"]: (inv["TxnDate"], inv["MetaData"]["LastUpdatedTime"]) for inv in remote} == {
            key: (inv["TxnDate"], inv["MetaData"]["LastUpdatedTime"]) for key, inv in local.items()
        }


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 12, 5, 7, 56, tzinfo=UTC),  # 23:56 PST, pinned to a day in PDT
        datetime(2026, 7, 1, 6, 59, tzinfo=UTC),  # 23:59 PDT, pinned to a day in PST
        datetime(2026, 3, 8, 10, 30, tzinfo=UTC),  # the morning DST starts
    ],
)
@pytest.mark.parametrize("pinned", [date(2026, 3, 18), date(2026, 1, 15), date(2026, 11, 1)])
def test_a_pinned_demo_day_holds_across_daylight_saving_changes(instant: datetime, pinned: date) -> None:
    from demo.company import demo_clock

    clock = demo_clock(pinned, ManualClock(instant))
    assert demo_day(pinned, ManualClock(instant)) == pinned
    assert clock().astimezone(__import__("zoneinfo").ZoneInfo(DEMO_TIMEZONE)).date() == pinned
