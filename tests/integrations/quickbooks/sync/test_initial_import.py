"""The initial import saves each entity as soon as it and what it refers to have arrived, each in a transaction of
its own: a fetch that fails part way leaves what was saved, the run stays unfinished, and the next run completes
the company without duplicating anything."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.models import Bill, Customer, Invoice, InvoiceLine, Payment, SyncRun, SyncState
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.entity_specs import IMPORT_ENTITIES
from integrations.quickbooks.sync.initial_import import initial_import
from tests.integrations.quickbooks.sync.conftest import Env

COMPANY = {"Customer": 5, "Item": 3, "Vendor": 2, "Estimate": 3, "Invoice": 6, "Payment": 3, "Bill": 4}


class BillsFailAfterPayments:
    """The real client, except that the Bill pages wait until the payments are saved, then fail."""

    def __init__(self, client: QboClient, payments_saved: asyncio.Event) -> None:
        self.client = client
        self.payments_saved = payments_saved

    async def count(self, entity: str, where: str | None = None) -> int | None:
        return await self.client.count(entity, where)

    async def query(self, text: str) -> dict[str, Any]:
        if "FROM Bill" in text:
            await self.payments_saved.wait()
            raise ConnectionError("the connection dropped while the bills were paged")
        return await self.client.query(text)


def _count(env: Env, model: Any) -> int:
    with env.sessions() as s:
        return int(
            s.scalar(select(func.count()).select_from(model).where(model.tenant_id == env.tenant_id)) or 0
        )


async def test_a_failed_fetch_keeps_what_was_saved_and_the_next_run_completes(env: Env) -> None:
    for seed, (entity, n) in enumerate(COMPANY.items()):
        env.qbo.sandbox.generate(env.realm, entity, n, seed=seed)
    client = await env.client(env.tenant_id)
    payments_saved = asyncio.Event()
    totals: dict[str, int] = {}
    saved = [0]

    def progress(entity: str, done: int, total: int | None) -> None:
        # Bills are fetched and saved last: saving has reached them once all the rest is saved.
        if entity == "saving":
            saved[0] = done
        else:
            totals[entity] = total or 0
        if len(totals) == len(IMPORT_ENTITIES) and saved[0] >= sum(totals.values()) - totals["Bill"]:
            payments_saved.set()

    failing: Any = BillsFailAfterPayments(client, payments_saved)
    with pytest.raises(ExceptionGroup) as raised:
        await initial_import(failing, env.sessions, env.tenant_id, page_size=2, on_progress=progress)
    assert raised.group_contains(ConnectionError)
    # Everything before the bills was saved and stays; the bills never arrived; the run is not finished.
    assert _count(env, Customer) == COMPANY["Customer"]
    assert _count(env, Invoice) == COMPANY["Invoice"]
    assert _count(env, Payment) == COMPANY["Payment"]
    assert _count(env, Bill) == 0
    with env.sessions() as s:
        runs = list(s.scalars(select(SyncRun).where(SyncRun.tenant_id == env.tenant_id)))
    assert [r.status for r in runs] == ["started"]
    lines, states = _count(env, InvoiceLine), _count(env, SyncState)

    result = await initial_import(client, env.sessions, env.tenant_id, page_size=2)

    assert _count(env, Bill) == COMPANY["Bill"]
    assert _count(env, Customer) == COMPANY["Customer"]
    assert _count(env, Invoice) == COMPANY["Invoice"]
    assert _count(env, InvoiceLine) == lines  # the saved invoices were not imported twice
    assert result.changed["Invoice"] == 0 and result.changed["Bill"] == COMPANY["Bill"]
    assert _count(env, SyncState) == states + COMPANY["Bill"]
    with env.sessions() as s:
        finished = s.scalars(select(SyncRun).where(SyncRun.id == result.run_id)).one()
    assert finished.status == "completed" and finished.processed == result.total_fetched
