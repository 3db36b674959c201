"""The local executor: DESIGN §3.1 semantics over the domain tables, on SQLite and PostgreSQL.

Rows are created directly through the models. The last test loads the demo company into the store and checks
that, for a spread of intents, the local answer equals what the QBO compiler gets from the sandbox's query
engine over the same company — the two sources must agree.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from domain.errors import AmbiguousName, UnknownName
from domain.intent import QboIntent
from domain.models import (
    Bill,
    Customer,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
    Item,
    ItemType,
    Payment,
    Tenant,
    Vendor,
)
from domain.queries import run_intent_locally

TODAY = date(2026, 3, 18)
FIXTURE = (
    Path(__file__).resolve().parents[2] / "integrations/quickbooks/sandbox/fixtures/qbo_demo_company.json"
)


def _intent(
    operation: str, aggregate: str | None = None, page: int = 1, size: int = 100, **filters: Any
) -> QboIntent:
    return QboIntent.model_validate(
        {
            "operation": operation,
            "filters": filters,
            "aggregate": aggregate,
            "pagination": {"page": page, "pageSize": size},
        }
    )


def _tenant(session: Session, name: str = "Northwind") -> Tenant:
    tenant = Tenant(name=name)
    session.add(tenant)
    session.flush()
    return tenant


def _customer(
    session: Session, tenant: Tenant, name: str, *, active: bool = True, qbo_id: str | None = None
) -> Customer:
    row = Customer(tenant_id=tenant.id, display_name=name, active=active, qbo_id=qbo_id)
    session.add(row)
    session.flush()
    return row


def _invoice(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    number: str,
    *,
    issued: date,
    total: str,
    balance: str,
    due: date | None = None,
    status: InvoiceStatus | None = None,
) -> Invoice:
    if status is None:
        status = InvoiceStatus.PAID if Decimal(balance) == 0 else InvoiceStatus.OPEN
    row = Invoice(
        tenant_id=tenant.id,
        customer_id=customer.id,
        doc_number=number,
        issue_date=issued,
        due_date=due,
        total=Decimal(total),
        balance_due=Decimal(balance),
        status=status,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture()
def books(session: Session) -> dict[str, Any]:
    tenant = _tenant(session)
    acme = _customer(session, tenant, "ACME Corp", qbo_id="1")
    obrien = _customer(session, tenant, "O'Brien Construction")
    _customer(session, tenant, "Westgate Mall", active=False)
    _invoice(
        session,
        tenant,
        acme,
        "1001",
        issued=date(2026, 2, 3),
        total="1500.00",
        balance="1500.00",
        due=date(2026, 3, 5),
    )  # overdue
    _invoice(
        session,
        tenant,
        acme,
        "1002",
        issued=date(2026, 2, 28),
        total="800.00",
        balance="300.00",
        due=date(2026, 3, 30),
    )  # partial, not yet due
    _invoice(
        session,
        tenant,
        obrien,
        "1003",
        issued=date(2026, 3, 10),
        total="2500.50",
        balance="0.00",
        due=date(2026, 4, 9),
    )  # paid
    _invoice(
        session,
        tenant,
        obrien,
        "1004",
        issued=date(2026, 1, 31),
        total="400.00",
        balance="400.00",
        due=date(2026, 2, 28),
    )  # overdue, small
    _invoice(
        session,
        tenant,
        acme,
        "1005",
        issued=date(2026, 3, 1),
        total="999.00",
        balance="999.00",
        status=InvoiceStatus.DRAFT,
    )  # not in the books
    _invoice(
        session,
        tenant,
        acme,
        "1006",
        issued=date(2026, 3, 2),
        total="50.00",
        balance="0.00",
        status=InvoiceStatus.VOID,
    )  # not in the books
    session.add_all(
        [
            Estimate(
                tenant_id=tenant.id,
                customer_id=acme.id,
                doc_number="5001",
                txn_date=date(2026, 3, 1),
                status=EstimateStatus.SENT,
                total=Decimal("3000.00"),
            ),
            Estimate(
                tenant_id=tenant.id,
                customer_id=acme.id,
                doc_number="5002",
                txn_date=date(2026, 2, 1),
                status=EstimateStatus.APPROVED,
                total=Decimal("1200.00"),
            ),
            Estimate(
                tenant_id=tenant.id,
                customer_id=obrien.id,
                doc_number="5003",
                txn_date=date(2025, 12, 1),
                status=EstimateStatus.REJECTED,
                total=Decimal("700.00"),
            ),
            Estimate(
                tenant_id=tenant.id,
                customer_id=obrien.id,
                doc_number="5004",
                txn_date=date(2026, 1, 5),
                status=EstimateStatus.CONVERTED,
                total=Decimal("2500.50"),
            ),
            Payment(
                tenant_id=tenant.id,
                customer_id=acme.id,
                amount=Decimal("500.00"),
                payment_date=date(2026, 3, 3),
            ),
            Payment(
                tenant_id=tenant.id,
                customer_id=obrien.id,
                amount=Decimal("2500.50"),
                payment_date=date(2026, 3, 12),
            ),
            Payment(
                tenant_id=tenant.id,
                customer_id=acme.id,
                amount=Decimal("75.00"),
                payment_date=date(2026, 3, 4),
                voided=True,
            ),
            Item(tenant_id=tenant.id, name="Service Call", type=ItemType.FEE, rate=Decimal("89")),
            Item(tenant_id=tenant.id, name="Labor - Standard", type=ItemType.LABOR, rate=Decimal("110")),
            Item(
                tenant_id=tenant.id, name="Old Part", type=ItemType.MATERIAL, rate=Decimal("5"), active=False
            ),
        ]
    )
    ferguson = Vendor(tenant_id=tenant.id, display_name="Ferguson Supply")
    johnstone = Vendor(tenant_id=tenant.id, display_name="Johnstone Supply")
    session.add_all([ferguson, johnstone])
    session.flush()
    session.add_all(
        [
            Bill(
                tenant_id=tenant.id,
                vendor_id=ferguson.id,
                doc_number="V1",
                txn_date=date(2026, 2, 10),
                due_date=date(2026, 3, 12),
                total=Decimal("2000.00"),
                balance=Decimal("2000.00"),
            ),
            Bill(
                tenant_id=tenant.id,
                vendor_id=johnstone.id,
                doc_number="V2",
                txn_date=date(2026, 3, 1),
                due_date=date(2026, 3, 31),
                total=Decimal("640.25"),
                balance=Decimal("0.00"),
            ),
        ]
    )
    # Another tenant's rows must never show up.
    other = _tenant(session, "Other Co")
    stranger = _customer(session, other, "ACME Corp")
    _invoice(session, other, stranger, "1001", issued=date(2026, 2, 3), total="9999.00", balance="9999.00")
    session.flush()
    return {"tenant": tenant, "acme": acme}


def _run(session: Session, books: dict[str, Any], intent: QboIntent):
    return run_intent_locally(session, books["tenant"].id, intent, today=TODAY)


def _docs(result) -> list[str]:
    return [row["DocNumber"] for row in result.rows]


def test_invoice_statuses_come_from_balances(session: Session, books: dict[str, Any]) -> None:
    assert _docs(_run(session, books, _intent("LIST_INVOICES", status="open"))) == ["1002", "1001", "1004"]
    assert _docs(_run(session, books, _intent("LIST_INVOICES", status="overdue"))) == ["1001", "1004"]
    assert _docs(_run(session, books, _intent("LIST_INVOICES", status="partial"))) == ["1002"]
    assert _docs(_run(session, books, _intent("LIST_INVOICES", status="paid"))) == ["1003"]
    # Drafts and voided invoices are not in the books.
    assert _docs(_run(session, books, _intent("LIST_INVOICES"))) == ["1003", "1002", "1001", "1004"]


def test_dates_are_inclusive_on_the_transaction_date(session: Session, books: dict[str, Any]) -> None:
    feb = _intent("LIST_INVOICES", dateFrom="2026-02-03", dateTo="2026-02-28")
    assert _docs(_run(session, books, feb)) == ["1002", "1001"]
    assert _docs(_run(session, books, _intent("LIST_INVOICES", dateTo="2026-01-31"))) == ["1004"]


def test_amount_bounds_use_balance_when_asking_what_is_owed(session: Session, books: dict[str, Any]) -> None:
    # 1002 totals 800 but only 300 is still owed: an "open over 500" question must not include it.
    open_big = _run(session, books, _intent("LIST_INVOICES", status="open", minAmount=500))
    assert _docs(open_big) == ["1001"]
    any_big = _run(session, books, _intent("LIST_INVOICES", minAmount=800, maxAmount=1500))
    assert _docs(any_big) == ["1002", "1001"]


def test_sum_and_count_cover_every_match_not_just_the_page(session: Session, books: dict[str, Any]) -> None:
    owed = _run(session, books, _intent("LIST_INVOICES", aggregate="sum", status="open", size=1))
    assert owed.aggregate is not None and owed.aggregate.value == Decimal("2200.00")
    assert len(owed.rows) == 1 and owed.total_matches == 3
    billed = _run(session, books, _intent("LIST_INVOICES", aggregate="sum"))
    assert billed.aggregate is not None and billed.aggregate.value == Decimal("5200.50")
    count = _run(session, books, _intent("LIST_INVOICES", aggregate="count", status="overdue"))
    assert count.aggregate is not None and (count.aggregate.kind, count.aggregate.value) == ("count", 2)


def test_paging_is_stable_and_newest_first(session: Session, books: dict[str, Any]) -> None:
    pages = [_docs(_run(session, books, _intent("LIST_INVOICES", page=p, size=3))) for p in (1, 2, 3)]
    assert pages == [["1003", "1002", "1001"], ["1004"], []]


def test_names_resolve_fuzzily_and_unknown_or_ambiguous_names_raise(
    session: Session, books: dict[str, Any]
) -> None:
    rows = _run(session, books, _intent("LIST_INVOICES", customerName="obrien construction")).rows
    assert {r["DocNumber"] for r in rows} == {"1003", "1004"}
    assert rows[0]["CustomerRef"]["name"] == "O'Brien Construction"
    acme_rows = _run(session, books, _intent("LIST_INVOICES", customerName="acme")).rows
    assert acme_rows[0]["CustomerRef"] == {"value": "1", "name": "ACME Corp"}  # QBO id when synced
    with pytest.raises(UnknownName):
        _run(session, books, _intent("LIST_INVOICES", customerName="Zebra Roofing"))
    with pytest.raises(UnknownName):
        _run(session, books, _intent("LIST_INVOICES", customerName="Westgate Mall"))  # inactive
    with pytest.raises(AmbiguousName):
        _run(session, books, _intent("LIST_BILLS", vendorName="Supply"))


def test_estimates_map_the_lifecycle_onto_txn_status(session: Session, books: dict[str, Any]) -> None:
    pending = _run(session, books, _intent("LIST_ESTIMATES", status="pending"))
    assert _docs(pending) == ["5001"] and pending.rows[0]["TxnStatus"] == "Pending"
    assert _docs(_run(session, books, _intent("LIST_ESTIMATES", status="accepted"))) == ["5002"]
    assert _docs(_run(session, books, _intent("LIST_ESTIMATES", status="closed"))) == ["5004"]
    assert _docs(_run(session, books, _intent("LIST_ESTIMATES", status="rejected"))) == ["5003"]
    got = _run(session, books, _intent("GET_ESTIMATE", docNumber="5002"))
    assert got.rows[0]["TotalAmt"] == Decimal("1200.00") and got.rows[0]["TxnDate"] == "2026-02-01"


def test_payments_bills_customers_and_items(session: Session, books: dict[str, Any]) -> None:
    paid = _run(session, books, _intent("LIST_PAYMENTS", aggregate="sum", dateFrom="2026-03-01"))
    assert paid.aggregate is not None and paid.aggregate.value == Decimal("3000.50")  # the voided one is out
    assert [r["TotalAmt"] for r in paid.rows] == [Decimal("2500.50"), Decimal("500.00")]
    bills = _run(session, books, _intent("LIST_BILLS", vendorName="ferguson", status="overdue"))
    assert _docs(bills) == ["V1"] and bills.rows[0]["VendorRef"]["name"] == "Ferguson Supply"
    customers = _run(session, books, _intent("LIST_CUSTOMERS", aggregate="count"))
    assert [r["DisplayName"] for r in customers.rows] == ["ACME Corp", "O'Brien Construction"]
    one = _run(session, books, _intent("GET_CUSTOMER", customerName="O'Brien"))
    assert [r["DisplayName"] for r in one.rows] == ["O'Brien Construction"]
    items = _run(session, books, _intent("LIST_ITEMS"))
    assert [(r["Name"], r["UnitPrice"]) for r in items.rows] == [
        ("Labor - Standard", Decimal("110")),
        ("Service Call", Decimal("89")),
    ]
    invoice = _run(session, books, _intent("GET_INVOICE", docNumber="1002")).rows
    assert invoice == [
        {
            "Id": invoice[0]["Id"],
            "DocNumber": "1002",
            "TxnDate": "2026-02-28",
            "DueDate": "2026-03-30",
            "TotalAmt": Decimal("800.00"),
            "Balance": Decimal("300.00"),
            "CustomerRef": {"value": "1", "name": "ACME Corp"},
        }
    ]


# ------------------------------------------------------------------ parity with the QBO path


def _load_demo(session: Session) -> Tenant:
    """The demo company as local rows (qbo ids kept), the way a sync would mirror it."""
    data = json.loads(FIXTURE.read_text())
    tenant = _tenant(session, "Demo")
    customers = {}
    for c in data["Customer"]:
        row = Customer(
            tenant_id=tenant.id,
            display_name=c["DisplayName"],
            company_name=c.get("CompanyName"),
            active=c.get("Active", True),
            qbo_id=c["Id"],
        )
        session.add(row)
        customers[c["Id"]] = row
    vendors = {}
    for v in data["Vendor"]:
        vendors[v["Id"]] = Vendor(tenant_id=tenant.id, display_name=v["DisplayName"], qbo_id=v["Id"])
        session.add(vendors[v["Id"]])
    session.flush()
    status_of = {
        "Pending": EstimateStatus.SENT,
        "Accepted": EstimateStatus.APPROVED,
        "Closed": EstimateStatus.CONVERTED,
        "Rejected": EstimateStatus.REJECTED,
    }
    for inv in data["Invoice"]:
        session.add(
            Invoice(
                tenant_id=tenant.id,
                customer_id=customers[inv["CustomerRef"]["value"]].id,
                doc_number=inv["DocNumber"],
                issue_date=date.fromisoformat(inv["TxnDate"]),
                due_date=date.fromisoformat(inv["DueDate"]),
                total=Decimal(str(inv["TotalAmt"])),
                balance_due=Decimal(str(inv["Balance"])),
                qbo_id=inv["Id"],
                status=InvoiceStatus.PAID if inv["Balance"] == 0 else InvoiceStatus.OPEN,
            )
        )
    for est in data["Estimate"]:
        session.add(
            Estimate(
                tenant_id=tenant.id,
                customer_id=customers[est["CustomerRef"]["value"]].id,
                doc_number=est["DocNumber"],
                txn_date=date.fromisoformat(est["TxnDate"]),
                status=status_of[est["TxnStatus"]],
                total=Decimal(str(est["TotalAmt"])),
                qbo_id=est["Id"],
            )
        )
    for pay in data["Payment"]:
        session.add(
            Payment(
                tenant_id=tenant.id,
                customer_id=customers[pay["CustomerRef"]["value"]].id,
                amount=Decimal(str(pay["TotalAmt"])),
                payment_date=date.fromisoformat(pay["TxnDate"]),
                qbo_id=pay["Id"],
            )
        )
    for bill in data["Bill"]:
        session.add(
            Bill(
                tenant_id=tenant.id,
                vendor_id=vendors[bill["VendorRef"]["value"]].id,
                doc_number=bill["DocNumber"],
                txn_date=date.fromisoformat(bill["TxnDate"]),
                due_date=date.fromisoformat(bill["DueDate"]) if bill.get("DueDate") else None,
                total=Decimal(str(bill["TotalAmt"])),
                balance=Decimal(str(bill["Balance"])),
                qbo_id=bill["Id"],
            )
        )
    for item in data["Item"]:
        session.add(
            Item(
                tenant_id=tenant.id,
                name=item["Name"],
                type=ItemType.OTHER,
                rate=Decimal(str(item.get("UnitPrice", 0))),
                active=item.get("Active", True),
                qbo_id=item["Id"],
            )
        )
    session.flush()
    return tenant


PARITY_INTENTS = [
    _intent("LIST_INVOICES", status="open", minAmount=1000, dateFrom="2026-02-01", dateTo="2026-02-28"),
    _intent("LIST_INVOICES", status="overdue", aggregate="sum"),
    _intent("LIST_INVOICES", status="partial"),
    _intent("LIST_INVOICES", status="paid", dateFrom="2025-10-01", dateTo="2025-12-31", aggregate="count"),
    _intent("LIST_INVOICES", customerName="Greenfield Apartments LLC", status="open", aggregate="sum"),
    _intent("LIST_INVOICES", minAmount=500, maxAmount=2000, dateFrom="2026-02-16", dateTo="2026-03-18"),
    _intent("LIST_INVOICES", size=7, page=3),
    _intent("GET_INVOICE", docNumber="1042"),
    _intent("LIST_ESTIMATES", status="pending"),
    _intent("LIST_ESTIMATES", customerName="Greenfield Apartments LLC", minAmount=500),
    _intent(
        "LIST_PAYMENTS", customerName="ACME Corp", dateFrom="2026-01-01", dateTo="2026-03-31", aggregate="sum"
    ),
    _intent("LIST_BILLS", status="open", aggregate="sum"),
    _intent("LIST_BILLS", vendorName="Ferguson Supply", dateFrom="2025-01-01", dateTo="2025-12-31"),
    _intent("LIST_CUSTOMERS"),
    _intent("GET_CUSTOMER", customerName="O'Brien Construction"),
    _intent("LIST_ITEMS", size=10, page=2),
]


@pytest.mark.parametrize("intent", PARITY_INTENTS, ids=lambda i: f"{i.operation.value}-{i.filters.status}")
def test_local_answers_equal_the_qbo_path_over_the_demo_company(session: Session, intent: QboIntent) -> None:
    from datetime import timezone

    from integrations.quickbooks.api.query import compile_intent, finish_rows
    from integrations.quickbooks.sandbox.qbo_sql import parse_query, run_query

    data = json.loads(FIXTURE.read_text())
    tenant = _load_demo(session)
    local = run_intent_locally(session, tenant.id, intent, today=TODAY)

    def qbo_id(kind: str, name: str | None) -> str | None:
        return next((r["Id"] for r in data[kind] if r["DisplayName"] == name), None)

    compiled = compile_intent(
        intent,
        customer_id=qbo_id("Customer", intent.filters.customer_name),
        vendor_id=qbo_id("Vendor", intent.filters.vendor_name),
        today=TODAY,
    )
    response = run_query(
        parse_query(compiled.text), data[compiled.entity], timezone(timedelta(hours=-8)), lambda row: row
    )
    rows, aggregate = finish_rows(response.get(compiled.entity, []), compiled, intent, TODAY)

    assert [r["Id"] for r in local.rows] == [r["Id"] for r in rows] or (
        # Same records; QBO breaks TxnDate ties by Id, we by DocNumber — compare as sets within equal dates.
        sorted((r.get("TxnDate"), r["Id"]) for r in local.rows)
        == sorted((r.get("TxnDate"), r["Id"]) for r in rows)
    )
    assert len(local.rows) == len(rows)
    if intent.aggregate:
        assert aggregate is not None and local.aggregate is not None
        assert local.aggregate.value == aggregate.value
    if rows and "TotalAmt" in rows[0]:
        assert [Decimal(str(r["TotalAmt"])) for r in rows] == [r["TotalAmt"] for r in local.rows] or sorted(
            Decimal(str(r["TotalAmt"])) for r in rows
        ) == sorted(r["TotalAmt"] for r in local.rows)
