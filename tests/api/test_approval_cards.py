"""Approval cards over the real API (demo company, offline model): the send card names the recipient, an approval
turn always says something, a change typed in chat shows a revised card that waits for a yes, the structured
``edit`` decision still executes at once, and the approval record keeps the arguments that ran."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.qbo_wiring import callback_url
from demo.company import demo_clock
from demo.serve import DemoStartup, demo_sandbox, demo_settings
from domain.models import Role
from tests.api.conftest import make_settings

AS_OF = date(2026, 3, 18)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[Role, dict[str, str]]]]:
    tmp: Path = tmp_path_factory.mktemp("cards")
    base = make_settings(var_dir=tmp / "var", base_url="http://testserver")
    with demo_sandbox(base, callback=callback_url(base), clock=demo_clock(AS_OF)) as sandbox_url:
        settings = demo_settings(base, host="testserver", port=80, sandbox_url=sandbox_url, today=AS_OF)
        settings = settings.model_copy(update={"base_url": "http://testserver"})
        app = create_app(settings, startup=(startup := DemoStartup(lambda _: None)), create_schema=True)
        with TestClient(app) as client:
            keys = {role: {"Authorization": f"Bearer {key}"} for role, key in startup.info.keys.items()}
            yield client, keys


def _say(client: TestClient, headers: dict[str, str], text: str, thread: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": text}
    if thread:
        body["thread_id"] = thread
    response = client.post("/api/chat", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _balance(client: TestClient, headers: dict[str, str], number: str) -> Decimal:
    found = client.get("/api/invoices", params={"limit": 200}, headers=headers).json()["items"]
    return Decimal(next(i for i in found if i["doc_number"] == number)["balance_due"])


def test_send_card_names_the_recipient_and_the_turn_says_so(demo: tuple[TestClient, Any]) -> None:
    client, keys = demo
    turn = _say(client, keys[Role.OFFICE], "send invoice 1086")
    assert turn["status"] == "awaiting_approval"
    card = turn["approvals"][0]
    assert card["preview"]["to"] == "billing@bobsbakery.example"
    assert "<billing@bobsbakery.example>" in card["action_requests"][0]["description"]
    assert turn["reply"].startswith("Send invoice 1086") and "needs approval" in turn["reply"]


def test_a_change_typed_in_chat_shows_a_revised_card_and_waits_for_yes(demo: tuple[TestClient, Any]) -> None:
    client, keys = demo
    office = keys[Role.OFFICE]
    before = _balance(client, office, "1041")
    turn = _say(client, office, "record a $300 check from Bob's Bakery for invoice 1041")
    thread, first = turn["thread_id"], turn["approvals"][0]
    assert turn["reply"]  # never empty
    turn = _say(client, office, "make it 250", thread)
    assert turn["status"] == "awaiting_approval" and turn["reply"]
    revised = turn["approvals"][0]
    assert revised["approval_id"] == first["approval_id"] and revised["action_hash"] != first["action_hash"]
    assert (
        revised["preview"]["amount"] == "$250.00"
        and Decimal(revised["action_requests"][0]["args"]["amount"]) == 250
    )
    assert _balance(client, office, "1041") == before  # nothing ran on the edit
    turn = _say(client, office, "yes", thread)
    assert turn["status"] == "complete" and "Done: recorded $250.00" in turn["reply"]
    assert before - _balance(client, office, "1041") == Decimal("250")
    approval = client.get(f"/api/approvals/{first['approval_id']}", headers=office).json()
    assert approval["status"] == "executed"
    assert Decimal(approval["args"]["amount"]) == Decimal(approval["final_args"]["amount"]) == 250


def test_the_structured_edit_decision_executes_at_once(demo: tuple[TestClient, Any]) -> None:
    client, keys = demo
    office = keys[Role.OFFICE]
    before = _balance(client, office, "1086")
    card = _say(client, office, "record a $743.90 check from Bob's Bakery for invoice 1086")["approvals"][0]
    args = {**card["action_requests"][0]["args"], "amount": "700"}
    response = client.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"decisions": [{"type": "edit", "edited_action": {"name": "record_payment", "args": args}}]},
        headers=office,
    )
    assert response.status_code == 200, response.text
    assert before - _balance(client, office, "1086") == Decimal("700")
    approval = client.get(f"/api/approvals/{card['approval_id']}", headers=office).json()
    assert approval["decision"] == "edit" and Decimal(approval["final_args"]["amount"]) == 700


def test_the_imported_payment_methods_decide_what_a_payment_may_say(demo: tuple[TestClient, Any]) -> None:
    client, keys = demo
    turn = _say(client, keys[Role.OFFICE], "record $50 from Bob's Bakery via venmo")
    assert turn["status"] == "complete" and turn["approvals"] == []
    assert "which one was it: ACH, Cash, Check, Credit Card?" in turn["reply"]
