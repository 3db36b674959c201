"""The decision envelope and interrupt payload of DESIGN §3.3, driven by the README's own examples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.models import Approval, Customer, Role
from tests.agent.fakes import ScriptedModel, call, says
from tests.api.conftest import TenantKeys

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_blocks() -> list[list[Any]]:
    """The JSON blocks of the README's "Approval decisions" section; each line of a block is one value."""
    text = README.read_text()
    section = text.split("## Approval decisions", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, re.S)
    values: list[list[Any]] = []
    for block in blocks:
        try:
            values.append([json.loads(block)])
        except ValueError:
            values.append([json.loads(line) for line in block.splitlines() if line.strip()])
    return values


def _bodies() -> dict[str, dict[str, Any]]:
    bodies = _readme_blocks()[1]
    return {body["decisions"][0]["type"]: body for body in bodies}


def _propose(chat: TestClient, tenant: TenantKeys, script: ScriptedModel, name: str) -> dict[str, Any]:
    script.script += [says("", call("add_customer", display_name=name))]
    body = chat.post("/api/chat", json={"message": f"add {name}"}, headers=tenant.headers()).json()
    assert body["status"] == "awaiting_approval", body
    return dict(body["approvals"][0])


def _names(engine: Engine, tenant: TenantKeys) -> set[str]:
    with Session(engine) as s:
        return set(s.scalars(select(Customer.display_name).where(Customer.tenant_id == tenant.tenant_id)))


def test_the_interrupt_payload_has_the_readme_shape(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    example = _readme_blocks()[0][0]
    card = _propose(chat, tenant, script, "Acme Typo")
    assert set(example) <= set(card)
    assert (
        set(card["action_requests"][0])
        == set(example["action_requests"][0])
        == {"name", "args", "description"}
    )
    assert card["action_requests"][0]["name"] == "add_customer"
    assert card["action_requests"][0]["args"]["display_name"] == "Acme Typo"
    assert card["review_configs"] == example["review_configs"]


@pytest.mark.parametrize(
    ("kind", "status", "present", "absent"),
    [
        ("approve", "executed", "Acme Typo", None),
        ("edit", "executed", "Acme Correct", "Acme Typo"),
        ("reject", "rejected", None, "Acme Typo"),
    ],
)
def test_each_readme_decision_body_is_accepted(
    chat: TestClient,
    tenant: TenantKeys,
    script: ScriptedModel,
    api_engine: Engine,
    kind: str,
    status: str,
    present: str | None,
    absent: str | None,
) -> None:
    card = _propose(chat, tenant, script, "Acme Typo")
    script.script += [says("Done.")]
    response = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json=_bodies()[kind],
        headers=tenant.headers(Role.OFFICE),
    )
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["status"] == status
    names = _names(api_engine, tenant)
    assert present is None or present in names
    assert absent is None or absent not in names
    if kind == "reject":
        with Session(api_engine) as s:
            assert s.get(Approval, card["approval_id"]).decision_message == "not a real customer"


@pytest.mark.parametrize(
    "body",
    [
        {"decisions": []},
        {"decisions": [{"type": "approve"}, {"type": "approve"}]},
        {"decisions": [{"type": "approve"}], "type": "approve"},
        {"decisions": [{"type": "maybe"}]},
        {"decisions": {"type": "approve"}},
        {"decisions": ["approve"]},
        {"stream": True},
        {},
    ],
)
def test_malformed_envelopes_are_422_and_leave_it_pending(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel, api_engine: Engine, body: dict[str, Any]
) -> None:
    card = _propose(chat, tenant, script, "Acme Typo")
    response = chat.post(
        f"/api/approvals/{card['approval_id']}/decision", json=body, headers=tenant.headers(Role.OFFICE)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    with Session(api_engine) as s:
        assert s.get(Approval, card["approval_id"]).status == "pending"
    assert "Acme Typo" not in _names(api_engine, tenant)


def test_the_envelope_binds_to_the_hash_it_saw(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    card = _propose(chat, tenant, script, "Acme Typo")
    stale = {"decisions": [{"type": "approve"}], "action_hash": "0" * 64}
    response = chat.post(
        f"/api/approvals/{card['approval_id']}/decision", json=stale, headers=tenant.headers(Role.OFFICE)
    )
    assert response.status_code == 409
