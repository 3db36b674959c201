"""Writes asked for in chat, approved, then pushed to QBO over HTTP keep every detail given: a payment's
reference and method (PaymentRefNum, the company's PaymentMethodRef), a void's reason (PrivateNote)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import select

from agent.context import Context
from agent.graph import build_graph
from agent.models import make_chat_model
from domain.models import (
    AuditLog,
    Customer,
    Invoice,
    InvoiceStatus,
    ItemType,
    Payment,
    SyncJob,
    SyncJobStatus,
    Tenant,
)
from domain.schemas import CustomerCreate, InvoiceCreate, LineCreate
from domain.services import catalog, invoices
from domain.services.outbox import enqueue_sync
from domain.services.payment_methods import store_payment_methods
from tests.factories import make_item
from tests.integrations.quickbooks.sync.conftest import Env
from tools.base import ToolDeps
from tools.registry import make_toolbox

TODAY = date(2026, 3, 18)
METHODS = ("Cash", "Check", "Credit Card", "ACH")


async def _books(env: Env) -> tuple[str, dict[str, str]]:
    """A customer with one invoice in QBO, and the company's payment methods known here as an import leaves them."""
    realm = env.qbo.sandbox.realm(env.realm)
    ids = {name: env.qbo.sandbox.create(env.realm, "PaymentMethod", {"Name": name})["Id"] for name in METHODS}
    with env.sessions() as s:
        store_payment_methods(s, env.tenant_id, realm.all("PaymentMethod"))
        customer = catalog.create_customer(s, env.actor, CustomerCreate(display_name="Ada Plumbing"))
        item = make_item(
            s, s.get(Tenant, env.tenant_id), name="Service call", type=ItemType.LABOR, rate="400"
        )
        enqueue_sync(s, env.tenant_id, "item", item.id)
        inv = invoices.create_invoice(
            s,
            env.actor,
            InvoiceCreate(
                customer_id=customer.id,
                issue_date=TODAY,
                lines=[LineCreate(type="labor", name="Service call", quantity=Decimal("2"), item_id=item.id)],
            ),
        )
        s.commit()
        number = str(inv.doc_number)
    await env.drain()
    return number, ids


async def _say(env: Env, text: str, config: dict[str, Any], resume: Any = None) -> dict[str, Any]:
    graph = build_graph(
        make_chat_model(None, provider="offline"),
        make_toolbox(ToolDeps(sessionmaker=env.sessions)),
        InMemorySaver(),
    )
    context = Context(
        tenant_id=env.tenant_id,
        user_id=env.actor.user_id,
        role=env.actor.role,
        user_name="Olivia",
        today=TODAY,
    )
    first = await graph.ainvoke({"messages": [HumanMessage(text)]}, config, context=context)
    if resume is None:
        return first
    return await graph.ainvoke(Command(resume=resume), config, context=context) | {"first": first}


async def test_check_number_and_method_from_chat_reach_qbo(env: Env) -> None:
    number, ids = await _books(env)
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    out = await _say(
        env,
        f"record $500 chk #4471 from ada plumbing for invoice {number}",
        config,
        resume={"decisions": [{"type": "approve"}]},
    )
    card = out["first"]["__interrupt__"][0].value
    args = card["action_requests"][0]["args"]
    assert (args["method"], args["reference"]) == ("check", "4471")
    assert card["preview"]["method"] == "Check" and card["preview"]["reference"] == "4471"
    assert "Check #4471" in card["action_requests"][0]["description"]
    with env.sessions() as s:
        payment = s.scalars(select(Payment).where(Payment.tenant_id == env.tenant_id)).one()
        assert (payment.payment_method, payment.reference_number, payment.amount) == ("check", "4471", 500)
        payment_id = payment.id
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.get(Payment, payment_id).qbo_id
    remote = env.qbo.sandbox.realm(env.realm).get("Payment", qbo_id)
    assert remote["PaymentRefNum"] == "4471"
    assert remote["PaymentMethodRef"]["value"] == ids["Check"]


async def test_ach_trace_goes_out_as_the_ach_method(env: Env) -> None:
    _, ids = await _books(env)
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    await _say(
        env,
        "record a $250 ACH payment from Ada Plumbing, trace 091000019",
        config,
        resume={"decisions": [{"type": "approve"}]},
    )
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.scalars(select(Payment.qbo_id).where(Payment.tenant_id == env.tenant_id)).one()
    remote = env.qbo.sandbox.realm(env.realm).get("Payment", qbo_id)
    assert remote["PaymentRefNum"] == "091000019" and remote["PaymentMethodRef"]["value"] == ids["ACH"]


