"""A write-off as QBO books it: a credit memo on a "Bad Debt" item, applied to the invoice by a payment of zero.

This is QuickBooks' own recipe for bad debt: the item's account is the bad-debt expense account, so the credit
memo moves the amount from receivables to that expense, and the zero payment pairs the credit with the invoice
(an invoice line and a credit-memo line of the same amount net to nothing), which closes the invoice's balance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.models.payments import WriteOff
from integrations.quickbooks.mapping.lists import NON_TAXABLE_CODE, compact, ref

BAD_DEBT_ITEM = "Bad Debt"
# What marks our own settlement payments and credit memos in QBO (and lets a person find them there).
NOTE_PREFIX = "Write-off"
MAX_NOTE = 4000


def bad_debt_item(account_qbo_id: str) -> dict[str, Any]:
    return {
        "Name": BAD_DEBT_ITEM,
        "Type": "Service",
        "Description": "Invoice balances written off as uncollectible",
        "IncomeAccountRef": {"value": account_qbo_id},
        "Taxable": False,
    }


def _note(write_off: WriteOff, invoice_label: str) -> str:
    return f"{NOTE_PREFIX} of invoice {invoice_label}: {write_off.reason}"[:MAX_NOTE]


def credit_memo_to_qbo(
    write_off: WriteOff, *, customer_qbo_id: str, item_qbo_id: str, invoice_label: str
) -> dict[str, Any]:
    amount: Decimal = write_off.amount
    return compact(
        {
            "CustomerRef": ref(customer_qbo_id),
            "TxnDate": write_off.written_off_on.isoformat(),
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": amount,
                    "Description": _note(write_off, invoice_label),
                    "SalesItemLineDetail": {
                        "ItemRef": ref(item_qbo_id, BAD_DEBT_ITEM),
                        "Qty": Decimal("1"),
                        "UnitPrice": amount,
                        "TaxCodeRef": {"value": NON_TAXABLE_CODE},
                    },
                }
            ],
            "PrivateNote": _note(write_off, invoice_label),
        }
    )


def settlement_to_qbo(
    write_off: WriteOff,
    *,
    customer_qbo_id: str,
    invoice_qbo_id: str,
    credit_memo_qbo_id: str,
    invoice_label: str,
) -> dict[str, Any]:
    amount: Decimal = write_off.amount
    return {
        "CustomerRef": ref(customer_qbo_id),
        "TotalAmt": Decimal("0.00"),
        "TxnDate": write_off.written_off_on.isoformat(),
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": invoice_qbo_id, "TxnType": "Invoice"}]},
            {"Amount": amount, "LinkedTxn": [{"TxnId": credit_memo_qbo_id, "TxnType": "CreditMemo"}]},
        ],
        "PrivateNote": _note(write_off, invoice_label),
    }


def is_settlement(obj: dict[str, Any]) -> bool:
    """A QBO payment that only pairs credit memos with invoices and moves no money (ours, or a person's)."""
    lines = obj.get("Line") or []
    kinds = {link.get("TxnType") for line in lines for link in line.get("LinkedTxn") or []}
    return Decimal(str(obj.get("TotalAmt") or 0)) == 0 and "CreditMemo" in kinds


__all__ = [
    "BAD_DEBT_ITEM",
    "NOTE_PREFIX",
    "bad_debt_item",
    "credit_memo_to_qbo",
    "is_settlement",
    "settlement_to_qbo",
]
