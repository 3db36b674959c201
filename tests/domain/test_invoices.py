from datetime import timedelta
from decimal import Decimal

import pytest

from domain.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from domain.models import EstimateStatus, InvoiceStatus, LineType
from domain.schemas import InvoiceCreate, LineCreate, PaymentApplicationIn, PaymentCreate, WriteOffCreate
from domain.services.invoices import (
    convert_estimate_to_invoice,
    create_invoice,
    net_of_write_offs,
    send_invoice,
    void_invoice,
    write_off_invoice,
)
from domain.services.payments import record_payment, unapply_payment
from tests.domain.conftest import TODAY, Shop
from tests.factories import make_customer, make_term

D = Decimal


def test_convert_copies_locked_lines_and_links_them(shop: Shop) -> None:
    est = shop.approved_estimate()
    inv = convert_estimate_to_invoice(shop.session, shop.office, est.id, issue_date=TODAY)
    assert est.status is EstimateStatus.CONVERTED
    assert inv.estimate_id == est.id and inv.doc_number == "1001"
    assert [ln.estimate_line_id for ln in inv.lines] == [ln.id for ln in est.lines]
    assert (inv.total, inv.balance_due, inv.status) == (est.total, est.total, InvoiceStatus.OPEN)
    assert inv.due_date == TODAY + timedelta(days=30)


def test_due_date_follows_the_customers_terms(shop: Shop) -> None:
    term = make_term(shop.session, shop.tenant, days=15)
    customer = make_customer(shop.session, shop.tenant, name="Bob's Bakery", term=term)
    inv = create_invoice(
        shop.session,
        shop.office,
        InvoiceCreate(
            customer_id=customer.id,
            lines=[LineCreate(type=LineType.FEE, name="Permit", quantity=D(1), item_id=shop.permit.id)],
        ),
        today=TODAY,
    )
    assert inv.due_date == TODAY + timedelta(days=15)
    assert inv.total == D("150.00")


def test_inactive_customers_get_no_new_invoices(shop: Shop) -> None:
    gone = make_customer(shop.session, shop.tenant, name="Westgate Mall (closed)")
    gone.active = False
    line = LineCreate(type=LineType.FEE, name="Permit", quantity=D(1), item_id=shop.permit.id)
    with pytest.raises(ValidationFailed, match="inactive"):
        create_invoice(
            shop.session, shop.office, InvoiceCreate(customer_id=gone.id, lines=[line]), today=TODAY
        )


def test_only_approved_estimates_convert(shop: Shop) -> None:
    est = shop.estimate()
    with pytest.raises(InvalidTransition, match="only an approved"):
        convert_estimate_to_invoice(shop.session, shop.office, est.id)
    inv_est = shop.approved_estimate()
    convert_estimate_to_invoice(shop.session, shop.office, inv_est.id)
    with pytest.raises(InvalidTransition):
        convert_estimate_to_invoice(shop.session, shop.office, inv_est.id)


def test_void_is_refused_while_payments_are_applied(shop: Shop) -> None:
    inv = shop.invoice()
    payment = record_payment(
        shop.session,
        shop.office,
        PaymentCreate(
            customer_id=shop.customer.id,
            amount=D("100"),
            payment_date=TODAY,
            applications=[PaymentApplicationIn(invoice_id=inv.id, amount=D("100"))],
        ),
    )
    with pytest.raises(Conflict, match="unapply"):
        void_invoice(shop.session, shop.owner, inv.id)
    assert inv.status is InvoiceStatus.PARTIAL
    unapply_payment(shop.session, shop.office, payment.id)
    void_invoice(shop.session, shop.owner, inv.id, reason="duplicate")
    assert (inv.status, inv.balance_due) == (InvoiceStatus.VOID, D("0.00"))
    with pytest.raises(InvalidTransition):
        send_invoice(shop.session, shop.office, inv.id)


def test_destructive_actions_need_admin_or_owner(shop: Shop) -> None:
    inv = shop.invoice()
    with pytest.raises(PermissionDenied):
        void_invoice(shop.session, shop.office, inv.id)
    with pytest.raises(PermissionDenied):
        write_off_invoice(shop.session, shop.technician, inv.id, WriteOffCreate(reason="bankrupt"))


def test_write_off_remaining_balance_with_reason(shop: Shop) -> None:
    inv = shop.invoice()
    record_payment(
        shop.session,
        shop.office,
        PaymentCreate(
            customer_id=shop.customer.id,
            amount=D("1000"),
            payment_date=TODAY,
            applications=[PaymentApplicationIn(invoice_id=inv.id, amount=D("1000"))],
        ),
    )
    with pytest.raises(ValidationFailed, match="only has"):
        write_off_invoice(
            shop.session, shop.owner, inv.id, WriteOffCreate(reason="bankrupt", amount=D("9999"))
        )
    wo = write_off_invoice(shop.session, shop.owner, inv.id, WriteOffCreate(reason="customer went bankrupt"))
    assert wo.amount == D("619.05")
    assert (inv.status, inv.balance_due, inv.written_off) == (
        InvoiceStatus.WRITTEN_OFF,
        D("0.00"),
        D("619.05"),
    )
    with pytest.raises(InvalidTransition):
        write_off_invoice(shop.session, shop.owner, inv.id, WriteOffCreate(reason="again"))


def test_paid_as_quickbooks_reports_it_is_netted_of_the_write_offs_it_holds(shop: Shop) -> None:
    inv = shop.invoice()  # 1619.05
    first = write_off_invoice(
        shop.session, shop.owner, inv.id, WriteOffCreate(reason="dispute", amount=D("100"))
    )
    write_off_invoice(shop.session, shop.owner, inv.id, WriteOffCreate(reason="dispute", amount=D("19.05")))
    first.settlement_qbo_id = "77"  # only the first reached QuickBooks, as an applied credit memo
    # QuickBooks reports 600 paid: a 500 payment plus our 100 credit.
    inv.amount_paid = D("600.00")
    net_of_write_offs(shop.session, inv)
    assert (inv.amount_paid, inv.written_off, inv.balance_due) == (D("500.00"), D("119.05"), D("1000.00"))
    assert inv.status is InvoiceStatus.PARTIAL
    # Paid in full in QuickBooks: whatever is not written off here counts as paid, never more.
    inv.amount_paid = D("1619.05")
    net_of_write_offs(shop.session, inv)
    assert (inv.amount_paid, inv.balance_due, inv.status) == (
        D("1500.00"),
        D("0.00"),
        InvoiceStatus.WRITTEN_OFF,
    )
