"""The offline chat model: staff phrasing → the tool calls an LLM would make; tool results → plain answers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agent.offline.model import OfflineChatModel
from domain.drafting import CatalogEntry
from domain.models import ItemType
from tools.registry import all_tools

SYSTEM = SystemMessage("You are the books assistant. Today is 2026-03-18 (America/Los_Angeles).")
CATALOG = [
    CatalogEntry(id="1", name="Labor - Standard", type=ItemType.LABOR, rate=Decimal("110"), unit="hr"),
    CatalogEntry(
        id="2",
        name="Water Heater 50 gal Gas",
        type=ItemType.MATERIAL,
        rate=Decimal("950"),
        keywords=("water heater", "50 gallon", "gas"),
    ),
]


def model(catalog: list[CatalogEntry] | None = None) -> OfflineChatModel:
    return OfflineChatModel(catalog=catalog or []).bind_tools(all_tools())


def first_call(text: str, m: OfflineChatModel | None = None) -> dict:
    reply = (m or model()).invoke([SYSTEM, HumanMessage(text)])
    assert isinstance(reply, AIMessage) and reply.tool_calls, reply.content
    return {"name": reply.tool_calls[0]["name"], "args": reply.tool_calls[0]["args"]}


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        (
            "turn estimate 5012 into an invoice and send it",
            "convert_estimate_to_invoice",
            {"doc_number": "5012", "send": True},
        ),
        (
            "Convert estimate #5008 to an invoice",
            "convert_estimate_to_invoice",
            {"doc_number": "5008", "send": False},
        ),
        (
            "record a $500 check from Bob's Bakery for invoice 1042",
            "record_payment",
            {"customer": "Bob's Bakery", "amount": "500", "method": "check", "invoices": ["1042"]},
        ),
        ("void invoice 1003", "void_invoice", {"doc_number": "1003"}),
        ("void inv 1003 (entered twice)", "void_invoice", {"doc_number": "1003", "reason": "entered twice"}),
        (
            "void invoice #1003 for duplicate billing",
            "void_invoice",
            {"doc_number": "1003", "reason": "duplicate billing"},
        ),
        (
            "void invoice 1003 it was a duplicate",
            "void_invoice",
            {"doc_number": "1003", "reason": "it was a duplicate"},
        ),
        (
            "record $500 chk #4471 from bob's",
            "record_payment",
            {"customer": "bob's", "amount": "500", "method": "check", "reference": "4471"},
        ),
        (
            "record a $1,200 ACH payment from Greenfield, trace 091000019",
            "record_payment",
            {"customer": "Greenfield", "amount": "1200", "method": "ach", "reference": "091000019"},
        ),
        (
            "log a $250 check 1234 from Jane Cooper for invoice 1042",
            "record_payment",
            {
                "customer": "Jane Cooper",
                "amount": "250",
                "method": "check",
                "reference": "1234",
                "invoices": ["1042"],
            },
        ),
        (
            "write off the rest of invoice 1010 — customer went bankrupt",
            "write_off_invoice",
            {"doc_number": "1010", "reason": "customer went bankrupt"},
        ),
        ("send estimate 5012 to the customer", "send_estimate", {"doc_number": "5012"}),
        ("email invoice 1086", "send_invoice", {"doc_number": "1086"}),
        (
            "add a customer Harbor Cafe, email hi@harbor.example",
            "create_customer",
            {"display_name": "Harbor Cafe", "email": "hi@harbor.example"},
        ),
        (
            "new customer Harbor Cafe (contact: Maria Lopez, maria@harbor.example, (555) 201-3344)",
            "create_customer",
            {
                "display_name": "Harbor Cafe",
                "email": "maria@harbor.example",
                "phone": "(555) 201-3344",
                "contact_name": "Maria Lopez",
            },
        ),
    ],
)
def test_each_write_phrasing_becomes_its_tool_call(text: str, name: str, args: dict) -> None:
    call = first_call(text)
    assert call == {"name": name, "args": args}
    # The arguments it writes are valid for the tool it calls.
    tool = next(t for t in all_tools() if t.name == name)
    tool.validate_args(call["args"])


def test_questions_become_query_books_with_a_valid_intent() -> None:
    call = first_call("show me all unpaid invoices from last month over 1000 dollars")
    assert call["name"] == "query_books"
    assert call["args"]["intent"]["filters"]["dateFrom"] == "2026-02-01"  # today came from the system prompt
    next(t for t in all_tools() if t.name == "query_books").validate_args(call["args"])


def test_estimate_requests_plan_catalog_lines() -> None:
    call = first_call(
        "draft an estimate for Jane Cooper: replace a 50 gallon gas water heater, 3.5 hours", model(CATALOG)
    )
    assert call["name"] == "draft_estimate" and call["args"]["customer"] == "Jane Cooper"
    names = {line["item_name"] for line in call["args"]["lines"]}
    assert {"Water Heater 50 gal Gas", "Labor - Standard"} <= names
    # Without a catalog at hand it leaves the lines to the draft tool's planner.
    bare = first_call("draft an estimate for Jane Cooper: replace a water heater")
    assert "lines" not in bare["args"]


def test_an_estimate_without_a_customer_is_a_question_back() -> None:
    reply = model(CATALOG).invoke([SYSTEM, HumanMessage("draft an estimate: new toilet")])
    assert not reply.tool_calls and "Which customer" in reply.content


def test_it_says_what_it_did_not_understand_with_examples() -> None:
    reply = model().invoke([SYSTEM, HumanMessage("sing me a song about pipes")])
    assert not reply.tool_calls
    assert "could not tell" in reply.content and "void invoice 1003" in reply.content
    assert "show invoice 1042" in reply.content


def _tool(name: str, payload: dict, call_id: str = "c1") -> ToolMessage:
    return ToolMessage(json.dumps(payload), tool_call_id=call_id, name=name)


def test_answers_use_money_counts_and_doc_numbers() -> None:
    result = {
        "intent": {"operation": "LIST_INVOICES", "filters": {"status": "open"}, "aggregate": None},
        "query": "SELECT * FROM Invoice WHERE Balance > '0'",
        "aggregate": None,
        "results": [
            {
                "DocNumber": "1086",
                "CustomerRef": {"name": "Bob's Bakery"},
                "TotalAmt": 1732.55,
                "Balance": 1732.55,
                "DueDate": "2026-02-06",
                "TxnDate": "2026-01-22",
            },
            {
                "DocNumber": "1087",
                "CustomerRef": {"name": "Carlos Mendez"},
                "TotalAmt": "412.89",
                "Balance": "247.73",
                "TxnDate": "2026-02-01",
            },
        ],
    }
    history = [
        SYSTEM,
        HumanMessage("open invoices"),
        AIMessage("", tool_calls=[{"name": "query_books", "args": {}, "id": "c1", "type": "tool_call"}]),
        _tool("query_books", result),
    ]
    text = model().invoke(history).content
    assert "2 invoices ($1,980.28 open)" in text and "#1086, Bob's Bakery" in text and "$1,732.55" in text
    follow = model().invoke([*history, AIMessage(text), HumanMessage("show me the query")]).content
    assert "SELECT * FROM Invoice WHERE Balance > '0'" in follow
    summed = {
        **result,
        "intent": {"operation": "LIST_PAYMENTS", "filters": {}, "aggregate": "sum"},
        "aggregate": {"kind": "sum", "value": 346.01},
    }
    assert "$346.01" in model().invoke([*history[:-1], _tool("query_books", summed)]).content


def test_answers_for_actions_and_errors() -> None:
    def answer(name: str, payload: dict) -> str:
        return (
            model()
            .invoke(
                [
                    SYSTEM,
                    HumanMessage("x"),
                    AIMessage("", tool_calls=[{"name": name, "args": {}, "id": "c1", "type": "tool_call"}]),
                    _tool(name, payload),
                ]
            )
            .content
        )

    assert (
        answer(
            "void_invoice",
            {"status": "executed", "approval_id": "a", "result": {"invoice": "1003", "status": "void"}},
        )
        == "Done: invoice 1003 is void."
    )
    assert "did not do that" in answer(
        "void_invoice", {"status": "rejected", "approval_id": "a", "message": "wrong one"}
    )
    assert "wrong one" in answer(
        "void_invoice", {"status": "rejected", "approval_id": "a", "message": "wrong one"}
    )
    assert "Which one" in answer(
        "query_books",
        {"error": "'Bob' matches several customers: A, B. Which one did you mean?", "code": "ambiguous_name"},
    )


def test_today_falls_back_when_the_prompt_has_none() -> None:
    m = OfflineChatModel(today=date(2026, 3, 18)).bind_tools(all_tools())
    reply = m.invoke([HumanMessage("invoices from last month")])
    assert reply.tool_calls[0]["args"]["intent"]["filters"]["dateTo"] == "2026-02-28"


@pytest.mark.parametrize(
    ("text", "args"),
    [
        (
            "record $1,732.55 ach from bobs bakery for 1086",
            {"customer": "bobs bakery", "amount": "1732.55", "method": "ach", "invoices": ["1086"]},
        ),
        (
            "record $500 check # 4471 from Bob's Bakery for inv 1041",
            {
                "customer": "Bob's Bakery",
                "amount": "500",
                "method": "check",
                "reference": "4471",
                "invoices": ["1041"],
            },
        ),
        (
            "log chk #2210 for $88.40 from Jane Cooper",
            {"customer": "Jane Cooper", "amount": "88.40", "method": "check", "reference": "2210"},
        ),
        (
            "got $250 cash from carlos mendez on invoices 1050 and 1051",
            {"customer": "carlos mendez", "amount": "250", "method": "cash", "invoices": ["1050", "1051"]},
        ),
        (
            "bobs bakery paid $412.89 by check 3321 for inv 1041",
            {
                "customer": "bobs bakery",
                "amount": "412.89",
                "method": "check",
                "reference": "3321",
                "invoices": ["1041"],
            },
        ),
        (
            "post a pmt of 1200 from Lakeview HOA via zelle ref 99812",
            {"customer": "Lakeview HOA", "amount": "1200", "method": "zelle", "reference": "99812"},
        ),
    ],
)
def test_payment_phrasing_is_cut_into_its_parts(text: str, args: dict) -> None:
    call = first_call(text)
    assert call == {"name": "record_payment", "args": args}
    next(t for t in all_tools() if t.name == "record_payment").validate_args(call["args"])


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("void 1081", "void_invoice", {"doc_number": "1081"}),
        ("void inv #1081 - duplicate", "void_invoice", {"doc_number": "1081", "reason": "duplicate"}),
        ("void inv 1093 dup", "void_invoice", {"doc_number": "1093", "reason": "dup"}),
        ("send inv 1086", "send_invoice", {"doc_number": "1086"}),
        ("email est 5012", "send_estimate", {"doc_number": "5012"}),
    ],
)
def test_documents_are_named_by_number_and_shorthand(text: str, name: str, args: dict) -> None:
    assert first_call(text) == {"name": name, "args": args}


@pytest.mark.parametrize(
    "text",
    [
        "draft for jane cooper - swap 40 gal gas heater, 3 hrs",
        "est for Jane Cooper: swap 40 gal gas heater, 3 hrs",
        "new quote for jane cooper, swap 40 gal gas heater, 3 hrs",
        "need an est for jane cooper: swap 40 gal gas heater, 3 hrs",
    ],
)
def test_a_draft_without_the_word_estimate_is_still_a_draft(text: str) -> None:
    catalog = [
        *CATALOG,
        CatalogEntry(
            id="3",
            name="Water Heater 40 gal Gas",
            type=ItemType.MATERIAL,
            rate=Decimal("850"),
            keywords=("water heater", "40 gallon", "gas"),
        ),
    ]
    call = first_call(text, model(catalog))
    assert call["name"] == "draft_estimate" and call["args"]["customer"].lower() == "jane cooper"
    lines = {line["item_name"]: line for line in call["args"]["lines"]}
    assert set(lines) == {"Water Heater 40 gal Gas", "Labor - Standard"}
    assert lines["Labor - Standard"]["hours"] == "3"


@pytest.mark.parametrize(
    "text",
    [
        "delete all invoices",
        "remove every estimate from last year",
        "wipe the customers",
        "void all invoices",
    ],
)
def test_destructive_bulk_requests_are_refused_with_what_it_can_do(text: str) -> None:
    reply = model().invoke([SYSTEM, HumanMessage(text)])
    assert not reply.tool_calls
    assert "void invoice 1003" in reply.content and (
        "can't delete" in reply.content or "bulk" in reply.content
    )


@pytest.mark.parametrize(
    "text",
    ["what's the weather", "any news today?", "tell me a joke", "who are you?", "what can you do", "how r u"],
)
def test_out_of_scope_gets_a_short_honest_answer(text: str) -> None:
    reply = model().invoke([SYSTEM, HumanMessage(text)])
    assert not reply.tool_calls
    assert "books assistant" in reply.content and len(reply.content) < 300


def test_a_date_that_cannot_apply_is_said_in_the_answer() -> None:
    m = model()
    asked = m.invoke([SYSTEM, HumanMessage("customers this yr")])
    assert asked.tool_calls and "not applied" in asked.content
    result = {"intent": asked.tool_calls[0]["args"]["intent"], "results": [{"DisplayName": "ACME Corp"}]}
    answer = m.invoke([SYSTEM, HumanMessage("customers this yr"), asked, _tool("query_books", result)])
    assert (
        answer.content.startswith("I cannot filter the customer list by date")
        and "ACME Corp" in answer.content
    )


def test_a_question_about_paying_is_not_a_payment_to_record() -> None:
    assert first_call("did bobs bakery pay $412.89 for inv 1041?")["name"] != "record_payment"


def test_send_with_a_bare_number_asks_which_kind() -> None:
    reply = model().invoke([SYSTEM, HumanMessage("send 1086")])
    assert not reply.tool_calls and '"send invoice 1086"' in reply.content


def test_thanks_gets_a_short_reply() -> None:
    assert model().invoke([SYSTEM, HumanMessage("thanks!")]).content == "You're welcome."
