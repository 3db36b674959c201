"""First-time import of a QBO company: every list and transaction, paged through the query API with progress,
then upserted through the importer (idempotent, so an interrupted import is simply run again). The importer also
records each record's agreed base (``SyncState``, see ``baselines``), so the first edits on either side after the
import are told apart three ways, and it leaves local changes still waiting for their push alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from domain.models.sync import SyncRun
from domain.services.sync_log import bump_progress, finish_run, start_run
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.entity_specs import IMPORT_ENTITIES, WITH_INACTIVE
from integrations.quickbooks.sync.importer import import_company_snapshot

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
    """Pull ``entities`` page by page (reporting progress), then import them in one transaction."""
    if not 1 <= page_size <= 1000:
        raise ValueError("page_size must be 1..1000")

    def begin(session: Session) -> str:
        run = start_run(session, tenant_id, "import", trigger)
        session.commit()
        return run.id

    run_id = await asyncio.to_thread(_with_session, sessions, begin)
    result = ImportResult(run_id)
    company: dict[str, Any] = {}
    # Pages are fetched concurrently (the client's limiter keeps them within QBO's throttles); an entity's
    # pages land in order of position whatever order they arrive in.
    gate = asyncio.Semaphore(concurrency)

    async def page(select: str, start: int) -> list[dict[str, Any]]:
        async with gate:
            answer = await client.query(f"{select} STARTPOSITION {start} MAXRESULTS {page_size}")
        rows = answer.get(select.split()[3]) or []
        return list(rows)

    async def fetch(entity: str) -> None:
        total = await _count(client, entity)
        if on_progress:
            on_progress(entity, 0, total)
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

    await asyncio.gather(*(fetch(entity) for entity in entities))
    company = {entity: company[entity] for entity in entities}

    def store(session: Session) -> dict[str, int]:
        changed = import_company_snapshot(session, tenant_id, company)
        run = session.get(SyncRun, run_id)
        assert run is not None
        for entity, count in result.fetched.items():
            bump_progress(run, entity, done=count, total=count)
        run.processed = result.total_fetched
        run.succeeded = result.total_fetched
        finish_run(session, run)
        session.commit()
        return changed

    if on_progress:
        on_progress("saving", 0, None)
    result.changed = await asyncio.to_thread(_with_session, sessions, store)
    if on_progress:
        on_progress("saving", result.total_fetched, result.total_fetched)
    return result


def _with_session(sessions: sessionmaker[Session], fn: Callable[[Session], Any]) -> Any:
    with sessions() as session:
        return fn(session)


__all__ = ["ImportResult", "Progress", "initial_import"]
