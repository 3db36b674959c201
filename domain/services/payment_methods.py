"""The company's payment methods: kept from QBO's PaymentMethod list, and how a payment names one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import ValidationFailed
from domain.models.payments import PaymentMethod

# Words staff use for a method, to the name QBO companies usually give it (lower case).
ALIASES = {
    "cheque": "check",
    "chk": "check",
    "ck": "check",
    "card": "credit card",
    "cc": "credit card",
    "credit": "credit card",
    "visa": "credit card",
    "mastercard": "credit card",
    "amex": "credit card",
    "eft": "ach",
    "bank transfer": "ach",
    "direct deposit": "ach",
    "e-check": "ach",
    "echeck": "ach",
}
# Said of a payment when no method is known (QBO sent none); it maps to no PaymentMethodRef.
UNSPECIFIED = "other"


def method_key(text: str) -> str:
    """The lower-case name a payment stores for what the user wrote ("Chk" → "check")."""
    word = " ".join(text.strip().lower().replace("’", "'").split()).rstrip(".")
    return ALIASES.get(word, word)


def store_payment_methods(session: Session, tenant_id: str, methods: Iterable[dict[str, Any]]) -> None:
    """Keep QBO's PaymentMethod list (v3 JSON) as the tenant's methods, matched by QBO id, then by name."""
    rows = list(session.scalars(select(PaymentMethod).where(PaymentMethod.tenant_id == tenant_id)))
    by_qbo = {r.qbo_id: r for r in rows if r.qbo_id}
    by_key = {r.key: r for r in rows}
    for obj in methods:
        name = str(obj.get("Name") or "").strip()[:40]
        if not name:
            continue
        key = name.lower()
        row = by_qbo.get(str(obj.get("Id"))) or by_key.get(key)
        if row is None:
            row = PaymentMethod(tenant_id=tenant_id, name=name, key=key)
            session.add(row)
            by_key[key] = row
        row.name, row.key, row.qbo_id = name, key, str(obj.get("Id"))
        row.active = obj.get("Active", True) is not False
    session.flush()


def qbo_payment_methods(session: Session, tenant_id: str) -> dict[str, str]:
    """{QBO PaymentMethod id: lower-case name} of the tenant, what a push maps a payment's method with."""
    return {
        qbo_id: key
        for qbo_id, key in session.execute(
            select(PaymentMethod.qbo_id, PaymentMethod.key).where(
                PaymentMethod.tenant_id == tenant_id, PaymentMethod.qbo_id.is_not(None)
            )
        )
        if qbo_id
    }


def resolve_payment_method(session: Session, tenant_id: str, text: str) -> str:
    """The stored name for a method the user gave; one the company's list lacks is refused with the list.

    A tenant that has no list yet (not connected to QBO) keeps what was given, normalised."""
    key = method_key(text)
    active = list(
        session.scalars(
            select(PaymentMethod)
            .where(PaymentMethod.tenant_id == tenant_id, PaymentMethod.active.is_(True))
            .order_by(PaymentMethod.name)
        )
    )
    if not active or any(m.key == key for m in active):
        return key
    names = ", ".join(m.name for m in active)
    raise ValidationFailed(
        f"QuickBooks has no payment method '{text.strip()}'; which one was it: {names}?",
        field="method",
        allowed=[m.name for m in active],
    )


def method_label(session: Session, tenant_id: str, key: str) -> str:
    """How the company names a stored method ("ach" → "ACH"), for cards and answers."""
    name = session.scalar(
        select(PaymentMethod.name).where(PaymentMethod.tenant_id == tenant_id, PaymentMethod.key == key)
    )
    return name or key
