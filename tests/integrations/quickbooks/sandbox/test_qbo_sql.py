"""The query language: grammar, literals, operators, paging and the faults QBO answers with."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from integrations.quickbooks.sandbox.faults import QboFault
from integrations.quickbooks.sandbox.qbo_sql import parse_query, run_query
from integrations.quickbooks.sandbox.state import present

TZ = timezone(timedelta(hours=-8))

ROWS: list[dict[str, Any]] = [
    {
        "Id": "1",
        "DisplayName": "O'Brien Plumbing",
        "Active": True,
        "Balance": Decimal("10.00"),
        "MetaData": {"LastUpdatedTime": "2026-03-01T10:00:00-08:00"},
    },
    {
        "Id": "2",
        "DisplayName": "Amy's Bird Sanctuary",
        "Active": True,
        "Balance": Decimal("0"),
        "MetaData": {"LastUpdatedTime": "2026-03-10T09:00:00-08:00"},
    },
    {
        "Id": "10",
        "DisplayName": "amy lee",
        "Active": False,
        "Balance": Decimal("250.50"),
        "MetaData": {"LastUpdatedTime": "2026-03-16T23:30:00-08:00"},
    },
    {
        "Id": "3",
        "DisplayName": "Zed 50% Off",
        "Active": True,
        "Balance": Decimal("99.99"),
        "MetaData": {"LastUpdatedTime": "2026-03-17T00:00:00-08:00"},
    },
]


def run(text: str, rows: list[dict[str, Any]] = ROWS) -> dict[str, Any]:
    return run_query(parse_query(text), rows, TZ, present)


def ids(response: dict[str, Any], entity: str = "Customer") -> list[str]:
    return [row["Id"] for row in response.get(entity, [])]


def fault(text: str) -> QboFault:
    with pytest.raises(QboFault) as info:
        run(text)
    return info.value


def test_select_star_is_active_only_ordered_by_id_with_paging_keys() -> None:
    response = run("SELECT * FROM Customer")
    assert ids(response) == ["1", "2", "3"]
    assert response["startPosition"] == 1 and response["maxResults"] == 3
    assert "totalCount" not in response
    assert response["Customer"][0]["domain"] == "QBO" and response["Customer"][0]["sparse"] is False


def test_inactive_only_when_asked() -> None:
    assert ids(run("select * from Customer where Active = false")) == ["10"]
    assert ids(run("select * from Customer where Active IN (true, false)")) == ["1", "2", "3", "10"]


def test_count_returns_total_count_only() -> None:
    assert run("SELECT COUNT(*) FROM Customer WHERE Balance > '0'") == {"totalCount": 2}
    assert run("select count(*) from customer where DisplayName = 'nobody'") == {"totalCount": 0}


def test_keywords_and_entity_names_are_case_insensitive() -> None:
    assert ids(run("sElEcT * fRoM cUsToMeR wHeRe iD = '2'")) == ["2"]


def test_backslash_quote_escape() -> None:
    assert ids(run(r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien Plumbing'")) == ["1"]
    assert ids(run(r"SELECT * FROM Customer WHERE DisplayName LIKE 'Amy\'s%'")) == ["2"]


def test_like_wildcards_prefix_suffix_contains_and_underscore_is_literal() -> None:
    assert ids(run("SELECT * FROM Customer WHERE DisplayName LIKE 'amy%' AND Active IN (true,false)")) == [
        "2",
        "10",
    ]
    assert ids(run("SELECT * FROM Customer WHERE DisplayName LIKE '%Plumbing'")) == ["1"]
    assert ids(run("SELECT * FROM Customer WHERE DisplayName LIKE '%50%'")) == ["3"]
    assert ids(run("SELECT * FROM Customer WHERE DisplayName LIKE 'Amy_s%'")) == []


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("Balance = '10'", ["1"]),
        ("Balance > 10", ["3"]),
        ("Balance >= '10.00'", ["1", "3"]),
        ("Balance < 10", ["2"]),
        ("Balance <= 99.99", ["1", "2", "3"]),
        ("Id IN ('1', '3', '404')", ["1", "3"]),
    ],
)
def test_comparison_operators(clause: str, expected: list[str]) -> None:
    assert ids(run(f"SELECT * FROM Customer WHERE {clause}")) == expected


def test_and_conditions_combine() -> None:
    assert ids(run("SELECT * FROM Customer WHERE Balance > '0' AND DisplayName LIKE '%zed%'")) == ["3"]


def test_date_only_literal_against_datetime_and_metadata_spelling() -> None:
    # A bare date is the start of that day in the company's zone.
    text = "select * from Customer Where Metadata.LastUpdatedTime >= '2026-03-10' Order By Metadata.LastUpdatedTime DESC"
    assert ids(run(text)) == ["3", "2"]
    text = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2026-03-17T07:59:00Z'"
    assert ids(run(text)) == ["3"]
    assert ids(run("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime < '2026-03-01T10:00:01-0800'")) == [
        "1"
    ]


def test_order_by_both_spellings_and_directions() -> None:
    assert ids(run("SELECT * FROM Customer ORDERBY Balance DESC")) == ["3", "1", "2"]
    assert ids(run("SELECT * FROM Customer ORDER BY DisplayName ASC")) == ["2", "1", "3"]
    assert ids(run("SELECT * FROM Customer ORDER BY Active DESC, Id DESC")) == ["3", "2", "1"]


def test_startposition_is_one_based_and_maxresults_pages() -> None:
    page1 = run("SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 2")
    page2 = run("SELECT * FROM Customer STARTPOSITION 3 MAXRESULTS 2")
    assert ids(page1) == ["1", "2"] and page1["maxResults"] == 2
    assert ids(page2) == ["3"] and page2["startPosition"] == 3 and page2["maxResults"] == 1
    assert run("SELECT * FROM Customer STARTPOSITION 50") == {}


def test_ref_fields_compare_their_value() -> None:
    rows = [
        {"Id": "1", "CustomerRef": {"value": "7", "name": "X"}},
        {"Id": "2", "CustomerRef": {"value": "8"}},
    ]
    assert ids(run("SELECT * FROM Invoice WHERE CustomerRef = '7'", rows), "Invoice") == ["1"]


def test_date_field_with_date_literal() -> None:
    rows = [{"Id": "1", "TxnDate": "2026-01-31"}, {"Id": "2", "TxnDate": "2026-02-01"}]
    assert ids(
        run("SELECT * FROM Invoice WHERE TxnDate >= '2026-02-01' AND TxnDate <= '2026-02-28'", rows),
        "Invoice",
    ) == ["2"]


def test_or_is_rejected_with_the_parser_fault() -> None:
    error = fault("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'")
    assert error.status == 400 and error.errors[0].code == "4000"
    assert error.errors[0].message == "Error parsing query"
    assert error.errors[0].detail.startswith("QueryParserError: Encountered")
    assert '"and"' in error.errors[0].detail


@pytest.mark.parametrize(
    "text",
    [
        "SELECT DisplayName FROM Customer",
        "SELECT * FROM Customer GROUP BY DisplayName",
        "SELECT * FROM Customer WHERE DisplayName NOT IN ('a')",
        "SELECT * FROM Customer WHERE Id = ",
        "SELECT * FROM Customer WHERE Id = '1",
        "SELECT * FROM Gadget",
        "DELETE FROM Customer",
        "SELECT * FROM Customer STARTPOSITION 1.5",
    ],
)
def test_unsupported_syntax_is_a_4000_parser_fault(text: str) -> None:
    assert fault(text).errors[0].code == "4000"


def test_validation_faults_use_4001_with_qbo_wording() -> None:
    assert fault("SELECT * FROM Customer STARTPOSITION 0").errors[0].detail == (
        "QueryValidationError: value 0 is too small. Min allowed value is 1"
    )
    assert fault("SELECT * FROM Customer MAXRESULTS 1500").errors[0].detail == (
        "QueryValidationError: value 1500 is too large. Max allowed value is 1000"
    )
    error = fault("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'a@b.c'")
    assert error.errors[0].code == "4001"
    assert error.errors[0].detail == "QueryValidationError: property 'PrimaryEmailAddr' is not queryable"


def test_maxresults_1000_is_allowed() -> None:
    rows = [{"Id": str(i), "DisplayName": f"c{i}", "Active": True} for i in range(1, 1101)]
    response = run("SELECT * FROM Customer MAXRESULTS 1000", rows)
    assert response["maxResults"] == 1000 and ids(response)[-1] == "1000"
    assert ids(run("SELECT * FROM Customer", rows))[-1] == "100"  # default page is 100
