"""How payments settle sales transactions: a payment line applies an invoice (what the customer owes goes down)
or a credit memo (credit the customer holds is used up), and the linked records follow.

``UnappliedAmt = TotalAmt − Σ invoice lines + Σ credit-memo lines`` (QBO's Payment reference: invoice 67 → 300
and credit memo 68 → 300 with ``TotalAmt 0`` leave ``UnappliedAmt 0``). An invoice's ``Balance`` is its total
less deposit and payments; a credit memo's ``Balance`` and ``RemainingCredit`` are its total less what payments
have taken from it. Each keeps read-only ``LinkedTxn`` entries for the payments that apply it.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.money import ZERO, cents
from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.store import SETTLED, Entity, RealmStore
from integrations.quickbooks.sandbox.txn_math import number

if TYPE_CHECKING:
    from integrations.quickbooks.sandbox.rules import Books

INVOICE = "Invoice"
CREDIT_MEMO = "CreditMemo"
_LABEL = {INVOICE: "invoice", CREDIT_MEMO: "credit memo"}


def label(txn_type: str) -> str:
    """How fault messages name the transaction type."""
    return _LABEL.get(txn_type, txn_type)


def links_of(payment: Entity | None) -> set[tuple[str, str]]:
    """``(TxnType, TxnId)`` of every invoice and credit memo the payment's lines apply."""
    return {
        (str(link["TxnType"]), str(link["TxnId"]))
        for line in (payment or {}).get("Line") or []
        for link in line.get("LinkedTxn") or []
        if link.get("TxnType") in SETTLED and link.get("TxnId") not in (None, "")
    }


def _line_applies(line: Entity, txn_type: str, txn_id: str) -> bool:
    return any(
        link.get("TxnType") == txn_type and str(link.get("TxnId")) == txn_id
        for link in line.get("LinkedTxn") or []
    )


def applied(store: RealmStore, txn_type: str, txn_id: str, *, excluding: str | None = None) -> Decimal:
    """What payments (other than ``excluding``) apply to this invoice or take from this credit memo."""
    total = ZERO
    for payment_id in store.payments_applying(txn_type, txn_id):
        if payment_id == excluding:
            continue
        for line in (store.get("Payment", payment_id) or {}).get("Line") or []:
            if _line_applies(line, txn_type, txn_id):
                total += number(line.get("Amount", 0), "Line.Amount")
    return total


def open_amount(store: RealmStore, txn: Entity, txn_type: str, *, excluding: str | None = None) -> Decimal:
    """An invoice's unpaid balance or a credit memo's unused credit (zero once voided)."""
    txn_id = str(txn["Id"])
    if (txn_type, txn_id) in store.voided:
        return ZERO
    total = number(txn["TotalAmt"], "TotalAmt")
    if txn_type == INVOICE:
        total -= number(txn.get("Deposit") or 0, "Deposit")
    return cents(total - applied(store, txn_type, txn_id, excluding=excluding))


def refresh(books: Books, txn_type: str, txn_id: str, *, bump: bool) -> None:
    """Recompute an invoice's or credit memo's balance and Payment links.

    With ``bump`` a change is saved as a new version (SyncToken, LastUpdatedTime, an ``Update`` for CDC and
    webhooks); without it the record is being written anyway and is corrected in place.
    """
    txn = books.store.get(txn_type, txn_id)
    if txn is None:
        return
    payment_ids = sorted(books.store.payments_applying(txn_type, txn_id), key=lambda i: (len(i), i))
    links = [x for x in txn.get("LinkedTxn") or [] if x.get("TxnType") != "Payment"]
    links += [{"TxnId": pid, "TxnType": "Payment"} for pid in payment_ids]
    balance = open_amount(books.store, txn, txn_type)
    fields: Entity = {"Balance": balance}
    if txn_type == CREDIT_MEMO:
        fields["RemainingCredit"] = balance
    if "HomeBalance" in txn:
        fields["HomeBalance"] = balance
    unchanged = all(txn.get(key) == value for key, value in fields.items()) and txn.get("LinkedTxn") == links
    if unchanged and bump:
        return
    updated = copy.deepcopy(txn) if bump else txn
    updated.update(fields)
    updated["LinkedTxn"] = links
    if bump:
        books.bump(updated, txn)
        books.store.put(txn_type, updated)
        books.record(txn_type, updated, "Update")
    books.mark_customer(updated, None)


def refresh_for_payment(books: Books, previous: Entity | None, payment: Entity | None) -> None:
    """After a payment was written, voided or deleted: every invoice and credit memo it applied, or applies."""
    for txn_type, txn_id in sorted(links_of(previous) | links_of(payment)):
        refresh(books, txn_type, txn_id, bump=True)


def unlink_first(books: Books, txn_type: str, txn_id: str, action: str) -> None:
    """QBO refuses to delete or void an invoice or credit memo that payments still apply."""
    if books.store.payments_applying(txn_type, txn_id):
        raise faults.business(
            f"You must unlink any linked transactions associated with the {label(txn_type)} before {action} it."
        )


def apply_payment_lines(store: RealmStore, payment: Entity, customer: Entity) -> None:
    """Check a payment's lines against what they apply and set ``TotalAmt``/``Line``/``UnappliedAmt``."""
    total = cents(number(payment["TotalAmt"], "TotalAmt"))
    payment["TotalAmt"] = total
    lines = payment.get("Line") or []
    charged = ZERO  # lines applied to invoices (or to nothing the emulator settles)
    credited = ZERO  # lines taking credit from credit memos
    taking: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        if line.get("Amount") is None:
            raise faults.required_param("Line.Amount")
        line["Amount"] = amount = cents(number(line["Amount"], "Line.Amount"))
        kinds = {link.get("TxnType") for link in line.get("LinkedTxn") or []} & set(SETTLED)
        if kinds == {INVOICE, CREDIT_MEMO}:
            raise faults.business("A payment line applies either invoices or a credit memo, not both.")
        if CREDIT_MEMO in kinds and amount < ZERO:
            raise faults.business("The amount applied from a credit memo cannot be negative.")
        for link in line.get("LinkedTxn") or []:
            txn_type = link.get("TxnType")
            if txn_type not in SETTLED:
                continue
            key = (str(txn_type), str(link.get("TxnId")))
            taking[key] = taking.get(key, ZERO) + amount
            _check_link(store, payment, customer, key, taking[key])
        if CREDIT_MEMO in kinds:
            credited += amount
        else:
            charged += amount
    unapplied = total - charged + credited
    if unapplied < ZERO:
        raise faults.business(
            "The payment amount must be at least the amount applied to transactions "
            "(less any credit memos the payment applies)."
        )
    payment["Line"] = lines
    payment["UnappliedAmt"] = unapplied


def _check_link(
    store: RealmStore, payment: Entity, customer: Entity, key: tuple[str, str], amount: Decimal
) -> None:
    txn_type, txn_id = key
    txn = store.get(txn_type, txn_id)
    if txn is None:
        raise faults.invalid_reference("Line.LinkedTxn.TxnId")
    if str(txn["CustomerRef"]["value"]) != str(customer["Id"]):
        raise faults.business(f"The {label(txn_type)} belongs to a different customer than the payment.")
    available = open_amount(store, txn, txn_type, excluding=str(payment["Id"]))
    if amount > available:
        doc = txn.get("DocNumber", txn["Id"])
        if txn_type == INVOICE:
            detail = f"The amount applied to invoice {doc} is more than its open balance of {available}."
        else:
            detail = (
                f"The amount applied from credit memo {doc} is more than its remaining credit of {available}."
            )
        raise faults.business(detail)
