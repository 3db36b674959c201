"""QBO's server-side rules for creates and updates: ids, SyncToken, MetaData, references, totals, balances.

:class:`Books` runs one request's writes against one realm and records every change (for CDC and webhooks);
deleting, voiding, sending and merging live in :mod:`lifecycle`; what payments do to invoices and credit memos
in :mod:`settlement`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta

from domain.money import ZERO, cents
from integrations.quickbooks.sandbox import faults, settlement
from integrations.quickbooks.sandbox.parties import prepare_list_entity
from integrations.quickbooks.sandbox.store import SETTLED, Entity, RealmStore
from integrations.quickbooks.sandbox.txn_math import number, price_bill, price_sales_txn
from integrations.quickbooks.sandbox.wire import SandboxClock, format_qbo_datetime

_READ_ONLY = frozenset({"TaxCode", "TaxRate"})
_SERVER_FIELDS = ("domain", "sparse", "status", "MetaData", "SyncToken")
_ESTIMATE_STATUSES = {"Pending", "Accepted", "Closed", "Rejected", "Converted"}
_LINKABLE_ESTIMATE = {"Pending", "Accepted"}
_TXN_TYPE_NAME = {"CreditMemo": "Credit Memo"}  # as QBO's 6140 text names it


@dataclass(frozen=True)
class Change:
    """One entity change as CDC and webhooks report it."""

    entity: str
    entity_id: str
    operation: str  # Create | Update | Delete | Void | Emailed | Merge
    last_updated: str
    deleted_id: str | None = None


class Books:
    """The write rules for one realm; callers hold the sandbox lock for the duration of one request."""

    def __init__(
        self, store: RealmStore, clock: SandboxClock, *, allow_duplicate_doc_number: bool = False
    ) -> None:
        self.store = store
        self.clock = clock
        self.allow_duplicate_doc_number = allow_duplicate_doc_number
        self.changes: list[Change] = []
        self._dirty_customers: set[str] = set()

    # ---- helpers -----------------------------------------------------------------------------------------
    def now(self) -> str:
        return format_qbo_datetime(self.clock.now())

    def record(self, entity: str, obj: Entity, operation: str, deleted_id: str | None = None) -> None:
        last = obj.get("MetaData", {}).get("LastUpdatedTime") or self.now()
        self.changes.append(Change(entity, str(obj["Id"]), operation, last, deleted_id))

    def bump(self, obj: Entity, previous: Entity | None) -> None:
        now = self.now()
        if previous is None:
            obj["SyncToken"] = "0"
            obj["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
        else:
            obj["SyncToken"] = str(int(previous.get("SyncToken", "0")) + 1)
            created = previous.get("MetaData", {}).get("CreateTime", now)
            obj["MetaData"] = {"CreateTime": created, "LastUpdatedTime": now}

    def read(self, entity: str, entity_id: str) -> Entity:
        obj = self.store.get(entity, entity_id)
        if obj is None:
            raise faults.object_not_found(entity, entity_id)
        return obj

    def current_for_write(self, entity: str, body: Entity) -> Entity:
        if body.get("Id") in (None, ""):
            raise faults.required_param("Id")
        if body.get("SyncToken") in (None, ""):
            raise faults.required_param("SyncToken")
        current = self.read(entity, str(body["Id"]))
        if str(body["SyncToken"]) != str(current.get("SyncToken", "0")):
            raise faults.stale_object()
        return current

    def _ref(self, obj: Entity, field: str, entity: str, *, required: bool) -> Entity | None:
        ref = obj.get(field)
        if not isinstance(ref, dict) or ref.get("value") in (None, ""):
            if required:
                raise faults.required_param(field)
            return None
        target = self.store.get(entity, str(ref["value"]))
        if target is None:
            raise faults.invalid_reference(field)
        if target.get("Active") is False:
            raise faults.validation(
                "2500",
                "Invalid Reference Id",
                "Invalid Reference Id : Something you're trying to use has been made inactive. Check the fields "
                "with accounts, customers, items, vendors or employees.",
            )
        name = target.get("DisplayName") or target.get("Name")
        obj[field] = {"value": target["Id"], "name": name} if name else {"value": target["Id"]}
        return target

    # ---- create / update ---------------------------------------------------------------------------------
    def create(self, entity: str, body: Entity) -> Entity:
        if entity in _READ_ONLY or entity == "CompanyInfo":
            raise faults.unsupported_operation(f"Create for {entity}")
        obj = {k: copy.deepcopy(v) for k, v in body.items() if k not in (*_SERVER_FIELDS, "Id")}
        obj["Id"] = self.store.next_id(entity)
        self._prepare(entity, obj, None)
        self.bump(obj, None)
        self._store(entity, obj, None)
        self.record(entity, obj, "Create")
        return obj

    def update(self, entity: str, body: Entity) -> Entity:
        if entity in _READ_ONLY:
            raise faults.unsupported_operation(f"Update for {entity}")
        current = self.current_for_write(entity, body)
        if (entity, str(current["Id"])) in self.store.voided:
            raise faults.business("A voided transaction cannot be changed.")
        incoming = {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS}
        if body.get("sparse") is True:
            obj = copy.deepcopy(current)
            obj.update(incoming)
        else:
            obj = incoming
        obj["Id"] = current["Id"]
        self._prepare(entity, obj, current)
        self.bump(obj, current)
        self._store(entity, obj, current)
        self.record(entity, obj, "Update")
        return obj

    def touch(self, entity: str, entity_id: str) -> Entity:
        """A user saves the record in QBO without changing it: only SyncToken and LastUpdatedTime move."""
        current = self.read(entity, entity_id)
        obj = copy.deepcopy(current)
        self.bump(obj, current)
        self.store.put(entity, obj)
        self.record(entity, obj, "Update")
        return obj

    def _prepare(self, entity: str, obj: Entity, previous: Entity | None) -> None:
        if entity in ("Invoice", "Estimate", "CreditMemo"):
            self._prepare_sales(entity, obj, previous)
        elif entity == "Payment":
            self._prepare_payment(obj, previous)
        elif entity == "Bill":
            self._prepare_bill(obj, previous)
        elif entity != "CompanyInfo":
            prepare_list_entity(self.store, entity, obj, previous)

    def _store(self, entity: str, obj: Entity, previous: Entity | None) -> None:
        self.store.put(entity, obj)
        entity_id = str(obj["Id"])
        if entity in SETTLED:
            if entity == "Invoice":
                self.sync_estimate_link(entity_id, previous, obj)
            settlement.refresh(self, entity, entity_id, bump=False)
            self.mark_customer(obj, previous)
        elif entity == "Payment":
            settlement.refresh_for_payment(self, previous, obj)
            self.mark_customer(obj, previous)
        elif entity == "Customer":
            self._dirty_customers.add(entity_id)

    # ---- sales transactions ------------------------------------------------------------------------------
    def _txn_dates(self, obj: Entity) -> None:
        txn_date = obj.get("TxnDate") or self.clock.today().isoformat()
        try:
            day = date.fromisoformat(str(txn_date))
        except ValueError as exc:
            raise faults.validation("2090", "Invalid Date", f"Invalid date : {txn_date}", "TxnDate") from exc
        obj["TxnDate"] = day.isoformat()

    def _doc_number(self, entity: str, obj: Entity) -> None:
        doc = obj.get("DocNumber")
        if doc in (None, "", "AUTO_GENERATE"):
            obj["DocNumber"] = self.store.next_doc_number(entity)
            return
        doc = str(doc)
        if len(doc) > 21:
            raise faults.validation(
                "2050", "Length exceeds limit", "Length of the field exceeds 21 chars", "DocNumber"
            )
        holder = self.store.find_by_doc_number(entity, doc)
        if holder is not None and holder != str(obj["Id"]) and not self.allow_duplicate_doc_number:
            raise faults.duplicate_doc_number(doc, _TXN_TYPE_NAME.get(entity, entity), holder)

    def _prepare_sales(self, entity: str, obj: Entity, previous: Entity | None) -> None:
        customer = self._ref(obj, "CustomerRef", "Customer", required=True)
        assert customer is not None  # required=True raised otherwise
        price_sales_txn(self.store, obj, previous)
        self._txn_dates(obj)
        self._doc_number(entity, obj)
        for field in ("BillAddr", "ShipAddr"):
            if not obj.get(field) and customer.get(field if field == "BillAddr" else "ShipAddr"):
                obj[field] = copy.deepcopy(customer[field])
        if not obj.get("ShipAddr") and customer.get("BillAddr"):
            obj["ShipAddr"] = copy.deepcopy(customer["BillAddr"])
        if not obj.get("BillEmail") and customer.get("PrimaryEmailAddr"):
            obj["BillEmail"] = copy.deepcopy(customer["PrimaryEmailAddr"])
        obj.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        obj.setdefault("EmailStatus", "NotSet")
        obj.setdefault("PrintStatus", "NotSet")
        obj.setdefault("ApplyTaxAfterDiscount", False)
        if entity == "CreditMemo":
            self._prepare_credit_memo(obj, previous)
            return
        if obj.get("SalesTermRef") is None and customer.get("SalesTermRef"):
            obj["SalesTermRef"] = copy.deepcopy(customer["SalesTermRef"])
        term = self._ref(obj, "SalesTermRef", "Term", required=False)
        if entity == "Estimate":
            status = obj.setdefault("TxnStatus", "Pending")
            if status not in _ESTIMATE_STATUSES:
                raise faults.validation(
                    "2170", "Invalid Enumeration", f"Invalid Enumeration: {status}", "TxnStatus"
                )
            # Links to invoices are made from the invoice side; whatever the client sends here is ignored.
            obj["LinkedTxn"] = copy.deepcopy((previous or {}).get("LinkedTxn") or [])
            return
        if not obj.get("DueDate"):
            days = int(term.get("DueDays", 0)) if term else 0
            obj["DueDate"] = (date.fromisoformat(obj["TxnDate"]) + timedelta(days=days)).isoformat()
        obj["Deposit"] = cents(number(obj.get("Deposit") or 0, "Deposit"))
        obj["LinkedTxn"] = self._estimate_links(obj, previous)
        obj["Balance"] = obj["TotalAmt"]  # settled against payments once stored

    def _prepare_credit_memo(self, obj: Entity, previous: Entity | None) -> None:
        """A credit memo has no due date or deposit; its credit is what payments have not yet taken from it."""
        obj.pop("DueDate", None)
        obj.pop("Deposit", None)
        self._ref(obj, "SalesTermRef", "Term", required=False)
        self._ref(obj, "PaymentMethodRef", "PaymentMethod", required=False)
        # Links to payments are made from the payment side; whatever the client sends here is ignored.
        obj["LinkedTxn"] = copy.deepcopy((previous or {}).get("LinkedTxn") or [])
        if obj["TotalAmt"] < ZERO:
            raise faults.business("A credit memo total cannot be negative.")
        used = ZERO
        if previous is not None:
            used = settlement.applied(self.store, "CreditMemo", str(obj["Id"]))
            if used and str(obj["CustomerRef"]["value"]) != str(previous["CustomerRef"]["value"]):
                settlement.unlink_first(self, "CreditMemo", str(obj["Id"]), "changing the customer of")
            if obj["TotalAmt"] < used:
                raise faults.business(
                    f"The credit memo total cannot be less than the {cents(used)} that payments have "
                    "already applied from it."
                )
        obj["Balance"] = obj["RemainingCredit"] = cents(obj["TotalAmt"] - used)

    def _estimate_links(self, invoice: Entity, previous: Entity | None) -> list[Entity]:
        wanted = [
            link
            for link in invoice.get("LinkedTxn") or []
            if isinstance(link, dict) and link.get("TxnType") == "Estimate"
        ]
        if len(wanted) > 1:
            raise faults.business("Only one link can be made to an Estimate.")
        before = {
            str(link["TxnId"])
            for link in (previous or {}).get("LinkedTxn") or []
            if link.get("TxnType") == "Estimate"
        }
        kept: list[Entity] = []
        for link in wanted:
            estimate = self.store.get("Estimate", str(link.get("TxnId")))
            if estimate is None:
                raise faults.invalid_reference("LinkedTxn.TxnId")
            if str(estimate["Id"]) in before or estimate.get("TxnStatus") in _LINKABLE_ESTIMATE:
                kept.append({"TxnId": estimate["Id"], "TxnType": "Estimate"})
            # Closed and Rejected estimates are ignored, as the schema documents.
        return kept

    def sync_estimate_link(self, invoice_id: str, previous: Entity | None, invoice: Entity | None) -> None:
        def linked(obj: Entity | None) -> set[str]:
            return {
                str(x["TxnId"]) for x in (obj or {}).get("LinkedTxn") or [] if x.get("TxnType") == "Estimate"
            }

        before, after = linked(previous), linked(invoice)
        for estimate_id in sorted(before ^ after):
            estimate = self.store.get("Estimate", estimate_id)
            if estimate is None:
                continue
            updated = copy.deepcopy(estimate)
            links = [x for x in updated.get("LinkedTxn") or [] if str(x.get("TxnId")) != invoice_id]
            if estimate_id in after:
                links.append({"TxnId": invoice_id, "TxnType": "Invoice"})
                # What the QBO UI does when an estimate is invoiced in full.
                updated["TxnStatus"] = "Closed"
            updated["LinkedTxn"] = links
            self.bump(updated, estimate)
            self.store.put("Estimate", updated)
            self.record("Estimate", updated, "Update")

    # ---- payments and bills ------------------------------------------------------------------------------
    def _prepare_payment(self, obj: Entity, previous: Entity | None) -> None:
        customer = self._ref(obj, "CustomerRef", "Customer", required=True)
        assert customer is not None
        if obj.get("TotalAmt") is None:
            raise faults.required_param("TotalAmt")
        settlement.apply_payment_lines(self.store, obj, customer)
        self._txn_dates(obj)
        obj.setdefault("ProcessPayment", False)
        obj.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        if obj.get("DepositToAccountRef") is None:
            undeposited = next(
                (a for a in self.store.all("Account") if a.get("Name") == "Undeposited Funds"), None
            )
            if undeposited is not None:
                obj["DepositToAccountRef"] = {"value": undeposited["Id"]}
        self._ref(obj, "PaymentMethodRef", "PaymentMethod", required=False)

    def _prepare_bill(self, obj: Entity, previous: Entity | None) -> None:
        vendor = self._ref(obj, "VendorRef", "Vendor", required=True)
        assert vendor is not None
        price_bill(self.store, obj, previous)
        self._txn_dates(obj)
        if obj.get("SalesTermRef") is None and vendor.get("TermRef"):
            obj["SalesTermRef"] = copy.deepcopy(vendor["TermRef"])
        term = self._ref(obj, "SalesTermRef", "Term", required=False)
        if not obj.get("DueDate"):
            days = int(term.get("DueDays", 0)) if term else 0
            obj["DueDate"] = (date.fromisoformat(obj["TxnDate"]) + timedelta(days=days)).isoformat()
        if obj.get("APAccountRef") is None:
            payable = next(
                (a for a in self.store.all("Account") if a.get("AccountType") == "Accounts Payable"), None
            )
            if payable is not None:
                obj["APAccountRef"] = {"value": payable["Id"]}
        paid = ZERO
        if previous is not None:
            paid = number(previous["TotalAmt"], "TotalAmt") - number(previous.get("Balance", 0), "Balance")
        obj["Balance"] = max(obj["TotalAmt"] - paid, ZERO)
        obj.setdefault("CurrencyRef", {"value": "USD"})

    # ---- customers' open balance -------------------------------------------------------------------------
    def mark_customer(self, obj: Entity, previous: Entity | None) -> None:
        for source in (obj, previous):
            ref = (source or {}).get("CustomerRef")
            if isinstance(ref, dict) and ref.get("value"):
                self._dirty_customers.add(str(ref["value"]))

    def mark_customer_id(self, customer_id: str) -> None:
        self._dirty_customers.add(customer_id)

    def finish(self) -> None:
        """Settle derived customer balances once per request.

        Open invoice balances, less payments' unapplied amounts, less credit memos' remaining credit.
        """
        if not self._dirty_customers:
            return
        balances = dict.fromkeys(self._dirty_customers, ZERO)
        for invoice in self.store.all("Invoice"):
            cid = str(invoice["CustomerRef"]["value"])
            if cid in balances:
                balances[cid] += number(invoice.get("Balance", 0), "Balance")
        for payment in self.store.all("Payment"):
            cid = str(payment["CustomerRef"]["value"])
            if cid in balances:
                balances[cid] -= number(payment.get("UnappliedAmt", 0), "UnappliedAmt")
        for memo in self.store.all("CreditMemo"):
            cid = str(memo["CustomerRef"]["value"])
            if cid in balances:
                balances[cid] -= number(memo.get("RemainingCredit", 0), "RemainingCredit")
        for cid, balance in balances.items():
            customer = self.store.get("Customer", cid)
            if customer is not None:
                customer["Balance"] = balance
                customer["BalanceWithJobs"] = balance
        self._dirty_customers.clear()