async def test_a_method_the_company_lacks_is_a_question_and_records_nothing(env: Env) -> None:
    await _books(env)
    out = await _say(env, "record $500 from Ada Plumbing via venmo", {"configurable": {"thread_id": "t"}})
    assert "__interrupt__" not in out
    reply = out["messages"][-1].content
    assert "venmo" in reply and "Cash, ACH, Check, Credit Card" in reply.replace("ACH, Cash", "Cash, ACH")
    with env.sessions() as s:
        assert s.scalars(select(Payment).where(Payment.tenant_id == env.tenant_id)).all() == []


async def test_void_reason_from_chat_is_kept_audited_and_reaches_qbo(env: Env) -> None:
    number, _ = await _books(env)
    out = await _say(
        env,
        f"void invoice {number} (it was billed twice)",
        {"configurable": {"thread_id": uuid.uuid4().hex}},
        resume={"decisions": [{"type": "approve"}]},
    )
    assert out["first"]["__interrupt__"][0].value["preview"]["reason"] == "it was billed twice"
    with env.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.tenant_id == env.tenant_id)).one()
        assert inv.status is InvoiceStatus.VOID and inv.void_reason == "it was billed twice"
        detail = s.scalars(
            select(AuditLog.detail).where(
                AuditLog.tenant_id == env.tenant_id, AuditLog.action == "invoice.voided"
            )
        ).one()
        assert detail == {"reason": "it was billed twice"}
        qbo_id = inv.qbo_id
    await env.drain()
    remote = env.qbo.sandbox.realm(env.realm).get("Invoice", qbo_id)
    assert remote["TotalAmt"] == 0 and remote["PrivateNote"].startswith("Voided")
    assert "Void reason: it was billed twice" in remote["PrivateNote"]


async def test_customer_from_chat_keeps_contact_email_and_phone(env: Env) -> None:
    out = await _say(
        env,
        "add a customer Harbor Cafe, contact Maria Lopez, email maria@harbor.example, phone 555-201-3344",
        {"configurable": {"thread_id": uuid.uuid4().hex}},
        resume={"decisions": [{"type": "approve"}]},
    )
    changes = out["first"]["__interrupt__"][0].value["preview"]["changes"]
    assert changes["contact_name"] == "Maria Lopez" and changes["phone"] == "555-201-3344"
    with env.sessions() as s:
        row = s.scalars(select(Customer).where(Customer.tenant_id == env.tenant_id)).one()
        assert (row.display_name, row.first_name, row.last_name) == ("Harbor Cafe", "Maria", "Lopez")
        assert (row.email, row.phone) == ("maria@harbor.example", "555-201-3344")
        customer_id = row.id
    await env.drain()
    with env.sessions() as s:
        remote = env.qbo.sandbox.realm(env.realm).get("Customer", s.get(Customer, customer_id).qbo_id)
    assert (remote["GivenName"], remote["FamilyName"]) == ("Maria", "Lopez")
    assert remote["PrimaryEmailAddr"]["Address"] == "maria@harbor.example"
    assert remote["PrimaryPhone"]["FreeFormNumber"] == "555-201-3344"


async def test_a_void_retried_after_it_landed_does_not_rewrite_the_voided_invoice(env: Env) -> None:
    await _books(env)
    with env.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.tenant_id == env.tenant_id)).one()
        invoices.void_invoice(s, env.actor, inv.id, reason="entered twice")
        # The first attempt's void reached QBO but its answer was lost: the job comes back as a retry.
        job = s.scalars(
            select(SyncJob).where(SyncJob.tenant_id == env.tenant_id, SyncJob.operation == "void")
        ).one()
        job.attempts = 1
        s.commit()
        job_id = job.id
        qbo_id = str(inv.qbo_id)
    env.qbo.sandbox.void(env.realm, "Invoice", qbo_id)
    await env.drain()
    remote = env.qbo.sandbox.realm(env.realm).get("Invoice", qbo_id)
    assert remote["TotalAmt"] == 0 and remote["PrivateNote"].startswith("Voided")
    with env.sessions() as s:
        status = s.scalar(select(SyncJob.status).where(SyncJob.id == job_id))
    assert status is SyncJobStatus.DONE  # not dead on "a voided transaction cannot be changed"
