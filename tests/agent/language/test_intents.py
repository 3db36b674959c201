"""The rule-based question reader: English questions → QboIntent, then names canonicalised against the company's lists.

Every line of the public evaluation file and of our own phrasings must pass; other tests use invented names
to show nothing depends on the demo company's customers.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.language.amounts import find_amounts, words_to_number
from agent.language.intents import parse_intent, resolve_names
from agent.language.names import find_name
from domain.errors import AmbiguousName, UnknownName
from integrations.quickbooks.mapping.lists import name_candidates_from_qbo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXTURE = ROOT / "integrations/quickbooks/sandbox/fixtures/qbo_demo_company.json"
TODAY = date(2026, 3, 18)
FILTER_KEYS = (
    "customerName",
    "vendorName",
    "status",
    "dateFrom",
    "dateTo",
    "minAmount",
    "maxAmount",
    "docNumber",
)


def _cases(name: str) -> list[dict[str, Any]]:
    path = HERE / name if (HERE / name).exists() else ROOT / "bench" / "eval" / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, list):
        return any(_same(e, got) for e in expected)
    return bool(expected == got)


@pytest.fixture(scope="module")
def company() -> dict[str, Any]:
    data = json.loads(FIXTURE.read_text())
    return {
        "customers": name_candidates_from_qbo(data["Customer"]),
        "vendors": name_candidates_from_qbo(data["Vendor"]),
    }


def _check(case: dict[str, Any], company: dict[str, Any]) -> None:
    parsed = parse_intent(case["utterance"], date.fromisoformat(case["today"]))
    assert parsed.intent is not None, parsed.message
    got = resolve_names(parsed.intent, company["customers"], company["vendors"]).to_json()
    expect = case["expect"]
    assert _same(expect["operation"], got["operation"]), got
    for key in FILTER_KEYS:
        assert _same(expect.get("filters", {}).get(key), got["filters"][key]), (key, got)
    assert _same(expect.get("aggregate"), got["aggregate"]), got
    assert got["pagination"] == {"page": 1, "pageSize": 100}


@pytest.mark.parametrize("case", _cases("intents_public.jsonl"), ids=lambda c: c["utterance"][:50])
def test_public_evaluation_lines(case: dict[str, Any], company: dict[str, Any]) -> None:
    _check(case, company)


@pytest.mark.parametrize("case", _cases("phrasings.jsonl"), ids=lambda c: c["utterance"][:50])
def test_our_own_phrasings(case: dict[str, Any], company: dict[str, Any]) -> None:
    _check(case, company)


@pytest.mark.parametrize("case", _cases("intents_office.jsonl"), ids=lambda c: c["utterance"][:50])
def test_office_shorthand_and_typos(case: dict[str, Any], company: dict[str, Any]) -> None:
    _check(case, company)


@pytest.mark.parametrize(
    "question",
    ["invoices this fiscal qtr", "payments since the big storm", "bills for next fy"],
)
def test_a_period_it_cannot_read_is_said_never_dropped(question: str) -> None:
    parsed = parse_intent(question, TODAY)
    assert parsed.intent is None and parsed.message and "could not read the dates" in parsed.message


def test_a_period_that_cannot_apply_is_a_note() -> None:
    parsed = parse_intent("list customers added this year", TODAY)
    assert parsed.intent is not None and parsed.intent.filters.date_from is None
    assert parsed.notes == (
        "I cannot filter the customer list by date, so the dates you gave were not applied.",
    )


def test_in_repo_copy_of_the_public_file_has_every_line() -> None:
    assert len(_cases("intents_public.jsonl")) >= 35
    assert len(_cases("phrasings.jsonl")) >= 60


# ------------------------------------------------------------------ names are extracted as written


@pytest.mark.parametrize(
    ("utterance", "name"),
    [
        ("open invoices for Zenith Mechanical & Sons", "Zenith Mechanical & Sons"),
        ("did Priya Raman pay us in January?", "Priya Raman"),
        ("McAllister's unpaid invoices", "McAllister"),
        ("invoices for d'angelo pools", "d'angelo pools"),
        ("what does St. Mary's Parish owe us", "St. Mary's Parish"),
        ("overdue invoices for Blue Sky HVAC, Inc.", "Blue Sky HVAC, Inc."),
        ("show me invoices for the Lindqvist family trust", "Lindqvist family trust"),
    ],
)
def test_names_come_out_as_written(utterance: str, name: str) -> None:
    parsed = parse_intent(utterance, TODAY)
    assert parsed.intent is not None, parsed.message
    assert parsed.intent.filters.customer_name == name


def test_vendor_names_go_to_vendor_name_and_make_it_a_bills_question() -> None:
    parsed = parse_intent("what do we still owe to vendor Acorn Lumber?", TODAY)
    assert parsed.intent is not None
    assert parsed.intent.operation.value == "LIST_BILLS"
    assert parsed.intent.filters.vendor_name == "Acorn Lumber"
    assert parsed.intent.filters.customer_name is None


def test_no_name_is_invented_from_ordinary_words() -> None:
    for utterance in (
        "Show me all unpaid invoices",
        "Gimme overdue invoices",
        "List every open estimate pls",
    ):
        parsed = parse_intent(utterance, TODAY)
        assert parsed.intent is not None
        assert parsed.intent.filters.customer_name is None, utterance


def test_find_name_reports_where_the_name_is() -> None:
    text = "payments from Harbor Cafe & Grill"
    match = find_name(text)
    assert match is not None and text[match.start : match.end] == "Harbor Cafe & Grill"
    assert find_name("list customers") is None


# ------------------------------------------------------------------ amounts


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("over $1,000", "1000", None),
        ("more than 1000 dollars", "1000", None),
        ("above 2k", "2000", None),
        ("under $500", None, "500"),
        ("between $500 and $1,000", "500", "1000"),
        ("at least five hundred", "500", None),
        ("1.5k or more", "1500", None),
        ("no more than $2,500.50", None, "2500.50"),
        ("less than a thousand bucks", None, "1000"),
        ("from $200 to $300", "200", "300"),
        ("exactly $89", "89", "89"),
    ],
)
def test_amounts(text: str, low: str | None, high: str | None) -> None:
    found = find_amounts(text)
    assert found is not None
    assert found.min_amount == (Decimal(low) if low else None)
    assert found.max_amount == (Decimal(high) if high else None)


@pytest.mark.parametrize("text", ["more than 5 invoices", "over 30 days", "from 2025", "under a year"])
def test_counts_ages_and_years_are_not_money(text: str) -> None:
    assert find_amounts(text) is None


def test_number_words() -> None:
    assert words_to_number("fifteen hundred") == 1500
    assert words_to_number("two thousand five hundred") == 2500
    assert words_to_number("twenty-five") == 25
    with pytest.raises(ValueError):
        words_to_number("lots")


# ------------------------------------------------------------------ honesty and canonical names


@pytest.mark.parametrize("utterance", ["tell me a joke", "", "what's the weather in Sacramento?"])
def test_not_understood_lists_what_it_can_do(utterance: str) -> None:
    parsed = parse_intent(utterance, TODAY)
    assert not parsed.understood and parsed.intent is None
    assert parsed.message is not None and "invoices" in parsed.message and "e.g." in parsed.message


def test_resolve_names_canonicalises_or_asks(company: dict[str, Any]) -> None:
    parsed = parse_intent("unpaid invoices for greenfield", TODAY)
    assert parsed.intent is not None
    resolved = resolve_names(parsed.intent, company["customers"], company["vendors"])
    assert resolved.filters.customer_name == "Greenfield Apartments LLC"
    assert resolved.filters.status is not None and resolved.filters.status.value == "open"
    with pytest.raises(AmbiguousName):
        supply = parse_intent("bills from Supply", TODAY).intent
        assert supply is not None
        resolve_names(supply, company["customers"], company["vendors"])
    with pytest.raises(UnknownName):
        unknown = parse_intent("invoices for Zenith Mechanical", TODAY).intent
        assert unknown is not None
        resolve_names(unknown, company["customers"], company["vendors"])


def test_candidates_carry_company_names_as_aliases_and_activity() -> None:
    records = [
        {
            "Id": "3",
            "DisplayName": "O'Brien Construction",
            "CompanyName": "O'Brien Construction Inc.",
            "Active": True,
        },
        {"Id": "17", "DisplayName": "Westgate Mall (closed)", "Active": False},
    ]
    first, second = name_candidates_from_qbo(records)
    assert first.aliases == ("O'Brien Construction Inc.",) and first.active
    assert not second.active


def test_relative_dates_follow_the_given_today() -> None:
    parsed = parse_intent("invoices from last month", date(2025, 1, 10))
    assert parsed.intent is not None
    assert (parsed.intent.filters.date_from, parsed.intent.filters.date_to) == (
        date(2024, 12, 1),
        date(2024, 12, 31),
    )


def test_document_numbers_and_their_kind() -> None:
    cases = {
        "invoice #1042": ("GET_INVOICE", "1042"),
        "Can you pull up invoice no. 1007?": ("GET_INVOICE", "1007"),
        "estimate #5012 please": ("GET_ESTIMATE", "5012"),
        "quote 5003": ("GET_ESTIMATE", "5003"),
        "bill V97079": ("LIST_BILLS", "V97079"),
    }
    for utterance, (operation, number) in cases.items():
        intent = parse_intent(utterance, TODAY).intent
        assert intent is not None, utterance
        assert (intent.operation.value, intent.filters.doc_number) == (operation, number), utterance


_WORDS = [
    "invoice",
    "invoices",
    "over",
    "under",
    "$500",
    "between",
    "and",
    "2k",
    "five",
    "hundred",
    "a",
    "half",
    "thousand",
    "last",
    "next",
    "3/1",
    "13/45",
    "2/30/2026",
    "Feb",
    "29",
    "q5",
    "Q1",
    "in",
    "2025",
    "since",
    "before",
    "#",
    "1042",
    "for",
    "ACME's",
    "O'Brien",
    "&",
    "Co.",
    ",",
    "?",
    "paid",
    "unpaid",
    "estimate",
    "bill",
    "from",
    "to",
    "-",
    "99999999999999999999",
    "0.0.1",
    "1,2,3",
    "k",
    "grand",
    "twenty-five",
    "dollars",
    "bucks",
    "week",
    "of",
    "the",
    "yesterday",
    "older",
    "than",
    "days",
    "0",
    "-1",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join), st.text(max_size=60)))
def test_any_text_gives_an_intent_or_a_message_never_an_exception(text: str) -> None:
    parsed = parse_intent(text, TODAY)
    assert (parsed.intent is None) != (parsed.message is None)
