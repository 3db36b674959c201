"""Write tools on existing documents: send / convert estimates, send / void / write off invoices.

Each ``propose`` only reads (it checks the document exists and can take the step, and shows what will change);
``execute`` calls the domain service after a human approved.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.errors import InvalidTransition, ValidationFailed
from domain.fields import PositiveMoney
from domain.models import EstimateStatus, InvoiceStatus
from domain.permissions import Permission
from domain.schemas import WriteOffCreate
from domain.services import estimates as estimates_svc
from domain.services import invoices as invoices_svc
from tools.base import ProposedAction, ToolEnv, WriteTool
from tools.lookup import (
    estimate_summary,
    find_estimate,
    find_invoice,
    invoice_summary,
    money,
    recipient,
    sent_to,
)

DocNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=21, pattern=r"^#?[A-Za-z0-9-]+$")
]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EstimateRef(_Args):
    doc_number: DocNumber = Field(description="The estimate number, e.g. '5012'")


class ConvertArgs(EstimateRef):
    send: bool = Field(default=False, description="Also send the new invoice to the customer")


class InvoiceRef(_Args):
    doc_number: DocNumber = Field(description="The invoice number, e.g. '1042'")


class VoidArgs(InvoiceRef):
    reason: str = Field(default="", max_length=500)


class WriteOffArgs(InvoiceRef):
    reason: str = Field(min_length=3, max_length=2000, description="Why the balance will not be collected")
    amount: PositiveMoney | None = Field(
        default=None, description="Amount to write off; omit for the whole open balance"
    )


class SendEstimate(WriteTool):
    name: str = "send_estimate"
    description: str = "Propose emailing an estimate to its customer (needs approval)."
    args_schema: type[BaseModel] = EstimateRef
    permission: Permission = Permission.SEND_DOCUMENTS

    def propose(self, args: EstimateRef, env: ToolEnv) -> ProposedAction:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        allowed = {EstimateStatus.DRAFT, EstimateStatus.SENT, EstimateStatus.VIEWED}
        if est.status not in allowed:
            raise InvalidTransition("Estimate", args.doc_number, str(est.status), "sent")
        summary = estimate_summary(env.session, est)
        to = recipient(env.session, env.actor.tenant_id, est.customer_id)
        return self.proposal(
            args,
            f"Send estimate {est.doc_number} ({summary['TotalAmt']}) to {sent_to(summary, to)}",
            {
                "target": f"Estimate {est.doc_number}",
                "changes": {"status": "sent"},
                "document": summary,
                **to,
            },
        )

    def execute(self, args: EstimateRef, env: ToolEnv) -> dict[str, Any]:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        est = estimates_svc.send_estimate(env.session, env.actor, est.id, today=env.today)
        return {"estimate": est.doc_number, "status": str(est.status)}


class ConvertEstimate(WriteTool):
    name: str = "convert_estimate_to_invoice"
    description: str = (
        "Propose turning an approved estimate into an invoice, optionally sending it (needs approval)."
    )
    args_schema: type[BaseModel] = ConvertArgs
    permission: Permission = Permission.CONVERT_ESTIMATE

    def propose(self, args: ConvertArgs, env: ToolEnv) -> ProposedAction:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        if est.status != EstimateStatus.APPROVED:
            raise InvalidTransition(
                "Estimate",
                args.doc_number,
                str(est.status),
                "converted",
                "only an approved estimate can become an invoice",
            )
        summary = estimate_summary(env.session, est)
        then = " and send it" if args.send else ""
        return self.proposal(
            args,
            f"Turn estimate {est.doc_number} into an invoice for {summary['Customer']} "
            f"({summary['TotalAmt']}){then}",
            {
                "target": "Invoice (new)",
                "from": f"Estimate {est.doc_number}",
                "total": summary["TotalAmt"],
                "lines": len(est.lines),
                "send": args.send,
                "changes": {"estimate_status": "converted"},
            },
        )

    def execute(self, args: ConvertArgs, env: ToolEnv) -> dict[str, Any]:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        inv = invoices_svc.convert_estimate_to_invoice(env.session, env.actor, est.id, issue_date=env.today)
        if args.send:
            inv = invoices_svc.send_invoice(env.session, env.actor, inv.id)
        return {
            "invoice": inv.doc_number,
            "total": money(inv.total),
            "sent": args.send,
            "estimate": est.doc_number,
        }


class SendInvoice(WriteTool):
    name: str = "send_invoice"
    description: str = "Propose emailing an invoice to its customer (needs approval)."
    args_schema: type[BaseModel] = InvoiceRef
    permission: Permission = Permission.SEND_DOCUMENTS

    def propose(self, args: InvoiceRef, env: ToolEnv) -> ProposedAction:
        inv = find_invoice(env.session, env.actor.tenant_id, args.doc_number)
        if inv.status is InvoiceStatus.VOID:
            raise InvalidTransition("Invoice", args.doc_number, "void", "sent", "it is void")
        summary = invoice_summary(env.session, inv)
        to = recipient(env.session, env.actor.tenant_id, inv.customer_id)
        return self.proposal(
            args,
            f"Send invoice {inv.doc_number} ({summary['Balance']} due) to {sent_to(summary, to)}",
            {"target": f"Invoice {inv.doc_number}", "document": summary, **to},
        )

    def execute(self, args: InvoiceRef, env: ToolEnv) -> dict[str, Any]:
        inv = find_invoice(env.session, env.actor.tenant_id, args.doc_number)
        inv = invoices_svc.send_invoice(env.session, env.actor, inv.id)
        return {"invoice": inv.doc_number, "sent_at": inv.sent_at}


class VoidInvoice(WriteTool):
    name: str = "void_invoice"
    description: str = (
        "Propose voiding an invoice: its balance becomes zero (destructive; admin or owner approves)."
    )
    args_schema: type[BaseModel] = VoidArgs
    permission: Permission = Permission.DESTRUCTIVE

    def propose(self, args: VoidArgs, env: ToolEnv) -> ProposedAction:
        inv = find_invoice(env.session, env.actor.tenant_id, args.doc_number)
        if inv.status is InvoiceStatus.VOID:
            raise InvalidTransition("Invoice", args.doc_number, "void", "void", "it is already void")
        if inv.amount_paid > 0:
            raise ValidationFailed(
                f"invoice {inv.doc_number} has {money(inv.amount_paid)} in payments applied; "
                "unapply them before voiding"
            )
        summary = invoice_summary(env.session, inv)
        return self.proposal(
            args,
            f"Void invoice {inv.doc_number} for {summary['Customer']} ({summary['TotalAmt']})",
            {
                "target": f"Invoice {inv.doc_number}",
                "document": summary,
                "changes": {"status": "void", "Balance": money(0)},
                "reason": args.reason,
            },
        )

    def execute(self, args: VoidArgs, env: ToolEnv) -> dict[str, Any]:
        inv = find_invoice(env.session, env.actor.tenant_id, args.doc_number)
        inv = invoices_svc.void_invoice(env.session, env.actor, inv.id, reason=args.reason)
        return {"invoice": inv.doc_number, "status": str(inv.status)}


class WriteOffInvoice(WriteTool):
    name: str = "write_off_invoice"
    description: str = (
        "Propose writing off part or all of an invoice's open balance as bad debt "
        "(destructive; admin or owner approves)."
    )
    args_schema: type[BaseModel] = WriteOffArgs
    permission: Permission = Permission.DESTRUCTIVE

    def propose(self, args: WriteOffArgs, env: ToolEnv) -> ProposedAction:
        inv = find_invoice(env.session, env.actor.tenant_id, args.doc_number)
        if inv.balance_due <= 0 or inv.status in (InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF):
            raise InvalidTransition(
                "Invoice", args.doc_number, str(inv.status), "written_off", "nothing is owed"
            )
        amount = args.amount if args.amount is not None else inv.balance_due
        if amount > inv.balance_due:
            raise ValidationFailed(
                f"cannot write off {money(amount)}: invoice {inv.doc_number} only has "
                f"{money(inv.balance_due)} open"
            )
        summary = invoice_summary(env.session, inv)
        return self.proposal(
            args,
            f"Write off {money(amount)} of invoice {inv.doc_number} ({summary['Customer']}): {args.reason}",
            {
                "target": f"Invoice {inv.doc_number}",
                "document": summary,
                "amount": money(amount),
                "changes": {"Balance": money(inv.balance_due - amount)},
                "reason": args.reason,
            },
        )

    def execute(self, args: WriteOffArgs, env: ToolEnv) -> dict[str, Any]:
        inv = find_invoice(env.session, env.actor.tenant_id, args.doc_number)
        wo = invoices_svc.write_off_invoice(
            env.session,
            env.actor,
            inv.id,
            WriteOffCreate(reason=args.reason, amount=args.amount, on=env.today),
        )
        return {"invoice": inv.doc_number, "written_off": money(wo.amount), "balance": money(inv.balance_due)}
