"""Pushing a write-off to QBO: a credit memo on the "Bad Debt" item, applied to the invoice by a zero payment.

Three QBO writes stand for one local record, so each step's QBO id is committed before the next step starts,
and every create carries a ``requestid`` derived from the job and the step: a worker killed between any two
steps resumes where it stopped, and QBO answers a repeated create with the original entity instead of a
second one. Nothing here decides anything about money: the amount, date and reason are the write-off's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from domain.db import SyncStatus, utcnow
from domain.models.catalog import Account, Customer
from domain.models.payments import WriteOff
from domain.models.sales import Invoice, InvoiceStatus
from domain.models.sync import SyncJob
from domain.services.outbox import enqueue_pull
from domain.services.sync_log import record_history
from domain.services.sync_mappings import default_account, hold_for_review
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboDuplicate, QboValidationError
from integrations.quickbooks.api.query import quote
from integrations.quickbooks.mapping import write_off_docs as mw
from integrations.quickbooks.mapping.lists import MappingError
from integrations.quickbooks.sync.claim import still_ours
from integrations.quickbooks.sync.entities import find_local
from integrations.quickbooks.sync.failures import HeldForMapping
from integrations.quickbooks.sync.push import check_dependencies
from integrations.quickbooks.sync.settle import finish

T = TypeVar("T")
Db = Callable[[Callable[[Session], T]], Awaitable[T]]
ENTITY = "write_off"
PROFILE = "bad_debt"


@dataclass
class WriteOffPush:
    """What the HTTP steps need, read in one short transaction."""

    job_id: str
    tenant_id: str
    write_off_id: str
    skip: str | None = None
    customer_qbo_id: str = ""
    invoice_qbo_id: str = ""
    invoice_label: str = ""
    account_qbo_id: str = ""
    credit_memo_qbo_id: str | None = None
    write_off: WriteOff | None = None

    def request_id(self, step: str) -> str:
        # Stable across attempts: a retry of the same step must be recognised by QBO as the same request.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-sync:{self.job_id}:write-off:{step}"))


def is_our_settlement(session: Session, tenant_id: str, qbo_payment_id: str) -> bool:
    return (
        session.scalar(
            select(WriteOff.id).where(
                WriteOff.tenant_id == tenant_id, WriteOff.settlement_qbo_id == qbo_payment_id
            )
        )
        is not None
    )


# ---- database steps ----------------------------------------------------------------------------------------


def _bad_debt_account(session: Session, tenant_id: str) -> str | None:
    """The mapped bad-debt account, else the company's own "Bad Debts" expense account pulled from QBO."""
    mapped = default_account(session, tenant_id, PROFILE)
    if mapped:
        return mapped
    return session.scalar(
        select(Account.qbo_id)
        .where(
            Account.tenant_id == tenant_id,
            Account.active.is_(True),
            Account.qbo_id.is_not(None),
            or_(Account.account_sub_type == "BadDebts", func.lower(Account.name).like("bad debt%")),
        )
        .order_by(Account.name)
        .limit(1)
    )


def prepare(session: Session, job: SyncJob) -> WriteOffPush:
    plan = WriteOffPush(job.id, job.tenant_id, job.entity_id)
    write_off = session.get(WriteOff, job.entity_id)
    if write_off is None or write_off.tenant_id != job.tenant_id:
        plan.skip = f"write-off {job.entity_id} no longer exists here"
        return plan
    if write_off.settlement_qbo_id:
        plan.skip = "already applied in QuickBooks"
        return plan
    invoice = session.get(Invoice, write_off.invoice_id)
    assert invoice is not None  # a foreign key
    if invoice.status is InvoiceStatus.VOID:
        plan.skip = "the invoice was voided; there is nothing left to write off in QuickBooks"
        return plan
    check_dependencies(session, job, write_off)  # the invoice must be in QBO first
    account = _bad_debt_account(session, job.tenant_id)
    if account is None:
        hold_for_review(
            session,
            job.tenant_id,
            entity=ENTITY,
            entity_id=write_off.id,
            profile=PROFILE,
            item=None,
            job_id=job.id,
        )
        session.commit()
        raise HeldForMapping(
            "write-offs need a bad-debt expense account in QuickBooks: map one (profile bad_debt) in the sync "
            "mappings, and the write-off goes out"
        )
    customer = session.get(Customer, invoice.customer_id)
    assert invoice.qbo_id and customer is not None and customer.qbo_id  # the invoice reached QBO, so did they
    plan.customer_qbo_id = customer.qbo_id
    plan.invoice_qbo_id = invoice.qbo_id
    plan.invoice_label = invoice.doc_number or invoice.qbo_id
    plan.account_qbo_id = account
    plan.credit_memo_qbo_id = write_off.qbo_id
    session.expunge(write_off)
    plan.write_off = write_off
    return plan


