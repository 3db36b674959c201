"""Synthetic records for benchmarks, created through the same rules as API writes so totals stay coherent."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from integrations.quickbooks.sandbox.rules import Books

_FIRST = (
    "Alder",
    "Birch",
    "Cedar",
    "Dogwood",
    "Elm",
    "Fir",
    "Hazel",
    "Juniper",
    "Laurel",
    "Maple",
    "Oak",
    "Willow",
)
_LAST = (
    "Builders",
    "Dental",
    "Properties",
    "Bakery",
    "Apartments",
    "Church",
    "Clinic",
    "Farms",
    "Motors",
    "Realty",
)


def _active(books: Books, entity: str) -> list[dict[str, Any]]:
    return [obj for obj in books.store.all(entity) if obj.get("Active", True)]


def _party(books: Books, entity: str, rng: random.Random) -> dict[str, Any]:
    while True:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {rng.randrange(10**6):06d}"
        if books.store.find_by_name(entity, name) is None:
            break
    body: dict[str, Any] = {"DisplayName": name, "CompanyName": name}
    if entity == "Customer":
        body["PrimaryEmailAddr"] = {"Address": f"billing{rng.randrange(10**6)}@example.com"}
        terms = _active(books, "Term")
        if terms:
            body["SalesTermRef"] = {"value": rng.choice(terms)["Id"]}
    return books.create(entity, body)


def _item(books: Books, rng: random.Random) -> dict[str, Any]:
    income = next((a for a in books.store.all("Account") if a.get("AccountType") == "Income"), None)
    body: dict[str, Any] = {
        "Name": f"Service {rng.randrange(10**8):08d}",
        "Type": "Service",
        "UnitPrice": Decimal(rng.randrange(2000, 50000)) / 100,
        "Taxable": rng.random() < 0.3,
    }
    if income is not None:
        body["IncomeAccountRef"] = {"value": income["Id"]}
    return books.create("Item", body)


def _sales(books: Books, entity: str, rng: random.Random) -> dict[str, Any]:
    customers = _active(books, "Customer") or [_party(books, "Customer", rng)]
    items = [
        i for i in _active(books, "Item") if i.get("UnitPrice") is not None and i.get("Type") != "Category"
    ]
    items = items or [_item(books, rng)]
    lines = []
    for _ in range(rng.randint(1, 4)):
        item = rng.choice(items)
        lines.append(
            {
                "DetailType": "SalesItemLineDetail",
                "Description": item.get("Description") or item["Name"],
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": Decimal(rng.randint(1, 8))},
            }
        )
    txn_date = books.clock.today().toordinal() - rng.randint(0, 300)
    body = {
        "CustomerRef": {"value": rng.choice(customers)["Id"]},
        "Line": lines,
        "TxnDate": type(books.clock.today()).fromordinal(txn_date).isoformat(),
    }
    return books.create(entity, body)


def _payment(books: Books, rng: random.Random, open_ids: list[str]) -> dict[str, Any]:
    """Pay an open invoice (in full most of the time); ``open_ids`` is kept up to date across calls."""
    invoice = None
    while open_ids and invoice is None:
        index = rng.randrange(len(open_ids))
        candidate = books.store.get("Invoice", open_ids[index])
        if candidate is not None and Decimal(str(candidate.get("Balance", 0))) > 0:
            invoice = candidate
        else:
            open_ids[index] = open_ids[-1]
            open_ids.pop()
    if invoice is None:
        invoice = _sales(books, "Invoice", rng)
    balance = Decimal(str(invoice["Balance"]))
    amount = balance if rng.random() < 0.7 else (balance / 2).quantize(Decimal("0.01"))
    return books.create(
        "Payment",
        {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": amount,
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )


def _bill(books: Books, rng: random.Random) -> dict[str, Any]:
    vendors = _active(books, "Vendor") or [_party(books, "Vendor", rng)]
    expense = next((a for a in books.store.all("Account") if a.get("Classification") == "Expense"), None)
    if expense is None:
        expense = books.create("Account", {"Name": "Job Materials", "AccountType": "Cost of Goods Sold"})
    return books.create(
        "Bill",
        {
            "VendorRef": {"value": rng.choice(vendors)["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal(rng.randrange(5000, 500000)) / 100,
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}},
                }
            ],
        },
    )


def generate_records(books: Books, entity: str, count: int, rng: random.Random) -> list[str]:
    open_ids: list[str] = (
        [str(i["Id"]) for i in books.store.all("Invoice") if Decimal(str(i.get("Balance", 0))) > 0]
        if entity == "Payment"
        else []
    )
    makers = {
        "Customer": lambda: _party(books, "Customer", rng),
        "Vendor": lambda: _party(books, "Vendor", rng),
        "Item": lambda: _item(books, rng),
        "Invoice": lambda: _sales(books, "Invoice", rng),
        "Estimate": lambda: _sales(books, "Estimate", rng),
        "CreditMemo": lambda: _sales(books, "CreditMemo", rng),
        "Payment": lambda: _payment(books, rng, open_ids),
        "Bill": lambda: _bill(books, rng),
    }
    if entity not in makers:
        raise ValueError(f"cannot generate {entity} records")
    return [str(makers[entity]()["Id"]) for _ in range(count)]
