"""A customer filter the reader cannot resolve is never dropped: odd names reach the tools, which say so.

Backslashes, quotes, apostrophes and other scripts, through the offline reader and then through the real
offline model, graph and query tool on the local store (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from agent.context import Context
from agent.graph import build_graph
from agent.language.intents import parse_intent, resolve_names
from agent.offline.model import OfflineChatModel
from domain.errors import UnknownName
from domain.models import Customer, Role
from domain.names import NameCandidate
from domain.services.tenants import create_tenant
from tools.base import Toolbox, ToolDeps
from tools.books import LocalBooks
from tools.read import QueryBooks

TODAY = date(2026, 3, 18)
COMPANY = [
    "Back'slash Co",
    'The "Quote" Co',
    "O'Brien & Sons",
    "Ölaf Heating",
    "李 Plumbing",
    "ACME Plumbing",
]


@pytest.mark.parametrize(
    ("question", "written"),
    [
        ("show invoices for Back\\'slash Co", "Back\\'slash Co"),
        ("show invoices for Back\\slash Co", "Back\\slash Co"),
        ('show invoices for "Quote" Co', '"Quote" Co'),
        ("show me estimates for 'Quote' Co", "'Quote' Co"),
        ("what does O\\'Brien owe", "O\\'Brien"),
        ("open invoices for Zoë's Café", "Zoë's Café"),
        ("show invoices for Ölaf Heating", "Ölaf Heating"),
        ("invoices for ölaf heating", "ölaf heating"),
        ("show invoices for 李 Plumbing", "李 Plumbing"),
        ("how much does Müller GmbH owe", "Müller GmbH"),
        ("show invoices for @@@", "@@@"),
        ("show invoices for ???", "???"),
    ],
)
def test_odd_names_are_kept_as_filters(question: str, written: str) -> None:
    parsed = parse_intent(question, TODAY)
    assert parsed.intent is not None, parsed.message
    assert parsed.intent.filters.customer_name == written


@pytest.mark.parametrize(
    ("question", "canonical"),
    [
        ("show invoices for Back\\'slash Co", "Back'slash Co"),
        ("show invoices for Backslash Co", "Back'slash Co"),
        ('show invoices for "Quote" Co', 'The "Quote" Co'),
        ("what does O\\'Brien owe", "O'Brien & Sons"),
        ("invoices for OLAF HEATING", "Ölaf Heating"),
        ("show invoices for 李 Plumbing", "李 Plumbing"),
    ],
)
def test_odd_names_resolve_to_the_company_spelling(question: str, canonical: str) -> None:
    candidates = [NameCandidate(id=str(i), name=n) for i, n in enumerate(COMPANY)]
    parsed = parse_intent(question, TODAY)
    assert parsed.intent is not None
    assert resolve_names(parsed.intent, candidates, []).filters.customer_name == canonical


def test_another_script_is_not_any_plumber() -> None:
    # Dropping non-Latin letters made "王 Heating" read as "Heating", i.e. Ölaf Heating.
    candidates = [NameCandidate(id=str(i), name=n) for i, n in enumerate(COMPANY)]
    parsed = parse_intent("show invoices for 王 Heating", TODAY)
    assert parsed.intent is not None
    with pytest.raises(UnknownName):
        resolve_names(parsed.intent, candidates, [])


@pytest.mark.parametrize(
    ("question", "suggested"),
    [
        ("show invoices for Zzyzx Widgets", None),
        ("show invoices for Backslash Heating", "Back'slash Co"),
        ("show invoices for @@@", None),
    ],
)
async def test_the_answer_says_there_is_no_such_customer(
    engine: Engine, question: str, suggested: str | None
) -> None:
    sm = sessionmaker(engine, expire_on_commit=False)
    with sm() as s, s.begin():
        tenant = create_tenant(s, f"Odd {uuid.uuid4().hex[:6]}")
        s.add_all([Customer(tenant_id=tenant.id, display_name=n) for n in COMPANY])
    graph = build_graph(
        OfflineChatModel(catalog=[]),
        Toolbox(
            tools=[QueryBooks()],
            deps=ToolDeps(
                sessionmaker=sm, books_for=lambda session, actor: LocalBooks(session, actor.tenant_id)
            ),
        ),
        InMemorySaver(),
    )
    ctx = Context(tenant_id=tenant.id, user_id="u", role=Role.OFFICE, user_name="O", today=TODAY)
    out = await graph.ainvoke(
        {"messages": [HumanMessage(question)]}, {"configurable": {"thread_id": uuid.uuid4().hex}}, context=ctx
    )
    [tool] = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    error = json.loads(str(tool.content))
    assert tool.status == "error" and error["code"] == "unknown_name", error
    answer = str(out["messages"][-1].content)
    assert "No customer named" in answer
    assert "Invoice" not in answer.split("named")[0]  # no list of everyone's invoices before it
    if suggested:
        assert suggested in answer
