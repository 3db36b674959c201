"""Approvals in plain words: what a reviewer types in chat → a decision of the approval protocol."""

from __future__ import annotations

import pytest

from agent.language.decisions import decision_from_words


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("yes", {"type": "approve"}),
        ("Go ahead", {"type": "approve"}),
        ("approve", {"type": "approve"}),
        ("no, wrong customer", {"type": "reject", "message": "wrong customer"}),
        ("cancel", {"type": "reject", "message": "Declined in chat."}),
        (
            "make it $400",
            {
                "type": "edit",
                "edited_action": {
                    "name": "record_payment",
                    "args": {"customer": "Bob's Bakery", "amount": "400", "invoices": ["1042"]},
                },
            },
        ),
    ],
)
def test_approvals_in_plain_words(words: str, expected: dict) -> None:
    request = {
        "name": "record_payment",
        "args": {"customer": "Bob's Bakery", "amount": "500", "invoices": ["1042"]},
    }
    assert decision_from_words(words, request) == expected


def test_unclear_approval_words_are_not_a_decision() -> None:
    assert decision_from_words("hmm what does that do", {"name": "void_invoice", "args": {}}) is None


def test_new_hours_in_words_edit_a_draft_s_labor_lines() -> None:
    lines = [
        {"item_name": "Water Heater 50 gal Gas", "quantity": "1", "rationale": "named"},
        {"item_name": "Labor - Standard", "hours": "3", "rationale": "3 h stated"},
    ]
    request = {"name": "draft_estimate", "args": {"customer": "Jane Cooper", "lines": lines}}
    decision = decision_from_words("make it 4 hours instead", request)
    assert decision is not None and decision["type"] == "edit"
    edited = decision["edited_action"]["args"]["lines"]
    assert edited == [lines[0], {"item_name": "Labor - Standard", "hours": "4"}]
    # A write without labor lines is not edited by hours.
    assert decision_from_words("make it 4 hours", {"name": "void_invoice", "args": {}}) is None


def test_more_hours_in_words_add_to_the_labor_line() -> None:
    lines = [{"item_name": "Labor - Standard", "hours": "1.5", "rationale": "stated"}]
    request = {"name": "update_estimate", "args": {"doc_number": "5035", "lines": lines}}
    decision = decision_from_words("add an hour", request)
    assert decision is not None
    assert decision["edited_action"]["args"]["lines"] == [{"item_name": "Labor - Standard", "hours": "2.5"}]
