"""In-memory books of one QBO company (realm): entities by type and id, plus the indexes QBO keeps.

Entities are stored in their v3 JSON shape with ``Decimal`` numbers; ``domain``/``sparse`` are added on output.
"""

from __future__ import annotations

import copy
from datetime import UTC, timezone
from typing import Any

from integrations.quickbooks.sandbox.change_index import ChangeIndex
from integrations.quickbooks.sandbox.id_index import IdIndex

ENTITIES = (
    "CompanyInfo",
    "Account",
    "Customer",
    "Vendor",
    "Item",
    "Term",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "Estimate",
    "Invoice",
    "CreditMemo",
    "Payment",
    "Bill",
)
_CANONICAL = {name.lower(): name for name in ENTITIES}
# Name lists: queries return active records only unless the WHERE clause asks about Active.
NAME_LISTS = frozenset(
    {"Account", "Customer", "Vendor", "Item", "Term", "PaymentMethod", "TaxCode", "TaxRate"}
)
TRANSACTIONS = frozenset({"Estimate", "Invoice", "CreditMemo", "Payment", "Bill"})
# What a payment's lines settle: invoices (amounts paid) and credit memos (credit used).
SETTLED = ("Invoice", "CreditMemo")
# Which name each list keeps unique; Customer and Vendor share one space (QBO's 6240 rule).
_UNIQUE_SPACE = {
    "Customer": ("party", "DisplayName"),
    "Vendor": ("party", "DisplayName"),
    "Item": ("item", "Name"),
    "Account": ("account", "Name"),
    "Term": ("term", "Name"),
    "PaymentMethod": ("paymentmethod", "Name"),
}
# Each transaction type numbers its own documents.
_DOC_NUMBER_START = {"Invoice": 1001, "Estimate": 1001, "CreditMemo": 1001, "Bill": 1}

Entity = dict[str, Any]


def canonical_entity(name: str) -> str | None:
    """``invoice`` / ``INVOICE`` → ``Invoice``; ``None`` for anything QBO-the-emulator does not hold."""
    return _CANONICAL.get(name.lower())


def _numeric(value: str) -> int | None:
    return int(value) if value.isdigit() else None


