from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from domain.models import InvoiceStatus
from domain.schemas import PaymentApplicationIn, PaymentCreate
from domain.services.payments import apply_credit, record_payment, unapply_payment, void_payment
from tests.domain.conftest import TODAY, Shop
from tests.factories import make_customer

D = Decimal


def pay(shop: Shop, amount: str, *apps: tuple[str, str], auto: bool = False, customer_id: str | None = None):
    return record_payment(
        shop.session,
        shop.office,
        PaymentCreate(
            customer_id=customer_id or shop.customer.id,
            amount=D(amount),
            payment_date=TODAY,
            auto_apply=auto,
            applications=[PaymentApplicationIn(invoice_id=i, amount=D(a)) for i, a in apps],
        ),
    )


def test_partial_then_full_payment_derives_status(shop: Shop) -> None:
    inv = shop.invoice()  # 1619.05
    pay(shop, "500", (inv.id, "500"))
    assert (inv.status, inv.balance_due) == (InvoiceStatus.PARTIAL, D("1119.05"))
    pay(shop, "1119.05", (inv.id, "1119.05"))
    assert (inv.status, inv.balance_due, inv.amount_paid) == (InvoiceStatus.PAID, D("0.00"), D("1619.05"))


def test_one_payment_across_two_invoices_with_credit_left(shop: Shop) -> None:
    a, b = shop.invoice(), shop.invoice()
    payment = pay(shop, "2000", (a.id, "1619.05"), (b.id, "300"))
    assert a.status is InvoiceStatus.PAID and b.status is InvoiceStatus.PARTIAL
    assert payment.unapplied_amount == D("80.95")
    apply_credit(
        shop.session, shop.office, payment.id, [PaymentApplicationIn(invoice_id=b.id, amount=D("80.95"))]
    )
    assert payment.unapplied_amount == D("0.00") and b.balance_due == D("1238.10")


def test_more_than_the_open_balance_is_refused(shop: Shop) -> None:
    inv = shop.invoice()
    with pytest.raises(Conflict, match=r"only 1619\.05 is open"):
        pay(shop, "2000", (inv.id, "2000"))
    assert inv.balance_due == D("1619.05")


def test_auto_apply_pays_oldest_first_and_keeps_the_rest_as_credit(shop: Shop) -> None:
    a, b = shop.invoice(), shop.invoice()
    payment = pay(shop, "2000", auto=True)
    assert a.status is InvoiceStatus.PAID
    assert b.balance_due == D("1619.05") - D("380.95")
    assert payment.unapplied_amount == D("0.00")
    credit = pay(shop, "5000", auto=True)
    assert b.status is InvoiceStatus.PAID and credit.unapplied_amount == D("5000") - D("1238.10")


def test_applications_cannot_exceed_payment_or_cross_customers(shop: Shop) -> None:
    inv = shop.invoice()
    with pytest.raises(ValidationFailed, match="more than the payment"):
        pay(shop, "100", (inv.id, "200"))
    other = make_customer(shop.session, shop.tenant, name="ACME Corp")
    with pytest.raises(ValidationFailed, match="another customer"):
        pay(shop, "100", (inv.id, "100"), customer_id=other.id)


def test_void_payment_restores_balances(shop: Shop) -> None:
    inv = shop.invoice()
    payment = pay(shop, "1619.05", (inv.id, "1619.05"))
    with pytest.raises(PermissionDenied):
        void_payment(shop.session, shop.office, payment.id)
    void_payment(shop.session, shop.owner, payment.id, reason="bounced check")
    assert (inv.status, inv.balance_due) == (InvoiceStatus.OPEN, D("1619.05"))
    assert payment.voided and payment.unapplied_amount == D("0.00")
    with pytest.raises(InvalidTransition):
        apply_credit(
            shop.session, shop.office, payment.id, [PaymentApplicationIn(invoice_id=inv.id, amount=D("1"))]
        )


def test_paid_invoice_takes_no_more_payments(shop: Shop) -> None:
    inv = shop.invoice()
    pay(shop, "1619.05", (inv.id, "1619.05"))
    with pytest.raises(InvalidTransition, match="no open balance"):
        pay(shop, "1", (inv.id, "1"))


def test_technicians_cannot_record_payments(shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        record_payment(
            shop.session,
            shop.technician,
            PaymentCreate(customer_id=shop.customer.id, amount=D("1"), payment_date=TODAY),
        )


amounts = st.lists(st.decimals(min_value=D("0.01"), max_value=D("2500"), places=2), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=amounts)
def test_balances_never_negative_and_unapply_restores_state(shop: Shop, amounts: list[Decimal]) -> None:
    with shop.session.begin_nested() as savepoint:
        inv = shop.invoice()
        original = (inv.balance_due, inv.amount_paid, inv.status)
        payments = []
        for amount in amounts:
            applied = min(amount, inv.balance_due)
            if applied == 0:
                with pytest.raises(InvalidTransition):
                    pay(shop, str(amount), (inv.id, str(amount)))
                continue
            payments.append(pay(shop, str(amount), (inv.id, str(applied))))
            assert inv.balance_due >= 0
            assert inv.balance_due + inv.amount_paid == inv.total
        for payment in reversed(payments):
            unapply_payment(shop.session, shop.office, payment.id)
            assert payment.unapplied_amount == payment.amount
        assert (inv.balance_due, inv.amount_paid, inv.status) == original
        savepoint.rollback()


def test_method_is_one_of_the_companys_payment_methods(shop: Shop) -> None:
    from domain.services.payment_methods import store_payment_methods

    store_payment_methods(
        shop.session,
        shop.tenant.id,
        [
            {"Id": "2", "Name": "Check"},
            {"Id": "4", "Name": "ACH"},
            {"Id": "9", "Name": "Zelle", "Active": False},
        ],
    )

    def pay_by(method: str):  # type: ignore[no-untyped-def]
        data = PaymentCreate(
            customer_id=shop.customer.id, amount=D("10"), payment_date=TODAY, payment_method=method
        )
        return record_payment(shop.session, shop.office, data)

    assert pay_by("Chk").payment_method == "check" and pay_by("eft").payment_method == "ach"
    for unknown in ("venmo", "zelle"):  # never heard of, and no longer active
        with pytest.raises(ValidationFailed, match="which one was it: ACH, Check"):
            pay_by(unknown)
