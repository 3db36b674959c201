"""A busy day for the sync, shared by the fault-injection tests: many local writes, edits made "in QBO" at the
same time, webhook deliveries duplicated and out of order, and the check that both sides ended up agreeing."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from domain.errors import AppError
from domain.models import (
    ConflictStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Item,
    ItemType,
    Payment,
    SyncConflict,
    SyncJob,
    SyncJobStatus,
    WriteOff,
)
from domain.schemas import (
    CustomerCreate,
    CustomerUpdate,
    InvoiceCreate,
    LineCreate,
    PaymentCreate,
    WriteOffCreate,
)
from domain.services import catalog, invoices, payments
from domain.services.outbox import enqueue_sync
from domain.services.sync_checksums import local_key_fields
from domain.services.sync_mappings import MappingIn, save_mappings
from integrations.quickbooks.mapping.write_off_docs import is_settlement
from integrations.quickbooks.sandbox.faults import QboFault
from integrations.quickbooks.sandbox.webhooks import cloudevents_body, legacy_body
from integrations.quickbooks.sync.entities import remote_key_fields
from integrations.quickbooks.sync.webhook_events import sign
from tests.integrations.quickbooks.sync.conftest import Env

WEBHOOK_PATH = "/api/integrations/quickbooks/webhook"


@dataclass
class Tally:
    writes: Counter[str] = field(default_factory=Counter)
    qbo_edits: int = 0
    events_sent: int = 0
    duplicates_sent: int = 0


class ChangeTap:
    """Records every change the sandbox publishes (what QBO would send as webhooks)."""

    def __init__(self, env: Env) -> None:
        self.changes: list[Any] = []
        self._lock = threading.Lock()
        sandbox = env.qbo.sandbox
        original = sandbox.webhooks.publish
        realm = env.realm

        def tap(realm_id: str, changes: list[Any]) -> None:
            if realm_id == realm:
                with self._lock:
                    self.changes.extend(changes)
            original(realm_id, changes)

        sandbox.webhooks.publish = tap
        self._restore = lambda: setattr(sandbox.webhooks, "publish", original)

    def take(self) -> list[Any]:
        with self._lock:
            taken, self.changes = self.changes, []
        return taken

    def close(self) -> None:
        self._restore()


def seed_catalog(env: Env, rng: random.Random, *, customers: int, items: int) -> None:
    # Write-offs book to the company's bad-debt expense account.
    account = env.qbo.sandbox.create(env.realm, "Account", {"Name": "Bad Debts", "AccountType": "Expense"})
    with env.sessions() as s:
        save_mappings(s, env.actor, [MappingIn("bad_debt", "default", "*", str(account["Id"]), "Bad Debts")])
        for i in range(items):
            item = Item(
                tenant_id=env.tenant_id,
                name=f"Part {i:03d}",
                type=ItemType.MATERIAL if i % 2 else ItemType.LABOR,
                rate=Decimal(rng.randint(20, 400)),
                taxable=False,
            )
            s.add(item)
            s.flush()
            enqueue_sync(s, env.tenant_id, "item", item.id)
        for i in range(customers):
            catalog.create_customer(s, env.actor, CustomerCreate(display_name=f"Customer {i:04d}"))
        s.commit()


def local_writes(env: Env, rng: random.Random, count: int, tally: Tally, stop: threading.Event) -> None:
    """``count`` mixed writes through the domain services, each its own transaction, like a busy office."""
    with env.sessions() as s:
        item_ids = list(s.scalars(select(Item.id).where(Item.tenant_id == env.tenant_id)))
    made = 0
    n_customers = 0
    while made < count and not stop.is_set():
        kind = rng.choices(
            ["customer", "customer_update", "invoice", "payment", "void", "write_off", "item_update"],
            weights=[15, 25, 30, 15, 5, 4, 10],
        )[0]
        with env.sessions() as s:
            customer_ids = list(s.scalars(select(Customer.id).where(Customer.tenant_id == env.tenant_id)))
            try:
                if kind == "customer":
                    n_customers += 1
                    catalog.create_customer(
                        s,
                        env.actor,
                        CustomerCreate(display_name=f"New Customer {made:04d}", email=f"c{made}@example.com"),
                    )
                elif kind == "customer_update":
                    catalog.update_customer(
                        s, env.actor, rng.choice(customer_ids), CustomerUpdate(email=f"u{made}@example.com")
                    )
                elif kind == "invoice":
                    lines = [
                        LineCreate(
                            type="other",
                            name=f"Work {j}",
                            quantity=Decimal(rng.randint(1, 4)),
                            item_id=rng.choice(item_ids),
                            unit_price=Decimal(rng.randint(10, 300)),
                        )
                        for j in range(rng.randint(1, 3))
                    ]
                    invoices.create_invoice(
                        s,
                        env.actor,
                        InvoiceCreate(
                            customer_id=rng.choice(customer_ids),
                            lines=lines,
                            issue_date=env.qbo.sandbox.clock.today() - timedelta(days=rng.randint(0, 20)),
                        ),
                    )
                elif kind == "payment":
                    open_inv = s.scalars(
                        select(Invoice)
                        .where(Invoice.tenant_id == env.tenant_id, Invoice.status == InvoiceStatus.OPEN)
                        .limit(40)
                    ).all()
                    if not open_inv:
                        continue
                    inv = rng.choice(open_inv)
                    amount = min(inv.balance_due, Decimal(rng.randint(10, 200)))
                    payments.record_payment(
                        s,
                        env.actor,
                        PaymentCreate(
                            customer_id=inv.customer_id,
                            amount=amount,
                            payment_date=env.qbo.sandbox.clock.today(),
                            applications=[{"invoice_id": inv.id, "amount": amount}],
                        ),
                    )
                elif kind == "void":
                    candidates = s.scalars(
                        select(Invoice)
                        .where(
                            Invoice.tenant_id == env.tenant_id,
                            Invoice.status == InvoiceStatus.OPEN,
                            Invoice.amount_paid == 0,
                        )
                        .limit(40)
                    ).all()
                    if not candidates:
                        continue
                    invoices.void_invoice(s, env.actor, rng.choice(candidates).id, reason="entered twice")
                elif kind == "write_off":
                    open_inv = s.scalars(
                        select(Invoice)
                        .where(
                            Invoice.tenant_id == env.tenant_id,
                            Invoice.status.in_((InvoiceStatus.OPEN, InvoiceStatus.PARTIAL)),
                        )
                        .limit(40)
                    ).all()
                    if not open_inv:
                        continue
                    inv = rng.choice(open_inv)
                    part = None if rng.random() < 0.5 else min(inv.balance_due, Decimal(rng.randint(5, 50)))
                    invoices.write_off_invoice(
                        s, env.actor, inv.id, WriteOffCreate(reason="uncollectible", amount=part)
                    )
                else:
                    item = s.get(Item, rng.choice(item_ids))
                    item.rate = Decimal(rng.randint(20, 400))
                    enqueue_sync(s, env.tenant_id, "item", item.id)
                s.commit()
            except (AppError, SQLAlchemyError):  # refused by a domain rule, or a busy database: skip this one
                s.rollback()
                continue
        tally.writes[kind] += 1
        made += 1
        time.sleep(0.002)


def qbo_user_edits(env: Env, rng: random.Random, tally: Tally, stop: threading.Event, limit: int) -> None:
    """Someone in the office edits customers and item prices directly in QBO while the sync runs."""
    sandbox = env.qbo.sandbox
    store = sandbox.realm(env.realm)
    while not stop.is_set() and tally.qbo_edits < limit:
        time.sleep(0.03)
        with sandbox.lock:
            customers = [c["Id"] for c in store.all("Customer")]
            items = [i["Id"] for i in store.all("Item")]
        if not customers:
            continue
        try:
            if rng.random() < 0.7:
                sandbox.update(
                    env.realm,
                    "Customer",
                    {
                        "Id": rng.choice(customers),
                        "PrimaryPhone": {"FreeFormNumber": f"555-{rng.randint(1000, 9999)}"},
                    },
                )
            elif items:
                sandbox.update(
                    env.realm, "Item", {"Id": rng.choice(items), "UnitPrice": rng.randint(20, 400)}
                )
            tally.qbo_edits += 1
        except (QboFault, ValueError):  # an edit the emulator refuses is simply not made
            continue


def deliver_webhooks(
    base: str,
    verifier: str,
    realm: str,
    tap: ChangeTap,
    rng: random.Random,
    tally: Tally,
    target: int,
    stop: threading.Event,
) -> None:
    """POST signed notifications: both formats, some repeated, batches shuffled so order is not kept."""
    sent: list[Any] = []
    with httpx.Client(timeout=10.0) as http:
        while tally.events_sent < target and not (stop.is_set() and not tap.changes):
            time.sleep(0.05)
            fresh = tap.take()
            batch = [(realm, c) for c in fresh]
            # A fifth of what goes out repeats something already delivered.
            repeats = [rng.choice(sent) for _ in range(len(batch) // 4)] if sent else []
            batch += repeats
            rng.shuffle(batch)
            sent.extend(b for b in batch if b not in repeats)
            for start in range(0, len(batch), 10):
                chunk = batch[start : start + 10][: max(0, target - tally.events_sent)]
                if not chunk:
                    break
                body_obj = legacy_body(chunk) if rng.random() < 0.5 else cloudevents_body(chunk)
                body = json.dumps(body_obj).encode()
                for _ in range(3):  # our own API can be busy: retry like QBO does
                    try:
                        r = http.post(
                            base + WEBHOOK_PATH,
                            content=body,
                            headers={
                                "intuit-signature": sign(body, verifier),
                                "content-type": "application/json",
                            },
                        )
                        if r.status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                tally.events_sent += len(chunk)
                tally.duplicates_sent += sum(1 for c in chunk if c in repeats)


def verify_books_agree(env: Env) -> dict[str, int]:
    """Every local record is in QBO exactly once and agrees with it, or is an open conflict."""
    store = env.qbo.sandbox.realm(env.realm)
    problems: list[str] = []
    counts: dict[str, int] = {}
    with env.sessions() as s:
        open_conflicts = {
            (c.entity, c.entity_id)
            for c in s.scalars(
                select(SyncConflict).where(
                    SyncConflict.tenant_id == env.tenant_id, SyncConflict.status == ConflictStatus.OPEN
                )
            )
        }
        stuck = s.scalars(
            select(SyncJob).where(
                SyncJob.tenant_id == env.tenant_id,
                SyncJob.status.in_(
                    (SyncJobStatus.DEAD, SyncJobStatus.FAILED, SyncJobStatus.PENDING, SyncJobStatus.RUNNING)
                ),
            )
        ).all()
        for job in stuck:
            problems.append(f"job {job.entity}/{job.operation} {job.status.value}: {job.last_error}")
        for entity, model, qbo_name in (
            ("customer", Customer, "Customer"),
            ("item", Item, "Item"),
            ("invoice", Invoice, "Invoice"),
            ("payment", Payment, "Payment"),
        ):
            rows = s.scalars(select(model).where(model.tenant_id == env.tenant_id)).all()
            # Zero payments applying our write-offs' credit memos have no payment of their own here.
            remote = {str(o["Id"]): o for o in store.all(qbo_name) if not is_settlement(o)}
            counts[entity] = len(rows)
            linked = [r.qbo_id for r in rows if r.qbo_id]
            dupes = [q for q, n in Counter(linked).items() if n > 1]
            if dupes:
                problems.append(f"{entity}: QBO ids linked twice {dupes[:5]}")
            if len(remote) != len(rows):
                problems.append(f"{entity}: {len(rows)} here but {len(remote)} in QBO (lost or duplicated)")
            for row in rows:
                if (entity, row.id) in open_conflicts:
                    continue
                if row.qbo_id is None or row.qbo_id not in remote:
                    problems.append(f"{entity} {row.id} never reached QBO")
                    continue
                obj = remote[row.qbo_id]
                ours, theirs = local_key_fields(row), remote_key_fields(entity, obj)
                if entity == "invoice":
                    if ours["voided"] or theirs["voided"]:
                        ours, theirs = {"voided": ours["voided"]}, {"voided": theirs["voided"]}
                    elif Decimal(str(obj.get("Balance"))) != row.balance_due:
                        problems.append(
                            f"invoice {row.doc_number}: balance {row.balance_due} here, {obj.get('Balance')} in QBO"
                        )
                if ours != theirs:
                    problems.append(f"{entity} {row.id}: here {ours} / QBO {theirs}")
        settled = s.scalars(
            select(WriteOff).where(
                WriteOff.tenant_id == env.tenant_id, WriteOff.settlement_qbo_id.is_not(None)
            )
        ).all()
        memos = {str(o["Id"]): o for o in store.all("CreditMemo")}
        if len(memos) != len(settled) or {w.qbo_id for w in settled} != set(memos):
            problems.append(f"{len(settled)} write-offs settled here, {len(memos)} credit memos in QBO")
        for w in settled:
            memo = memos.get(str(w.qbo_id))
            if memo is not None and Decimal(str(memo["TotalAmt"])) != w.amount:
                problems.append(
                    f"write-off {w.id}: {w.amount} here, credit memo of {memo['TotalAmt']} in QBO"
                )
        counts["write_offs"] = len(settled)
        counts["open_conflicts"] = len(open_conflicts)
        if problems:
            problems = _inactive_context(s, env, store) + problems
    assert not problems, f"{len(problems)} problems, first ones: {problems[:8]}"
    return counts


def _inactive_context(s: Any, env: Env, store: Any) -> list[str]:
    """When the books disagree, say which names are inactive on either side and what the sync did to them."""
    from domain.models.sync import SyncRecord

    notes = []
    for model, qbo_name in ((Customer, "Customer"), (Item, "Item")):
        remote_off = sorted(str(o["Id"]) for o in store.all(qbo_name) if o.get("Active") is False)
        local_off = s.scalars(
            select(model).where(model.tenant_id == env.tenant_id, model.active.is_(False))
        ).all()
        if not remote_off and not local_off:
            continue
        history = [
            f"{r.direction}/{r.action}/{r.status}: {r.message}"
            for row in local_off
            for r in s.scalars(
                select(SyncRecord).where(SyncRecord.entity_id == row.id).order_by(SyncRecord.at)
            )
        ]
        notes.append(
            f"inactive {qbo_name}: in QBO {remote_off[:5]}, here {[r.qbo_id for r in local_off][:5]}; {history[:6]}"
        )
    return notes
