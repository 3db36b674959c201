"""Write tools propose without changing anything, and execute through the domain services once approved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from domain.errors import AmbiguousName, Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from domain.models import Customer, Estimate, EstimateStatus, InvoiceStatus, Payment
from domain.permissions import Permission
from tests.tools.conftest import Shop
from tools.base import ENV_KEY
from tools.customers import CreateCustomer
from tools.documents import ConvertEstimate, SendEstimate, SendInvoice, VoidInvoice, WriteOffInvoice
from tools.estimating import DraftEstimate, UpdateEstimate
from tools.payments import RecordPayment


def _propose_then_execute(tool, raw: dict, shop: Shop, proposer, approver):
    args = tool.validate_args(raw)
    before = shop.audit_rows()
    proposal = tool.propose(args, shop.env(proposer))
    assert shop.audit_rows() == before, "a proposal must not write"
    result = tool.execute(args, shop.env(approver))
    return proposal, result


def test_void_invoice_needs_an_admin_to_execute(shop: Shop) -> None:
    inv = shop.invoice()
    tool = VoidInvoice()
    args = tool.validate_args({"doc_number": inv.doc_number, "reason": "duplicate"})
    proposal = tool.propose(args, shop.env(shop.technician))
    assert proposal.permission is Permission.DESTRUCTIVE and proposal.required_role == "admin"
    assert proposal.preview["changes"] == {"status": "void", "Balance": "$0.00"}
    assert inv.status is not InvoiceStatus.VOID
    with pytest.raises(PermissionDenied):
        tool.execute(args, shop.env(shop.office))
    result = tool.execute(args, shop.env(shop.owner))
    assert result == {"invoice": inv.doc_number, "status": "void"} and inv.status is InvoiceStatus.VOID
    with pytest.raises(InvalidTransition):
        tool.propose(args, shop.env(shop.owner))


def test_write_off_previews_the_amount_and_refuses_more_than_the_balance(shop: Shop) -> None:
    inv = shop.invoice()
    tool = WriteOffInvoice()
    too_much = tool.validate_args(
        {"doc_number": inv.doc_number, "reason": "bankrupt", "amount": str(inv.balance_due + 1)}
    )
    with pytest.raises(ValidationFailed, match="only has"):
        tool.propose(too_much, shop.env(shop.owner))
    proposal, result = _propose_then_execute(
        tool,
        {"doc_number": inv.doc_number, "reason": "customer went bankrupt"},
        shop,
        shop.office,
        shop.owner,
    )
    assert proposal.preview["changes"] == {"Balance": "$0.00"}
    assert result["balance"] == "$0.00" and inv.balance_due == 0
    with pytest.raises(ValidationError):
        tool.validate_args({"doc_number": inv.doc_number, "reason": "x"})


def test_record_payment_applies_to_the_named_invoice(shop: Shop) -> None:
    inv = shop.invoice(shop.bob)
    balance = inv.balance_due
    proposal, result = _propose_then_execute(
        RecordPayment(),
        {"customer": "bobs bakery", "amount": "500", "invoices": [inv.doc_number], "reference": "2231"},
        shop,
        shop.technician,
        shop.office,
    )
    [app] = proposal.preview["applications"]
    assert app["apply"] == "$500.00" and app["balance_after"] == f"${balance - 500:,.2f}"
    assert "Bob's Bakery" in proposal.description
    assert inv.balance_due == balance - Decimal("500") and result["applied_to"] == [inv.doc_number]
    assert shop.session.scalar(select(func.count()).where(Payment.tenant_id == shop.tenant.id)) == 1


def test_record_payment_refuses_another_customers_invoice_and_unknown_names(shop: Shop) -> None:
    inv = shop.invoice(shop.jane)
    tool = RecordPayment()
    with pytest.raises(ValidationFailed, match="not Bob's Bakery's"):
        tool.propose(
            tool.validate_args({"customer": "Bob's Bakery", "amount": "10", "invoices": [inv.doc_number]}),
            shop.env(shop.office),
        )
    shop.session.add(Customer(tenant_id=shop.tenant.id, display_name="Bob's Bikes"))
    shop.session.flush()
    with pytest.raises(AmbiguousName):
        tool.propose(tool.validate_args({"customer": "Bob", "amount": "10"}), shop.env(shop.office))


def test_convert_estimate_and_send(shop: Shop) -> None:
    draft = shop.estimate()
    tool = ConvertEstimate()
    with pytest.raises(InvalidTransition, match="approved"):
        tool.propose(tool.validate_args({"doc_number": draft.doc_number}), shop.env(shop.office))
    est = shop.approved_estimate()
    proposal, result = _propose_then_execute(
        tool, {"doc_number": est.doc_number, "send": True}, shop, shop.office, shop.office
    )
    assert "and send it" in proposal.description and proposal.preview["total"] == f"${est.total:,.2f}"
    assert result["sent"] is True and est.status is EstimateStatus.CONVERTED


def test_send_estimate_and_invoice(shop: Shop) -> None:
    est = shop.estimate()
    _, result = _propose_then_execute(
        SendEstimate(), {"doc_number": est.doc_number}, shop, shop.technician, shop.office
    )
    assert result["status"] == "sent"
    with pytest.raises(PermissionDenied):
        SendEstimate().execute(
            SendEstimate().validate_args({"doc_number": est.doc_number}), shop.env(shop.technician)
        )
    inv = shop.invoice()
    _, result = _propose_then_execute(
        SendInvoice(), {"doc_number": f"#{inv.doc_number}"}, shop, shop.office, shop.office
    )
    assert inv.sent_at is not None


def test_draft_estimate_previews_exact_totals_and_saves_a_draft_with_rationale(shop: Shop) -> None:
    raw = {
        "customer": "Jane Cooper",
        "job_description": "swap the water heater",
        "hours": "3.5",
        "lines": [
            {"item_name": "Labor - Standard", "rationale": "remove and install"},
            {"item_name": "Water Heater 50 gal Gas", "quantity": 1, "rationale": "new unit"},
            {"item_name": "Flux capacitor", "quantity": 1},
        ],
    }
    proposal, result = _propose_then_execute(DraftEstimate(), raw, shop, shop.technician, shop.office)
    # 3.5 h × 110 + 950 × 1.2 markup = 385 + 1140
    assert proposal.preview["total"] == "$1,525.00" and result["total"] == "$1,525.00"
    assert any("Flux capacitor" in w for w in proposal.preview["warnings"])
    est = shop.session.scalars(select(Estimate).where(Estimate.doc_number == result["estimate"])).one()
    assert est.status is EstimateStatus.DRAFT and est.ai_origin["prompt"] == "swap the water heater"
    assert [line.rationale for line in est.lines] == ["remove and install", "new unit"]


def test_technicians_draft_at_catalog_prices_only(shop: Shop) -> None:
    tool = DraftEstimate()
    args = tool.validate_args(
        {
            "customer": "Jane",
            "job_description": "heater",
            "lines": [{"item_name": "Water Heater 50 gal Gas", "quantity": 1, "unit_price": 1}],
        }
    )
    with pytest.raises(ValidationFailed, match="catalog prices"):
        tool.propose(args, shop.env(shop.technician))
    proposal = tool.propose(args, shop.env(shop.office))
    assert proposal.preview["total"] == "$1.20"  # office may change prices; markup still applies
    with pytest.raises(ValidationFailed, match="lines"):
        tool.propose(
            tool.validate_args({"customer": "Jane", "job_description": "heater"}), shop.env(shop.office)
        )


def test_update_estimate_reprices(shop: Shop) -> None:
    est = shop.estimate(hours="2")
    raw = {"doc_number": est.doc_number, "lines": [{"item_name": "Labor - Standard", "hours": "4"}]}
    proposal, result = _propose_then_execute(UpdateEstimate(), raw, shop, shop.technician, shop.office)
    assert proposal.preview["total"] == "$440.00" and result["total"] == "$440.00"


def test_update_estimate_keeps_a_discount_given_with_the_lines(shop: Shop) -> None:
    est = shop.estimate(hours="2")
    raw = {
        "doc_number": est.doc_number,
        "lines": [{"item_name": "Labor - Standard", "hours": "4"}],
        "discounts": [{"amount": "40"}],
    }
    proposal, result = _propose_then_execute(UpdateEstimate(), raw, shop, shop.office, shop.office)
    assert proposal.preview["discount_total"] == "$40.00"
    assert proposal.preview["total"] == result["total"] == "$400.00"
    with pytest.raises(ValidationFailed, match="lines"):
        UpdateEstimate().propose(
            UpdateEstimate().validate_args({"doc_number": est.doc_number, "discounts": [{"percent": "5"}]}),
            shop.env(shop.office),
        )


def test_create_customer_and_duplicates(shop: Shop) -> None:
    _, result = _propose_then_execute(
        CreateCustomer(),
        {"display_name": "Harbor Cafe", "email": "hi@harbor.example"},
        shop,
        shop.technician,
        shop.office,
    )
    assert result["display_name"] == "Harbor Cafe"
    with pytest.raises(Conflict):
        CreateCustomer().propose(
            CreateCustomer().validate_args({"display_name": "harbor cafe"}), shop.env(shop.office)
        )


async def test_tools_run_through_langchain_invoke_and_only_propose(shop: Shop) -> None:
    inv = shop.invoice()
    out = await VoidInvoice().ainvoke(
        {"doc_number": inv.doc_number}, config={"configurable": {ENV_KEY: shop.env(shop.owner)}}
    )
    assert out["name"] == "void_invoice" and out["permission"] == "destructive"
    assert inv.status is not InvoiceStatus.VOID
