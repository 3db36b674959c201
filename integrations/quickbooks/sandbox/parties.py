"""Rules for QBO's name lists: customers, vendors, items, accounts, terms and payment methods."""

from __future__ import annotations

import re

from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.store import Entity, RealmStore
from integrations.quickbooks.sandbox.txn_math import number

_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
_FORBIDDEN = re.compile(r"[:\t\n]")
_ITEM_TYPES = {"Inventory", "Service", "NonInventory", "Group", "Category"}
_NAME_LIMITS = {
    "DisplayName": 500,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
}


def _check_unique(store: RealmStore, entity: str, obj: Entity, name: str) -> None:
    holder = store.find_by_name(entity, name)
    if holder is not None and holder != (entity, str(obj["Id"])):
        kind = "customer, vendor or employee" if entity in ("Customer", "Vendor") else entity.lower()
        raise faults.duplicate_name(kind)


def _prepare_party(store: RealmStore, entity: str, obj: Entity, previous: Entity | None) -> None:
    if not obj.get("DisplayName"):
        parts = [str(obj[p]).strip() for p in _NAME_PARTS if obj.get(p)]
        if not parts:
            raise faults.no_name_provided()
        obj["DisplayName"] = " ".join(parts)
    for field in ("DisplayName", *_NAME_PARTS, "PrintOnCheckName"):
        value = obj.get(field)
        if isinstance(value, str) and _FORBIDDEN.search(value):
            raise faults.business(f"{field} must not contain colon, tab or newline characters.")
    for field, limit in _NAME_LIMITS.items():
        value = obj.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise faults.validation(
                "2050", "Length exceeds limit", f"Length of the field exceeds {limit} chars", field
            )
    email = (obj.get("PrimaryEmailAddr") or {}).get("Address")
    if email and ("@" not in email or "." not in email):
        raise faults.validation(
            "2090", "Invalid Email", f"Invalid email address : {email}", "PrimaryEmailAddr"
        )
    obj["DisplayName"] = str(obj["DisplayName"]).strip()
    _check_unique(store, entity, obj, obj["DisplayName"])
    obj.setdefault("Active", True)
    obj.setdefault("PrintOnCheckName", obj["DisplayName"])
    if entity == "Customer":
        parent = obj.get("ParentRef")
        if isinstance(parent, dict) and parent.get("value"):
            parent_obj = store.get("Customer", str(parent["value"]))
            if parent_obj is None:
                raise faults.invalid_reference("ParentRef")
            obj["FullyQualifiedName"] = (
                f"{parent_obj.get('FullyQualifiedName', parent_obj['DisplayName'])}:{obj['DisplayName']}"
            )
            obj["Job"] = True
            obj["Level"] = int(parent_obj.get("Level", 0)) + 1
        else:
            obj["FullyQualifiedName"] = obj["DisplayName"]
            obj.setdefault("Job", False)
        # Balance is write-on-create (an opening balance); afterwards QBO keeps it as the open balance.
        balance = previous.get("Balance") if previous is not None else obj.get("Balance")
        obj["Balance"] = number(balance or 0, "Balance")
        obj["BalanceWithJobs"] = obj["Balance"]
        obj.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    else:
        balance = previous.get("Balance") if previous is not None else 0
        obj["Balance"] = number(balance or 0, "Balance")


def _prepare_named(store: RealmStore, entity: str, obj: Entity, required: tuple[str, ...]) -> None:
    for field in required:
        if obj.get(field) in (None, ""):
            raise faults.required_param(field)
    name = str(obj["Name"]).strip()
    if len(name) > 100:
        raise faults.validation(
            "2050", "Length exceeds limit", "Length of the field exceeds 100 chars", "Name"
        )
    obj["Name"] = name
    _check_unique(store, entity, obj, name)
    obj.setdefault("Active", True)


def _prepare_item(store: RealmStore, obj: Entity) -> None:
    _prepare_named(store, "Item", obj, ("Name", "Type"))
    item_type = obj["Type"]
    if item_type not in _ITEM_TYPES:
        raise faults.validation("2170", "Invalid Enumeration", f"Invalid Enumeration: {item_type}", "Type")
    if item_type == "Group":
        raise faults.unsupported_operation("Create for Item of Type Group")
    if item_type in ("Inventory", "Service"):
        ref = obj.get("IncomeAccountRef")
        if not isinstance(ref, dict) or not ref.get("value"):
            raise faults.required_param("IncomeAccountRef")
    for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        ref = obj.get(field)
        if isinstance(ref, dict) and ref.get("value") and store.get("Account", str(ref["value"])) is None:
            raise faults.invalid_reference(field)
    if item_type == "Inventory":
        if obj.get("TrackQtyOnHand") is not True:
            obj["TrackQtyOnHand"] = True
        for field in ("AssetAccountRef", "InvStartDate"):
            if obj.get(field) in (None, ""):
                raise faults.required_param(field)
    for field in ("UnitPrice", "PurchaseCost", "QtyOnHand"):
        if obj.get(field) is not None:
            obj[field] = number(obj[field], field)
    obj["FullyQualifiedName"] = obj["Name"]


def prepare_list_entity(store: RealmStore, entity: str, obj: Entity, previous: Entity | None) -> None:
    if entity in ("Customer", "Vendor"):
        _prepare_party(store, entity, obj, previous)
    elif entity == "Item":
        _prepare_item(store, obj)
    elif entity == "Account":
        _prepare_named(store, entity, obj, ("Name", "AccountType"))
        obj["FullyQualifiedName"] = obj["Name"]
    elif entity in ("Term", "PaymentMethod"):
        _prepare_named(store, entity, obj, ("Name",))
        if entity == "Term":
            obj.setdefault("Type", "STANDARD")
            obj["DueDays"] = int(obj.get("DueDays") or 0)
