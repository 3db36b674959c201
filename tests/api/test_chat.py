"""Chat and approvals over HTTP against the real graph with a scripted model and small real tools."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.models import Approval, Customer, Role
from tests.agent.fakes import ScriptedModel, call, says
from tests.api.conftest import TenantKeys


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_chat_answers_a_read_question(chat: TestClient, tenant: TenantKeys, script: ScriptedModel) -> None:
    script.script += [
        says("", call("find_customers", name_contains="Jane")),
        says("Jane Cooper is your customer."),
    ]
    response = chat.post(
        "/api/chat", json={"message": "who is jane?"}, headers=tenant.headers(Role.TECHNICIAN)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "complete"
    assert body["reply"] == "Jane Cooper is your customer."
    assert body["tools"][0]["name"] == "find_customers" and body["tools"][0]["status"] == "ok"
    threads = chat.get("/api/threads", headers=tenant.headers(Role.TECHNICIAN)).json()
    assert [t["id"] for t in threads] == [body["thread_id"]]
    history = chat.get(
        f"/api/threads/{body['thread_id']}/messages", headers=tenant.headers(Role.TECHNICIAN)
    ).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "tool", "assistant"]


def test_stream_emits_the_event_protocol(chat: TestClient, tenant: TenantKeys, script: ScriptedModel) -> None:
    script.script += [says("", call("find_customers", name_contains="Jane")), says("Found Jane.")]
    with chat.stream(
        "POST", "/api/chat/stream", json={"message": "find jane"}, headers=tenant.headers()
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(r.read().decode())
    names = [e for e, _ in events]
    assert names[0] == "tool_start" and "tool_end" in names and "token" in names
    assert names[-2:] == ["message", "done"]
    assert events[-1][1]["status"] == "complete"
    assert "".join(d["text"] for e, d in events if e == "token").endswith("Found Jane.")


def _propose(
    chat: TestClient,
    tenant: TenantKeys,
    script: ScriptedModel,
    role: Role = Role.TECHNICIAN,
    name: str = "Acme Builders",
) -> dict[str, Any]:
    script.script += [says("", call("add_customer", display_name=name))]
    body = chat.post("/api/chat", json={"message": f"add {name}"}, headers=tenant.headers(role)).json()
    assert body["status"] == "awaiting_approval", body
    return body


def _names(engine: Engine, tenant: TenantKeys) -> set[str]:
    with Session(engine) as s:
        return set(s.scalars(select(Customer.display_name).where(Customer.tenant_id == tenant.tenant_id)))


def test_proposal_waits_then_approval_executes(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel, api_engine: Engine
) -> None:
    body = _propose(chat, tenant, script)
    card = body["approvals"][0]
    assert card["action_requests"][0]["name"] == "add_customer"
    assert card["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    assert "Acme Builders" not in _names(api_engine, tenant)  # nothing written before the decision

    inbox = chat.get(
        "/api/approvals", params={"status": "pending"}, headers=tenant.headers(Role.OFFICE)
    ).json()
    assert [a["id"] for a in inbox["items"]] == [card["approval_id"]]

    # The technician who proposed it may not approve it.
    refused = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve", "action_hash": card["action_hash"]},
        headers=tenant.headers(Role.TECHNICIAN),
    )
    assert refused.status_code == 403

    script.script += [says("Added Acme Builders.")]
    decided = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve", "action_hash": card["action_hash"]},
        headers=tenant.headers(Role.OFFICE),
    )
    assert decided.status_code == 200, decided.text
    outcome = decided.json()
    assert outcome["approval"]["status"] == "executed"
    assert outcome["turn"]["reply"] == "Added Acme Builders."
    assert "Acme Builders" in _names(api_engine, tenant)

    again = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve"},
        headers=tenant.headers(Role.OWNER),
    )
    assert again.status_code == 409
    assert (
        chat.get("/api/approvals", params={"status": "pending"}, headers=tenant.headers()).json()["items"]
        == []
    )


def test_edit_and_reject_decisions(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel, api_engine: Engine
) -> None:
    card = _propose(chat, tenant, script, name="Acme Typo")["approvals"][0]
    script.script += [says("Added the corrected name.")]
    edited = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={
            "type": "edit",
            "action_hash": card["action_hash"],
            "edited_action": {"name": "add_customer", "args": {"display_name": "Acme Correct"}},
        },
        headers=tenant.headers(Role.OFFICE),
    )
    assert edited.status_code == 200 and edited.json()["approval"]["status"] == "executed"
    assert "Acme Correct" in _names(api_engine, tenant) and "Acme Typo" not in _names(api_engine, tenant)

    card2 = _propose(chat, tenant, script, name="Never Added")["approvals"][0]
    script.script += [says("OK, I did not add it.")]
    rejected = chat.post(
        f"/api/approvals/{card2['approval_id']}/decision",
        json={"type": "reject", "message": "not a real customer"},
        headers=tenant.headers(Role.TECHNICIAN),
    )  # anyone may decline
    assert rejected.status_code == 200 and rejected.json()["approval"]["status"] == "rejected"
    assert "Never Added" not in _names(api_engine, tenant)


def test_stale_hash_is_409_and_leaves_it_pending(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    card = _propose(chat, tenant, script)["approvals"][0]
    response = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve", "action_hash": "0" * 64},
        headers=tenant.headers(Role.OFFICE),
    )
    assert response.status_code == 409
    pending = chat.get(f"/api/approvals/{card['approval_id']}", headers=tenant.headers()).json()
    assert pending["status"] == "pending"


def test_decision_can_stream(chat: TestClient, tenant: TenantKeys, script: ScriptedModel) -> None:
    card = _propose(chat, tenant, script)["approvals"][0]
    script.script += [says("Done, Acme Builders is in.")]
    with chat.stream(
        "POST",
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve", "action_hash": card["action_hash"], "stream": True},
        headers=tenant.headers(Role.OWNER),
    ) as r:
        events = parse_sse(r.read().decode())
    tool_end = next(d for e, d in events if e == "tool_end")
    assert tool_end["result"]["status"] == "executed"
    assert events[-1] == ("done", {"thread_id": card_thread(chat, tenant, card), "status": "complete"})


def card_thread(chat: TestClient, tenant: TenantKeys, card: dict[str, Any]) -> str:
    return chat.get(f"/api/approvals/{card['approval_id']}", headers=tenant.headers()).json()["thread_id"]


def test_concurrent_decisions_have_one_winner(
    chat_app: FastAPI, chat: TestClient, tenant: TenantKeys, script: ScriptedModel, api_engine: Engine
) -> None:
    card = _propose(chat, tenant, script)["approvals"][0]
    script.script += [says("Added."), says("Added.")]

    async def race() -> list[int]:
        transport = httpx.ASGITransport(app=chat_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = {"type": "approve", "action_hash": card["action_hash"]}
            responses = await asyncio.gather(
                *[
                    client.post(
                        f"/api/approvals/{card['approval_id']}/decision",
                        json=body,
                        headers=tenant.headers(role),
                    )
                    for role in (Role.OFFICE, Role.OWNER, Role.ADMIN)
                ]
            )
        return sorted(r.status_code for r in responses)

    assert asyncio.run(race()) == [200, 409, 409]
    with Session(api_engine) as s:
        assert (
            s.scalars(select(Customer).where(Customer.display_name == "Acme Builders")).all().__len__() == 1
        )
        assert s.get(Approval, card["approval_id"]).status == "executed"


def test_other_tenant_cannot_see_or_decide(
    chat: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, script: ScriptedModel
) -> None:
    body = _propose(chat, tenant, script)
    card = body["approvals"][0]
    other = other_tenant.headers(Role.OWNER)
    assert chat.get(f"/api/approvals/{card['approval_id']}", headers=other).status_code == 404
    assert (
        chat.post(
            f"/api/approvals/{card['approval_id']}/decision", json={"type": "approve"}, headers=other
        ).status_code
        == 404
    )
    assert chat.get("/api/approvals", headers=other).json()["items"] == []
    assert chat.get(f"/api/threads/{body['thread_id']}/messages", headers=other).status_code == 404
    # Posting into another tenant's thread is refused before the model runs.
    assert (
        chat.post(
            "/api/chat", json={"message": "hi", "thread_id": body["thread_id"]}, headers=other
        ).status_code
        == 404
    )
    # Another user of the same tenant cannot continue someone else's thread either.
    assert (
        chat.post(
            "/api/chat",
            json={"message": "hi", "thread_id": body["thread_id"]},
            headers=tenant.headers(Role.OWNER),
        ).status_code
        == 404
    )


def test_chat_validation(chat: TestClient, tenant: TenantKeys) -> None:
    assert chat.post("/api/chat", json={"message": ""}, headers=tenant.headers()).status_code == 422
    assert chat.post("/api/chat", json={"message": "x" * 9000}, headers=tenant.headers()).status_code == 422
    assert chat.post("/api/chat", json={"text": "hi"}, headers=tenant.headers()).status_code == 422
    assert chat.post("/api/chat", json={"message": "hi"}).status_code == 401


def test_decisions_in_words_in_the_same_thread(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel, api_engine: Engine
) -> None:
    body = _propose(chat, tenant, script, role=Role.OFFICE, name="Words Co")
    thread = body["thread_id"]
    unclear = chat.post(
        "/api/chat",
        json={"message": "hmm, what is this?", "thread_id": thread},
        headers=tenant.headers(Role.OFFICE),
    ).json()
    assert unclear["status"] == "awaiting_approval" and "waiting for a decision" in unclear["reply"]
    script.script += [says("Added Words Co.")]
    yes = chat.post(
        "/api/chat", json={"message": "yes", "thread_id": thread}, headers=tenant.headers(Role.OFFICE)
    )
    assert yes.status_code == 200 and yes.json()["reply"] == "Added Words Co."
    assert "Words Co" in _names(api_engine, tenant)


def test_words_cannot_approve_beyond_the_role(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel, api_engine: Engine
) -> None:
    body = _propose(chat, tenant, script, role=Role.TECHNICIAN, name="Sneaky Co")
    thread = body["thread_id"]
    refused = chat.post(
        "/api/chat", json={"message": "approve", "thread_id": thread}, headers=tenant.headers(Role.TECHNICIAN)
    )
    assert refused.status_code == 403
    script.script += [says("Understood, not adding it.")]
    no = chat.post(
        "/api/chat",
        json={"message": "no, duplicate", "thread_id": thread},
        headers=tenant.headers(Role.TECHNICIAN),
    ).json()
    assert no["tools"][0]["result"]["status"] == "rejected"
    assert "Sneaky Co" not in _names(api_engine, tenant)


def test_a_bug_mid_stream_is_reported_in_band(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    # FindCustomers raises RuntimeError for "crash": a bug, not an expected failure.
    script.script += [says("", call("find_customers", name_contains="crash"))]
    with chat.stream("POST", "/api/chat/stream", json={"message": "crash it"}, headers=tenant.headers()) as r:
        text = r.read().decode()
    events = parse_sse(text)
    assert events[-2][0] == "error" and events[-2][1]["code"] == "internal_error"
    assert events[-1] == ("done", {"status": "error"})


def test_a_bug_in_a_json_turn_is_a_problem_500(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    script.script += [says("", call("find_customers", name_contains="crash"))]
    response = chat.post("/api/chat", json={"message": "crash it"}, headers=tenant.headers())
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "internal_error" and response.headers["x-request-id"]


def test_a_read_turn_is_checkpointed_once_when_it_ends(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    # Model → tools → model is three steps; a question changes nothing a crash could leave half done, so the
    # conversation is written once, at the end, not after every step.
    script.script += [says("", call("find_customers", name_contains="Jane")), says("Jane Cooper.")]
    body = chat.post("/api/chat", json={"message": "who is jane"}, headers=tenant.headers()).json()
    assert body["status"] == "complete", body
    graph = chat.app.state.services.agent.graph  # type: ignore[attr-defined]
    config = {"configurable": {"thread_id": body["thread_id"]}}
    assert len(list(graph.checkpointer.list(config))) == 1
    # The next turn on the thread reads that one checkpoint and answers with the whole conversation kept.
    script.script += [says("She is active.")]
    again = chat.post(
        "/api/chat",
        json={"message": "is she active", "thread_id": body["thread_id"]},
        headers=tenant.headers(),
    ).json()
    assert again["reply"] == "She is active."
    history = chat.get(f"/api/threads/{body['thread_id']}/messages", headers=tenant.headers()).json()
    assert [m["role"] for m in history["messages"]] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]
    assert len(list(graph.checkpointer.list(config))) == 2
