"""Rows built and inserted in bulk are stored exactly as the session's flush stores the same objects: defaults,
validators, enums, decimals, JSON (None as SQL NULL), and children pointed at their parent."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from domain.db import Base, new_id
from domain.models import Customer, Estimate, EstimateLine, Item, ItemType, LineType, SyncState, Tenant
from integrations.quickbooks.sync.bulk_rows import build, insert_rows

_SKIP = {"id", "name", "name_key", "display_name", "doc_number", "estimate_id", "created_at", "updated_at"}


def _columns(row: Base) -> dict[str, Any]:
    return {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs if a.key not in _SKIP}


def _tenant(session: Session) -> str:
    tenant = Tenant(name="Bulk Plumbing")
    session.add(tenant)
    session.flush()
    return tenant.id


def test_a_bulk_row_reads_back_as_the_flushed_one(session: Session) -> None:
    tenant_id = _tenant(session)
    customer = Customer(tenant_id=tenant_id, display_name="Ada Builders")
    session.add(customer)
    session.flush()
    item = {"type": ItemType.MATERIAL, "rate": Decimal("12.5"), "cost_code": "NW-1", "qbo_id": "7"}
    line = {
        "type": LineType.MATERIAL,
        "quantity": Decimal("4"),
        "unit_price": Decimal("12.50"),
        "line_subtotal": Decimal("50.00"),
    }
    doc = {"customer_id": customer.id, "txn_date": date(2026, 3, 2), "total": Decimal("50.00"), "qbo_id": "9"}

    flushed_item = Item(tenant_id=tenant_id, name="PEX Elbow", **item)
    flushed = Estimate(tenant_id=tenant_id, doc_number="E-1", **doc)
    flushed.lines.append(EstimateLine(tenant_id=tenant_id, name="PEX Elbow", **line))
    session.add_all([flushed_item, flushed])
    session.flush()
    bulk_item = build(Item, {"tenant_id": tenant_id, "name": "ＰＥＸ  Tee", **item})
    bulk = build(
        Estimate,
        {"tenant_id": tenant_id, "doc_number": "E-2", **doc},
        lines=[build(EstimateLine, {"tenant_id": tenant_id, "name": "PEX Elbow", **line})],
    )
    insert_rows(session, [bulk_item, bulk], {Estimate: "lines"})
    session.expire_all()

    got_item = session.get(Item, bulk_item.id)
    got = session.get(Estimate, bulk.id)
    assert got_item is not None and got is not None
    assert got_item.name_key == "pex tee"  # the model's validator ran
    assert _columns(got_item) == _columns(session.get(Item, flushed_item.id))  # type: ignore[arg-type]
    assert _columns(got) == _columns(session.get(Estimate, flushed.id))  # type: ignore[arg-type]
    assert [_columns(x) for x in got.lines] == [_columns(x) for x in session.get(Estimate, flushed.id).lines]  # type: ignore[union-attr]
    assert got.lines[0].estimate_id == got.id


def test_none_is_sql_null_for_json_too(session: Session) -> None:
    tenant_id = _tenant(session)
    state = {"tenant_id": tenant_id, "entity": "bill"}
    rows = [
        build(SyncState, {**state, "entity_id": "b1"}),
        build(SyncState, {**state, "entity_id": "b2", "base_values": {"total": "1.00"}}),
    ]
    insert_rows(session, list(rows), {})
    nulls = session.scalars(select(SyncState.entity_id).where(SyncState.base_values.is_(None))).all()
    assert list(nulls) == ["b1"]
    stored = session.scalars(select(SyncState).where(SyncState.entity_id == "b2")).one()
    assert stored.base_values == {"total": "1.00"} and stored.synced_at is not None  # defaults applied


def test_row_ids_are_random_uuid4s() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)
