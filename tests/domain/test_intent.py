"""QboIntent: the exact JSON shape of DESIGN §3.1 and validation messages a model can act on."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.intent import (
    RANKING_KEYS,
    AggregateValue,
    QboIntent,
    explain_validation_error,
    intent_json_schema,
    parse_intent_json,
)

FILTER_KEYS = {
    "customerName",
    "vendorName",
    "status",
    "dateFrom",
    "dateTo",
    "minAmount",
    "maxAmount",
    "docNumber",
}


def _problem(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        QboIntent.model_validate(data)
    return explain_validation_error(info.value)


def test_dump_has_exactly_the_contract_keys_with_nulls() -> None:
    intent = QboIntent.model_validate({"operation": "LIST_INVOICES", "filters": {"status": "open"}})
    dumped = intent.model_dump()
    assert set(dumped) == {"operation", "filters", "aggregate", "pagination"}
    assert set(dumped["filters"]) == FILTER_KEYS
    assert dumped["filters"]["customerName"] is None
    assert dumped["pagination"] == {"page": 1, "pageSize": 100}


def test_json_form_uses_strings_for_dates_and_numbers_for_amounts() -> None:
    intent = QboIntent.model_validate(
        {
            "operation": "LIST_INVOICES",
            "filters": {
                "dateFrom": "2026-02-01",
                "dateTo": "2026-02-28",
                "minAmount": 1000,
                "maxAmount": "2500.50",
            },
            "aggregate": "sum",
        }
    )
    assert intent.filters.min_amount == Decimal("1000") and isinstance(intent.filters.max_amount, Decimal)
    text = json.dumps(intent.to_json())
    back = json.loads(text)
    assert back["filters"]["dateFrom"] == "2026-02-01"
    assert back["filters"]["minAmount"] == 1000 and isinstance(back["filters"]["minAmount"], int)
    assert back["filters"]["maxAmount"] == 2500.5
    assert parse_intent_json(text) == intent


def test_python_names_and_qbo_capitalisation_are_accepted() -> None:
    intent = QboIntent.model_validate(
        {"operation": "list_estimates", "filters": {"status": "Pending", "customer_name": "ACME"}}
    )
    assert intent.operation.value == "LIST_ESTIMATES"
    assert intent.filters.status is not None and intent.filters.status.value == "pending"
    assert intent.filters.customer_name == "ACME"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"operation": "LIST_THINGS"}, "operation"),
        ({"operation": "LIST_INVOICES", "filters": {"status": "lost"}}, "filters.status"),
        ({"operation": "LIST_INVOICES", "filters": {"status": "pending"}}, "does not apply to LIST_INVOICES"),
        ({"operation": "LIST_ESTIMATES", "filters": {"status": "overdue"}}, "use one of: accepted, closed"),
        ({"operation": "LIST_PAYMENTS", "filters": {"status": "paid"}}, "takes no status"),
        (
            {"operation": "LIST_INVOICES", "filters": {"dateFrom": "2026-03-01", "dateTo": "2026-02-01"}},
            "after dateTo",
        ),
        ({"operation": "LIST_INVOICES", "filters": {"minAmount": -5}}, "0 or more"),
        (
            {"operation": "LIST_INVOICES", "filters": {"minAmount": 10, "maxAmount": 5}},
            "greater than maxAmount",
        ),
        ({"operation": "LIST_INVOICES", "pagination": {"pageSize": 1001}}, "pageSize"),
        ({"operation": "LIST_INVOICES", "pagination": {"pageSize": 0}}, "pageSize"),
        ({"operation": "LIST_INVOICES", "pagination": {"page": 0}}, "page"),
        ({"operation": "GET_INVOICE"}, "needs docNumber"),
        ({"operation": "LIST_PAYMENTS", "filters": {"docNumber": "1"}}, "docNumber only applies"),
        ({"operation": "LIST_INVOICES", "filters": {"vendorName": "Ferguson"}}, "vendorName only applies"),
        ({"operation": "LIST_ITEMS", "filters": {"customerName": "ACME"}}, "customerName does not apply"),
        ({"operation": "LIST_CUSTOMERS", "filters": {"dateFrom": "2026-01-01"}}, "has no dates"),
        ({"operation": "LIST_ITEMS", "aggregate": "sum"}, "sum only applies"),
        (
            {"operation": "GET_ESTIMATE", "filters": {"docNumber": "5"}, "aggregate": "count"},
            "aggregate must be null",
        ),
        ({"operation": "LIST_INVOICES", "filters": {"colour": "red"}}, "colour"),
        ({"operation": "LIST_INVOICES", "aggregate": "avg"}, "aggregate"),
    ],
)
def test_invalid_intents_say_what_is_wrong(data: dict, fragment: str) -> None:
    assert fragment in _problem(data)


def test_bounds_that_are_allowed() -> None:
    QboIntent.model_validate({"operation": "LIST_INVOICES", "pagination": {"page": 7, "pageSize": 1000}})
    same_day = {"dateFrom": "2026-03-01", "dateTo": "2026-03-01", "minAmount": 0, "maxAmount": 0}
    QboIntent.model_validate({"operation": "LIST_BILLS", "filters": {**same_day, "status": "overdue"}})
    QboIntent.model_validate(
        {"operation": "LIST_BILLS", "filters": {"docNumber": "V1", "vendorName": "Ferguson"}}
    )
    QboIntent.model_validate({"operation": "LIST_CUSTOMERS", "aggregate": "count"})


def test_amount_field_follows_the_status() -> None:
    def field(op: str, status: str | None) -> str:
        return QboIntent.model_validate({"operation": op, "filters": {"status": status}}).amount_field

    assert field("LIST_INVOICES", "open") == "Balance"
    assert field("LIST_INVOICES", "partial") == "Balance"
    assert field("LIST_BILLS", "overdue") == "Balance"
    assert field("LIST_INVOICES", "paid") == "TotalAmt"
    assert field("LIST_INVOICES", None) == "TotalAmt"
    assert field("LIST_ESTIMATES", "pending") == "TotalAmt"


def test_pagination_positions() -> None:
    intent = QboIntent.model_validate(
        {"operation": "LIST_INVOICES", "pagination": {"page": 3, "pageSize": 25}}
    )
    assert intent.pagination.start_position == 51 and intent.pagination.offset == 50


def test_schema_names_the_contract_keys_and_enums() -> None:
    schema = intent_json_schema()
    # The DESIGN §3.1 keys, plus the optional ranking keys (groupBy, sort, limit) added after it.
    assert set(schema["properties"]) == {"operation", "filters", "aggregate", "pagination", *RANKING_KEYS}
    assert set(schema["required"]) == {"operation"}
    defs = schema["$defs"]
    assert set(defs["IntentFilters"]["properties"]) == FILTER_KEYS
    assert "GET_CUSTOMER" in defs["Operation"]["enum"] and "rejected" in defs["IntentStatus"]["enum"]
    assert defs["Pagination"]["properties"]["pageSize"]["maximum"] == 1000
    json.dumps(schema)  # a tool schema must serialise


def test_aggregate_value_json() -> None:
    assert AggregateValue("sum", Decimal("1234.50")).to_json() == {"kind": "sum", "value": 1234.5}
    assert AggregateValue("count", Decimal(3)).to_json() == {"kind": "count", "value": 3}


def test_dates_parse_from_iso_strings() -> None:
    intent = parse_intent_json('{"operation": "LIST_PAYMENTS", "filters": {"dateFrom": "2025-01-01"}}')
    assert intent.filters.date_from == date(2025, 1, 1)
