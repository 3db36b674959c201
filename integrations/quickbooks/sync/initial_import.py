"""First-time import of a QBO company: every list and transaction, paged through the query API with progress,
and upserted through the importer entity by entity while the later entities are still being fetched (idempotent,
so an interrupted import is simply run again). The importer also records each record's agreed base
(``SyncState``, see ``baselines``), so the first edits on either side after the import are told apart three ways,
and it leaves local changes still waiting for their push alone.

Fetching and saving overlap: the pages come in on the event loop while a worker thread saves each entity as soon
as it and everything it refers to have arrived, in the importer's dependency order. Each entity is saved in a
transaction of its own, opened and committed inside that thread, so no transaction is held across an await.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from domain.models.sync import SyncRun
from domain.services.sync_log import bump_progress, finish_run, start_run
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.entity_specs import IMPORT_ENTITIES, IMPORT_ORDER, WITH_INACTIVE
from integrations.quickbooks.sync.importer import finish_import, import_entity

Progress = Callable[[str, int, int | None], None]  # entity, rows fetched so far, total (None: unknown)


@dataclass
class ImportResult:
    run_id: str
    fetched: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    @property
    def total_fetched(self) -> int:
        return sum(self.fetched.values())


def _select(entity: str) -> str:
    where = " WHERE Active IN (true, false)" if entity in WITH_INACTIVE else ""
    return f"SELECT * FROM {entity}{where}"


async def _count(client: QboClient, entity: str) -> int | None:
    where = "Active IN (true, false)" if entity in WITH_INACTIVE else None
    return await client.count(entity, where)


async def initial_import(
    client: QboClient,
    sessions: sessionmaker[Session],
    tenant_id: str,
    *,
    entities: tuple[str, ...] = IMPORT_ENTITIES,
    on_progress: Progress | None = None,
    page_size: int = 1000,
    concurrency: int = 10,
    trigger: str = "manual",
) -> ImportResult:
    """Pull ``entities`` page by page (reporting progress), saving each entity as soon as it can be saved."""
    if not 1 <= page_size <= 1000:
        raise ValueError("page_size must be 1..1000")

    def begin(session: Session) -> str:
        run = start_run(session, tenant_id, "import", trigger)
        session.commit()
        return run.id

    run_id = await asyncio.to_thread(_with_session, sessions, begin)
    result = ImportResult(run_id)
    company: dict[str, Any] = {}
    arrived = {entity: asyncio.Event() for entity in entities}
    totals: dict[str, int | None] = {}
    # Pages are fetched concurrently (the client's limiter keeps them within QBO's throttles), entities in
    # dependency order; an entity's pages land in order of position whatever order they arrive in.
    gate = asyncio.Semaphore(concurrency)

    async def page(select: str, start: int) -> list[dict[str, Any]]:
        async with gate:
            answer = await client.query(f"{select} STARTPOSITION {start} MAXRESULTS {page_size}")
        rows = answer.get(select.split()[3]) or []
        return list(rows)

    async def fetch(entity: str) -> None:
        total = totals[entity]
        select = _select(entity)
        starts = list(range(1, (total or 0) + 1, page_size)) or [1]
        done = 0
        pages: dict[int, list[dict[str, Any]]] = {}

        async def one(start: int) -> None:
            nonlocal done
            pages[start] = await page(select, start)
            done += len(pages[start])
            if on_progress:
                on_progress(entity, done, total)

        await asyncio.gather(*(one(start) for start in starts))
        # Rows added while we paged (past the counted total) are picked up by the next CDC poll.
        company[entity] = [row for start in sorted(pages) for row in pages[start]]
        result.fetched[entity] = len(company[entity])
        arrived[entity].set()

    def store(session: Session, entity: str) -> int:
        changed = import_entity(session, tenant_id, company, entity)
        session.commit()
        return changed

    def close(session: Session) -> None:
        finish_import(session, tenant_id)
        run = session.get(SyncRun, run_id)
        assert run is not None
        for entity, count in result.fetched.items():
            bump_progress(run, entity, done=count, total=count)
        run.processed = result.total_fetched
        run.succeeded = result.total_fetched
        finish_run(session, run)
        session.commit()

    async def save() -> None:
        if on_progress:
            on_progress("saving", 0, None)
        for entity in IMPORT_ORDER:
            # An entity waits for every entity fetched before it: what it reads and what it refers to.
            needed = entities[: _position(entities, entity) + 1]
            for name in needed:
                await arrived[name].wait()
            result.changed[entity] = await asyncio.to_thread(_with_session, sessions, store, entity)
            if on_progress:
                saved = sum(result.fetched[name] for name in needed)
                on_progress("saving", saved, _expected(totals, entities))
        await asyncio.to_thread(_with_session, sessions, close)
        if on_progress:
            on_progress("saving", result.total_fetched, result.total_fetched)

    # A failed fetch cancels the saving (and a failed save the fetching); what was saved stays, and the next
    # run takes it up again.
    # Every count first, so the pages queue at the gate in dependency order rather than in whichever order the
    # counts came back: the first entities to save are the first to arrive.
    for entity, total in zip(
        entities, await asyncio.gather(*(_count(client, e) for e in entities)), strict=True
    ):
        totals[entity] = total
        if on_progress:
            on_progress(entity, 0, total)
    async with asyncio.TaskGroup() as group:
        for entity in entities:
            group.create_task(fetch(entity))
        group.create_task(save())
    result.fetched = {entity: result.fetched[entity] for entity in entities}
    return result


def _position(entities: tuple[str, ...], entity: str) -> int:
    """Where ``entity`` is fetched; one not fetched at all waits for every fetched entity before it in order."""
    if entity in entities:
        return entities.index(entity)
    before = IMPORT_ORDER[: IMPORT_ORDER.index(entity)]
    return max((i for i, name in enumerate(entities) if name in before), default=-1)


def _expected(totals: dict[str, int | None], entities: tuple[str, ...]) -> int | None:
    """Rows the import will save in all, once every entity has been counted."""
    counted = [totals.get(entity) for entity in entities]
    return None if None in counted else sum(n for n in counted if n is not None)


def _with_session(sessions: sessionmaker[Session], fn: Callable[..., Any], *args: Any) -> Any:
    with sessions() as session:
        return fn(session, *args)


__all__ = ["ImportResult", "Progress", "initial_import"]