def _record_credit_memo(
    session: Session, claim: str | None, plan: WriteOffPush, memo: dict[str, Any], item_id: str
) -> None:
    job = still_ours(session, plan.job_id, claim)
    if job is None:  # taken over: the other worker's retry finds the memo through the same requestid
        session.rollback()
        return
    row = session.get(WriteOff, plan.write_off_id)
    assert row is not None
    row.qbo_id = str(memo["Id"])
    row.sync_token = str(memo.get("SyncToken", "0"))
    if find_local(session, plan.tenant_id, "item", item_id) is None:
        enqueue_pull(session, plan.tenant_id, "item", item_id)  # the Bad Debt item, mirrored like any other
    session.commit()


def _settle(session: Session, claim: str | None, plan: WriteOffPush, payment: dict[str, Any] | None) -> None:
    job = still_ours(session, plan.job_id, claim)
    if job is None:
        session.rollback()
        return
    row = session.get(WriteOff, plan.write_off_id)
    if payment is not None and row is not None:
        row.settlement_qbo_id = str(payment["Id"])
        row.sync_status = SyncStatus.SYNCED
        row.last_synced_at = utcnow()
        invoice = session.get(Invoice, row.invoice_id)
        if invoice is not None and invoice.qbo_id:
            enqueue_pull(session, plan.tenant_id, "invoice", invoice.qbo_id)  # QBO's balance comes back
    record_history(
        session,
        plan.tenant_id,
        entity=ENTITY,
        entity_id=plan.write_off_id,
        qbo_id=plan.credit_memo_qbo_id,
        direction="push",
        action="create" if payment is not None else "upsert",
        status="synced" if payment is not None else "skipped",
        message=(
            f"credit memo {plan.credit_memo_qbo_id} applied to invoice {plan.invoice_label} by payment "
            f"{payment['Id']}"
            if payment is not None
            else plan.skip
        ),
        job_id=job.id,
    )
    finish(job)
    session.commit()


# ---- QBO steps ---------------------------------------------------------------------------------------------


async def _bad_debt_item(client: QboClient, plan: WriteOffPush) -> str:
    """The company's "Bad Debt" item, created (booking to the bad-debt account) the first time it is needed."""
    select_item = f"SELECT * FROM Item WHERE Name = {quote(mw.BAD_DEBT_ITEM)} AND Active IN (true, false)"
    found = (await client.query(select_item)).get("Item") or []
    if not found:
        try:
            created = await client.create(
                "Item", mw.bad_debt_item(plan.account_qbo_id), request_id=plan.request_id("item")
            )
            return str(created["Id"])
        except QboDuplicate:  # another write-off created it meanwhile
            found = (await client.query(select_item)).get("Item") or []
            if not found:
                raise
    item = found[0]
    if item.get("Active") is False:
        raise MappingError(
            f"the '{mw.BAD_DEBT_ITEM}' item is inactive in QuickBooks; make it active again there, then retry",
            kind="item",
            id=str(item["Id"]),
        )
    return str(item["Id"])


async def _apply(client: QboClient, plan: WriteOffPush) -> dict[str, Any]:
    assert plan.write_off is not None and plan.credit_memo_qbo_id is not None
    payload = mw.settlement_to_qbo(
        plan.write_off,
        customer_qbo_id=plan.customer_qbo_id,
        invoice_qbo_id=plan.invoice_qbo_id,
        credit_memo_qbo_id=plan.credit_memo_qbo_id,
        invoice_label=plan.invoice_label,
    )
    try:
        return await client.create("Payment", payload, request_id=plan.request_id("apply"))
    except QboValidationError as exc:
        # Most likely QBO's balance for the invoice is now below the write-off (a payment entered there).
        raise QboValidationError(
            f"QuickBooks would not apply credit memo {plan.credit_memo_qbo_id} to invoice {plan.invoice_label} "
            f"({exc.message}). Check the invoice's balance in QuickBooks: apply the credit memo there by hand, "
            "or reverse the write-off here, then dismiss this error",
            fault_code=exc.fault_code,
            detail=exc.detail,
        ) from exc


async def push_write_off(client: QboClient, job: SyncJob, db: Db[Any], claim: str | None) -> None:
    """Raises typed QBO or mapping errors for the worker to classify; every step already done stays done."""
    plan: WriteOffPush = await db(lambda s: prepare(s, job))
    if plan.skip:
        await db(lambda s: _settle(s, claim, plan, None))
        return
    assert plan.write_off is not None
    if plan.credit_memo_qbo_id is None:
        item_id = await _bad_debt_item(client, plan)
        memo_payload = mw.credit_memo_to_qbo(
            plan.write_off,
            customer_qbo_id=plan.customer_qbo_id,
            item_qbo_id=item_id,
            invoice_label=plan.invoice_label,
        )
        memo = await client.create("CreditMemo", memo_payload, request_id=plan.request_id("credit-memo"))
        await db(lambda s: _record_credit_memo(s, claim, plan, memo, item_id))
        plan.credit_memo_qbo_id = str(memo["Id"])
    payment = await _apply(client, plan)
    await db(lambda s: _settle(s, claim, plan, payment))


__all__ = ["ENTITY", "WriteOffPush", "is_our_settlement", "push_write_off"]
