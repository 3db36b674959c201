"""Paged queries answered from the store's Id index: the same answers as a full scan, without reading the company."""

from __future__ import annotations

import random
from datetime import timedelta, timezone
from typing import Any

import pytest

from integrations.quickbooks.sandbox.paging import run_store_query
from integrations.quickbooks.sandbox.qbo_sql import parse_query, run_query
from integrations.quickbooks.sandbox.state import present
from integrations.quickbooks.sandbox.store import RealmStore

TZ = timezone(timedelta(hours=-8))


def _customer(entity_id: str, rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Id": entity_id,
        "DisplayName": f"Customer {entity_id}",
        "MetaData": {"LastUpdatedTime": f"2026-03-{rng.randint(1, 28):02d}T10:00:00-08:00"},
    }
    choice = rng.random()
    if choice < 0.7:
        row["Active"] = True
    elif choice < 0.9:
        row["Active"] = False
    return row  # the rest carry no Active value at all


def _store(ids: list[str], seed: int = 7) -> RealmStore:
    rng = random.Random(seed)
    store = RealmStore("r1")
    for entity_id in ids:
        store.put("Customer", _customer(entity_id, rng))
        store.put("Invoice", {"Id": entity_id, "TotalAmt": rng.randint(0, 500), "DocNumber": entity_id})
    for entity_id in rng.sample(ids, len(ids) // 10):
        store.remove("Customer", entity_id, "2026-03-18T10:00:00-08:00")
    for entity_id in rng.sample(list(store.entities["Customer"]), 20):  # re-saved: index stays right
        store.put("Customer", {**store.entities["Customer"][entity_id], "Active": False})
    return store


QUERIES = [
    "SELECT * FROM {e}",
    "SELECT COUNT(*) FROM {e}",
    "SELECT * FROM {e} STARTPOSITION 41 MAXRESULTS 25",
    "SELECT * FROM {e} ORDERBY Id STARTPOSITION 3 MAXRESULTS 7",
    "SELECT * FROM {e} ORDER BY Id DESC STARTPOSITION 5 MAXRESULTS 9",
    "SELECT * FROM {e} WHERE Active IN (true, false) STARTPOSITION 101 MAXRESULTS 1000",
    "SELECT COUNT(*) FROM {e} WHERE Active IN (true, false)",
    "SELECT * FROM {e} WHERE Active = false MAXRESULTS 1000",
    "SELECT * FROM {e} WHERE Id > '50' AND Id <= '120' STARTPOSITION 2 MAXRESULTS 30",
    "SELECT * FROM {e} WHERE Id >= '7' AND Id < '7' MAXRESULTS 30",
    "SELECT * FROM {e} WHERE Id = '33'",
    "SELECT * FROM {e} WHERE Id IN ('3', '40', '999')",
    "SELECT COUNT(*) FROM {e} WHERE Id < '100' AND Active = true",
    "SELECT * FROM {e} WHERE MetaData.LastUpdatedTime >= '2026-03-15T00:00:00-08:00' MAXRESULTS 50",
    "SELECT * FROM {e} ORDER BY DisplayName DESC MAXRESULTS 5",
    "SELECT * FROM {e} STARTPOSITION 100000",
]


CASES = [("Customer", text) for text in QUERIES] + [
    ("Invoice", text.replace("DisplayName", "DocNumber")) for text in QUERIES if "Active" not in text
]


@pytest.mark.parametrize(("entity", "text"), CASES)
@pytest.mark.parametrize(
    "ids", [[str(n) for n in range(1, 301)], ["5", "05", "abc", "ABC", *map(str, range(40))]]
)
def test_index_answers_exactly_what_a_full_scan_answers(entity: str, text: str, ids: list[str]) -> None:
    store = _store(ids)
    query = text.format(e=entity)
    expected = run_query(parse_query(query), store.all(entity), TZ, present)
    assert run_store_query(parse_query(query), store, TZ, present) == expected


class _Counting(dict[str, Any]):
    """A company's rows that count how many are read."""

    reads = 0
    scans = 0

    def __getitem__(self, key: str) -> Any:
        type(self).reads += 1
        return super().__getitem__(key)

    def values(self) -> Any:
        type(self).scans += 1
        return super().values()


def test_a_page_reads_its_own_rows_not_the_company() -> None:
    store = _store([str(n) for n in range(1, 5001)])
    counting = _Counting(store.entities["Invoice"])
    store.entities["Invoice"] = counting
    for text in (
        "SELECT * FROM Invoice STARTPOSITION 4001 MAXRESULTS 100",
        "SELECT * FROM Invoice WHERE Id > '4500' MAXRESULTS 100",
        "SELECT COUNT(*) FROM Invoice",
    ):
        answer = run_store_query(parse_query(text), store, TZ, present)
        assert answer
    assert counting.scans == 0
    assert counting.reads == 200
    customers = run_store_query(
        parse_query("SELECT * FROM Customer WHERE Active IN (true, false) STARTPOSITION 4001 MAXRESULTS 50"),
        _store_all_with_active(),
        TZ,
        present,
    )
    assert [row["Id"] for row in customers["Customer"]] == [str(n) for n in range(4001, 4051)]


def _store_all_with_active() -> RealmStore:
    store = RealmStore("r1")
    for n in range(1, 5001):
        store.put("Customer", {"Id": str(n), "DisplayName": f"C{n}", "Active": n % 3 != 0})
    store.entities["Customer"] = _NoScan(store.entities["Customer"])
    return store


class _NoScan(dict[str, Any]):
    def values(self) -> Any:
        raise AssertionError("the query scanned the company")
