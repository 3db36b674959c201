"""Deleting, voiding, sending and merging, with the effects QBO has on linked records."""

from __future__ import annotations

import copy
from typing import Any

from domain.money import ZERO
from integrations.quickbooks.sandbox import faults, settlement
from integrations.quickbooks.sandbox.rules import Books, Change
from integrations.quickbooks.sandbox.store import SETTLED, TRANSACTIONS, Entity


# ---- delete / void / send ----------------------------------------------------------------------------
def delete(books: Books, entity: str, body: Entity) -> Entity:
    if entity not in TRANSACTIONS:
        raise faults.unsupported_operation(f"Delete for {entity}; set Active to false instead")
    current = books.current_for_write(entity, body)
    entity_id = str(current["Id"])
    if entity in SETTLED:
        settlement.unlink_first(books, entity, entity_id, "deleting")
    now = books.now()
    books.store.remove(entity, entity_id, now)
    books.store.voided.discard((entity, entity_id))
    if entity in SETTLED:
        if entity == "Invoice":
            books.sync_estimate_link(entity_id, current, None)
        books.mark_customer(current, None)
    elif entity == "Payment":
        settlement.refresh_for_payment(books, current, None)
        books.mark_customer(current, None)
    elif entity == "Estimate":
        for link in current.get("LinkedTxn") or []:
            invoice = books.store.get("Invoice", str(link.get("TxnId")))
            if invoice is not None:
                _unlink_estimate_from_invoice(books, invoice, entity_id)
    books.changes.append(Change(entity, entity_id, "Delete", now))
    return {"status": "Deleted", "domain": "QBO", "Id": entity_id}


def _unlink_estimate_from_invoice(books: Books, invoice: Entity, estimate_id: str) -> None:
    updated = copy.deepcopy(invoice)
    updated["LinkedTxn"] = [
        x
        for x in updated.get("LinkedTxn") or []
        if not (x.get("TxnType") == "Estimate" and str(x.get("TxnId")) == estimate_id)
    ]
    books.bump(updated, invoice)
    books.store.put("Invoice", updated)
    books.record("Invoice", updated, "Update")


def void(books: Books, entity: str, body: Entity) -> Entity:
    # Credit memos are deleted, not voided: QBO's CreditMemo API lists no void operation.
    if entity not in ("Invoice", "Payment"):
        raise faults.unsupported_operation(f"Void for {entity}")
    current = books.current_for_write(entity, body)
    entity_id = str(current["Id"])
    if entity == "Invoice":
        settlement.unlink_first(books, entity, entity_id, "voiding")
    obj = copy.deepcopy(current)
    note = obj.get("PrivateNote") or ""
    obj["PrivateNote"] = f"Voided - {note}" if note and not note.startswith("Voided") else (note or "Voided")
    obj["TotalAmt"] = ZERO
    if entity == "Invoice":
        for line in obj.get("Line") or []:
            line["Amount"] = ZERO
            detail = line.get("SalesItemLineDetail")
            if isinstance(detail, dict) and "Qty" in detail:
                detail["Qty"] = ZERO
        obj["Balance"] = ZERO
        if "HomeBalance" in obj:
            obj["HomeBalance"] = ZERO
        tax = obj.get("TxnTaxDetail") or {}
        tax["TotalTax"] = ZERO
        for tax_line in tax.get("TaxLine") or []:
            tax_line["Amount"] = ZERO
        obj["TxnTaxDetail"] = tax
    else:
        obj["UnappliedAmt"] = ZERO
        obj["Line"] = []
    books.store.voided.add((entity, entity_id))
    books.bump(obj, current)
    books.store.put(entity, obj)
    if entity == "Payment":
        settlement.refresh_for_payment(books, current, obj)
    books.mark_customer(obj, None)
    books.record(entity, obj, "Void")
    return obj


def send(books: Books, entity: str, entity_id: str, send_to: str | None) -> Entity:
    if entity not in ("Invoice", "Estimate", "CreditMemo", "Payment"):
        raise faults.unsupported_operation(f"Send for {entity}")
    current = books.read(entity, entity_id)
    if entity == "Payment" and not send_to:
        raise faults.required_param("sendTo")
    address = send_to or (current.get("BillEmail") or {}).get("Address")
    if not address:
        raise faults.business("An email address is required to send this transaction (BillEmail or sendTo).")
    if "@" not in address or "." not in address:
        raise faults.validation("2090", "Invalid Email", f"Invalid email address : {address}", "sendTo")
    obj = copy.deepcopy(current)
    obj["BillEmail"] = {"Address": address}
    obj["EmailStatus"] = "EmailSent"
    obj["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": books.now()}
    books.bump(obj, current)
    books.store.put(entity, obj)
    books.record(entity, obj, "Emailed")
    return obj


def merge(books: Books, entity: str, survivor_id: str, merged_id: str) -> Entity:
    """A user merges two name-list records in QBO: references move to the survivor, the other goes."""
    if entity not in ("Customer", "Vendor", "Item"):
        raise faults.unsupported_operation(f"Merge for {entity}")
    survivor = books.read(entity, survivor_id)
    books.read(entity, merged_id)
    field = {"Customer": "CustomerRef", "Vendor": "VendorRef", "Item": "ItemRef"}[entity]
    for txn_type in sorted(TRANSACTIONS):
        for txn in books.store.all(txn_type):
            if _repoint(txn, field, merged_id, survivor):
                updated = copy.deepcopy(txn)
                books.bump(updated, txn)
                books.store.put(txn_type, updated)
                books.mark_customer(updated, None)
                books.record(txn_type, updated, "Update")
    books.store.remove(entity, merged_id, books.now())
    updated = copy.deepcopy(survivor)
    books.bump(updated, survivor)
    books.store.put(entity, updated)
    books.record(entity, updated, "Merge", deleted_id=merged_id)
    if entity == "Customer":
        books.mark_customer_id(survivor_id)
    return updated


def _repoint(node: Any, field: str, old_id: str, survivor: Entity) -> bool:
    """Point every ``field`` reference from ``old_id`` to the survivor; True when anything changed."""
    changed = False
    if isinstance(node, dict):
        for key, value in node.items():
            if key == field and isinstance(value, dict) and str(value.get("value")) == old_id:
                value["value"] = survivor["Id"]
                value["name"] = survivor.get("DisplayName") or survivor.get("Name", "")
                changed = True
            else:
                changed = _repoint(value, field, old_id, survivor) or changed
    elif isinstance(node, list):
        for value in node:
            changed = _repoint(value, field, old_id, survivor) or changed
    return changed