class RealmStore:
    """One company's data. Callers hold the sandbox lock; nothing here is thread-safe on its own."""

    def __init__(self, realm_id: str, tz: timezone = UTC) -> None:
        self.realm_id = realm_id
        self.entities: dict[str, dict[str, Entity]] = {name: {} for name in ENTITIES}
        # entity -> id -> LastUpdatedTime of the deletion, for CDC's "Deleted" stubs.
        self.deleted: dict[str, dict[str, str]] = {name: {} for name in ENTITIES}
        # entity -> its ids in Id order, so a page of a query is found without scanning the company.
        self.order: dict[str, IdIndex] = {name: IdIndex() for name in ENTITIES}
        # entity -> its ids (and its deletions) by LastUpdatedTime, so CDC reads only what changed.
        self.changes: dict[str, ChangeIndex] = {name: ChangeIndex(tz) for name in ENTITIES}
        self.deletions: dict[str, ChangeIndex] = {name: ChangeIndex(tz) for name in ENTITIES}
        self._next_id: dict[str, int] = {}
        self._names: dict[tuple[str, str], tuple[str, str]] = {}
        self._name_of: dict[tuple[str, str], tuple[str, str]] = {}
        self._doc_numbers: dict[str, dict[str, str]] = {name: {} for name in TRANSACTIONS}
        self._doc_of: dict[tuple[str, str], str] = {}
        self._next_doc: dict[str, int] = {}
        # Invoice / CreditMemo -> its id -> ids of payments with a line applying it
        self._payments_by: dict[str, dict[str, set[str]]] = {txn_type: {} for txn_type in SETTLED}
        self._settled_by_payment: dict[str, set[tuple[str, str]]] = {}
        # (entity, id) of voided transactions: they stay readable but their amounts stay zero.
        self.voided: set[tuple[str, str]] = set()

    # ---- reads -------------------------------------------------------------------------------------------
    def get(self, entity: str, entity_id: str) -> Entity | None:
        return self.entities[entity].get(entity_id)

    def all(self, entity: str) -> list[Entity]:
        return list(self.entities[entity].values())

    def in_id_order(self, entity: str, positions: range) -> list[Entity]:
        """The rows at ``positions`` of the entity's Id order (see ``order``)."""
        rows, ids = self.entities[entity], self.order[entity].ids
        return [rows[ids[at]] for at in positions]

    def find_by_name(self, entity: str, name: str) -> tuple[str, str] | None:
        space = _UNIQUE_SPACE.get(entity)
        if space is None:
            return None
        return self._names.get((space[0], name.strip().lower()))

    def find_by_doc_number(self, entity: str, doc_number: str) -> str | None:
        return self._doc_numbers.get(entity, {}).get(doc_number)

    def payments_applying(self, txn_type: str, txn_id: str) -> set[str]:
        """Ids of the payments whose lines apply this invoice or credit memo."""
        return set(self._payments_by.get(txn_type, {}).get(txn_id, set()))

    @property
    def payments_by_invoice(self) -> dict[str, set[str]]:
        return self._payments_by["Invoice"]

    @property
    def payments_by_credit_memo(self) -> dict[str, set[str]]:
        return self._payments_by["CreditMemo"]

    # ---- writes ------------------------------------------------------------------------------------------
    def next_id(self, entity: str) -> str:
        if entity not in self._next_id:
            ids = [n for n in (_numeric(i) for i in self.entities[entity]) if n is not None]
            deleted = [n for n in (_numeric(i) for i in self.deleted[entity]) if n is not None]
            self._next_id[entity] = max(ids + deleted, default=0) + 1
        value = self._next_id[entity]
        self._next_id[entity] = value + 1
        return str(value)

    def next_doc_number(self, entity: str) -> str:
        if entity not in self._next_doc:
            numbers = [n for n in (_numeric(d) for d in self._doc_numbers[entity]) if n is not None]
            self._next_doc[entity] = max(numbers, default=_DOC_NUMBER_START[entity] - 1) + 1
        value = self._next_doc[entity]
        while str(value) in self._doc_numbers[entity]:
            value += 1
        self._next_doc[entity] = value + 1
        return str(value)

    def put(self, entity: str, obj: Entity) -> None:
        entity_id = str(obj["Id"])
        self.order[entity].add(entity_id, obj, known=entity_id in self.entities[entity])
        self.entities[entity][entity_id] = obj
        self.changes[entity].set(entity_id, (obj.get("MetaData") or {}).get("LastUpdatedTime"))
        self.deleted[entity].pop(entity_id, None)
        self.deletions[entity].discard(entity_id)
        self._index_name(entity, entity_id, obj)
        self._index_doc(entity, entity_id, obj)
        if entity == "Payment":
            self._index_payment(entity_id, obj)

    def remove(self, entity: str, entity_id: str, when: str) -> Entity | None:
        obj = self.entities[entity].pop(entity_id, None)
        if obj is None:
            return None
        self.order[entity].discard(entity_id)
        self.changes[entity].discard(entity_id)
        self.deleted[entity][entity_id] = when
        self.deletions[entity].set(entity_id, when)
        self._index_name(entity, entity_id, None)
        self._index_doc(entity, entity_id, None)
        if entity == "Payment":
            self._index_payment(entity_id, None)
        return obj

    def load(self, data: dict[str, Any]) -> None:
        """Seed from a company document shaped like the demo fixture (one list per entity type)."""
        for entity in ENTITIES:
            records = data.get(entity)
            if records is None:
                continue
            for record in [records] if isinstance(records, dict) else records:
                self.put(entity, copy.deepcopy(record))

    # ---- indexes -----------------------------------------------------------------------------------------
    def _index_name(self, entity: str, entity_id: str, obj: Entity | None) -> None:
        space = _UNIQUE_SPACE.get(entity)
        if space is None:
            return
        old = self._name_of.pop((entity, entity_id), None)
        if old is not None and self._names.get(old) == (entity, entity_id):
            del self._names[old]
        if obj is not None and obj.get(space[1]):
            key = (space[0], str(obj[space[1]]).strip().lower())
            self._names[key] = (entity, entity_id)
            self._name_of[(entity, entity_id)] = key

    def _index_doc(self, entity: str, entity_id: str, obj: Entity | None) -> None:
        if entity not in self._doc_numbers:
            return
        old = self._doc_of.pop((entity, entity_id), None)
        if old is not None and self._doc_numbers[entity].get(old) == entity_id:
            del self._doc_numbers[entity][old]
        if obj is not None and obj.get("DocNumber"):
            doc = str(obj["DocNumber"])
            self._doc_numbers[entity].setdefault(doc, entity_id)
            self._doc_of[(entity, entity_id)] = doc

    def _index_payment(self, payment_id: str, obj: Entity | None) -> None:
        for txn_type, txn_id in self._settled_by_payment.pop(payment_id, set()):
            self._payments_by[txn_type].get(txn_id, set()).discard(payment_id)
        if obj is None:
            return
        linked = {
            (str(link["TxnType"]), str(link["TxnId"]))
            for line in obj.get("Line") or []
            for link in line.get("LinkedTxn") or []
            if link.get("TxnType") in SETTLED and link.get("TxnId") not in (None, "")
        }
        self._settled_by_payment[payment_id] = linked
        for txn_type, txn_id in linked:
            self._payments_by[txn_type].setdefault(txn_id, set()).add(payment_id)
