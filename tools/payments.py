"""Recording a payment and applying it to invoices — a proposal until someone who may record payments approves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import ValidationFailed
from domain.fields import PositiveMoney
from domain.models import InvoiceStatus
from domain.permissions import Permission
from domain.schemas import PaymentApplicationIn, PaymentCreate
from domain.services import payments as payments_svc
from domain.services.payment_methods import method_label, resolve_payment_method
from tools.base import ProposedAction, ToolEnv, WriteTool
from tools.documents import DocNumber
from tools.lookup import find_customer, find_invoice, money


class PaymentArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=200, description="Who paid, as the user wrote it")
    amount: PositiveMoney
    invoices: list[DocNumber] = Field(
        default_factory=list,
        max_length=50,
        description="Invoice numbers to apply it to, oldest first; empty = oldest open",
    )
    method: str = Field(
        default="check",
        min_length=1,
        max_length=40,
        description="How they paid, one of the company's payment methods (check, cash, credit card, ACH...)",
    )
    reference: str | None = Field(
        default=None, max_length=40, description="Check number, ACH trace or other payment reference"
    )
    payment_date: date | None = None
    memo: str | None = Field(default=None, max_length=1000)


class RecordPayment(WriteTool):
    name: str = "record_payment"
    description: str = (
        "Propose recording money received from a customer and applying it to invoices (needs approval)."
    )
    args_schema: type[BaseModel] = PaymentArgs
    permission: Permission = Permission.RECORD_PAYMENT

    def _plan(self, args: PaymentArgs, env: ToolEnv) -> tuple[Any, list[tuple[Any, Decimal]], Decimal]:
        customer = find_customer(env.session, env.actor.tenant_id, args.customer)
        left = args.amount
        plan: list[tuple[Any, Decimal]] = []
        for number in args.invoices:
            inv = find_invoice(env.session, env.actor.tenant_id, number)
            if inv.customer_id != customer.id:
                raise ValidationFailed(f"invoice {inv.doc_number} is not {customer.display_name}'s")
            if inv.status in (InvoiceStatus.VOID, InvoiceStatus.PAID) or inv.balance_due <= 0:
                raise ValidationFailed(f"invoice {inv.doc_number} has nothing left to pay")
            applied = min(inv.balance_due, left)
            if applied > 0:
                plan.append((inv, applied))
                left -= applied
        return customer, plan, left

    def propose(self, args: PaymentArgs, env: ToolEnv) -> ProposedAction:
        customer, plan, left = self._plan(args, env)
        # A method the company does not have is a question now, not a payment QuickBooks will refuse later.
        method = resolve_payment_method(env.session, env.actor.tenant_id, args.method)
        label = method_label(env.session, env.actor.tenant_id, method)
        ref = f" #{args.reference}" if args.reference else ""
        applications = [
            {
                "invoice": inv.doc_number,
                "balance": money(inv.balance_due),
                "apply": money(amt),
                "balance_after": money(inv.balance_due - amt),
            }
            for inv, amt in plan
        ]
        where = ", ".join(f"invoice {inv.doc_number}" for inv, _ in plan) or "the oldest open invoices"
        preview: dict[str, Any] = {
            "target": "Payment (new)",
            "customer": customer.display_name,
            "amount": money(args.amount),
            "method": label,
            "reference": args.reference,
            "applications": applications,
        }
        if args.invoices and left > 0:
            preview["unapplied"] = money(left)
        return self.proposal(
            args,
            f"Record a {money(args.amount)} {label}{ref} payment from {customer.display_name} applied to {where}",
            preview,
        )

    def execute(self, args: PaymentArgs, env: ToolEnv) -> dict[str, Any]:
        customer, plan, _ = self._plan(args, env)
        payment = payments_svc.record_payment(
            env.session,
            env.actor,
            PaymentCreate(
                customer_id=customer.id,
                amount=args.amount,
                payment_date=args.payment_date or env.today,
                payment_method=args.method,
                reference_number=args.reference,
                memo=args.memo,
                applications=[PaymentApplicationIn(invoice_id=inv.id, amount=amt) for inv, amt in plan],
                auto_apply=not args.invoices,
            ),
        )
        return {
            "payment_id": payment.id,
            "amount": money(payment.amount),
            "unapplied": money(payment.unapplied_amount),
            "applied_to": [inv.doc_number for inv, _ in plan],
        }
