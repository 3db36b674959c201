"""``qbo-agent sync pull|push|status`` and ``qbo-agent worker``: the sync from a terminal, with progress bars."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

import domain.models  # noqa: F401 - registers every table
from api.qbo_wiring import QboServices
from api.settings import Settings
from api.state import AppState, build_state
from domain.context import Actor
from domain.db import make_engine
from domain.models import ConnectionStatus, QboConnection, SyncJob, SyncJobStatus
from domain.services.sync_admin import sync_health
from integrations.quickbooks.entity_specs import IMPORT_ENTITIES
from integrations.quickbooks.sync.initial_import import initial_import
from integrations.quickbooks.sync.sync_context import REALM_LEASE, SyncContext
from integrations.quickbooks.sync.worker import SyncWorker

console = Console()
TenantOption = typer.Option(None, "--tenant", help="Tenant id (default: the only connected one).")


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[tuple[AppState, QboServices]]:
    engine = make_engine(settings.database_url)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as http:
        state = build_state(settings, engine, http)
        try:
            yield state, state.qbo
        finally:
            engine.dispose()


def _tenant(state: AppState, tenant: str | None) -> str:
    if tenant:
        return tenant
    with state.sessionmaker() as s:
        ids = list(
            s.scalars(
                select(QboConnection.tenant_id).where(QboConnection.status == ConnectionStatus.CONNECTED)
            )
        )
    if len(ids) != 1:
        raise typer.BadParameter(f"{len(ids)} connected companies; name one with --tenant")
    return ids[0]


def _pending(state: AppState, tenant_id: str) -> int:
    with state.sessionmaker() as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    SyncJob.tenant_id == tenant_id,
                    SyncJob.status.in_((SyncJobStatus.PENDING, SyncJobStatus.RUNNING)),
                )
            )
            or 0
        )


def _run(coro_factory: Callable[[], Any]) -> Any:
    return asyncio.run(coro_factory())


def register(app: typer.Typer) -> None:
    sync = typer.Typer(help="Two-way sync with QuickBooks Online.", no_args_is_help=True)
    app.add_typer(sync, name="sync")

    @sync.command("pull")
    def pull(
        tenant: str | None = TenantOption,
        entity: list[str] = typer.Option(list(IMPORT_ENTITIES), help="QBO entities to import."),
    ) -> None:
        """Import the connected company (lists, documents, payments, bills), with a bar per entity."""

        async def go() -> None:
            async with _services(Settings()) as (state, qbo):
                tenant_id = _tenant(state, tenant)
                client = await qbo.client_for(tenant_id)
                with Progress(
                    TextColumn("{task.description:<14}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as bars:
                    tasks: dict[str, TaskID] = {}

                    def progress(name: str, done: int, total: int | None) -> None:
                        if name not in tasks:
                            tasks[name] = bars.add_task(name, total=total)
                        bars.update(tasks[name], completed=done, total=total)

                    result = await initial_import(
                        client, state.sessionmaker, tenant_id, entities=tuple(entity), on_progress=progress
                    )
                console.print(f"imported {result.total_fetched} records; changed: {result.changed}")

        _run(go)

    @sync.command("push")
    def push(tenant: str | None = TenantOption) -> None:
        """Push every waiting change now and stop when the queue is empty."""

        async def go() -> None:
            async with _services(Settings()) as (state, qbo):
                tenant_id = _tenant(state, tenant)
                worker = SyncWorker(
                    SyncContext(
                        state.sessionmaker,
                        qbo.client_for,
                        cdc_interval=None,
                        tenant_ids=frozenset({tenant_id}),
                        realm_lease=REALM_LEASE,
                    )
                )
                start = _pending(state, tenant_id)
                with Progress(
                    TextColumn("pushing"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as bars:
                    task = bars.add_task("push", total=start)
                    while await worker.run_once():
                        left = _pending(state, tenant_id)
                        bars.update(task, total=max(start, left), completed=max(start, left) - left)
                console.print(f"done: {worker.stats.done}, failed (see 'sync status'): {worker.stats.failed}")

        _run(go)

    @sync.command("status")
    def status(tenant: str | None = TenantOption) -> None:
        """Health, last sync, queue and days until QuickBooks needs a new consent."""

        async def go() -> None:
            async with _services(Settings()) as (state, _qbo):
                tenant_id = _tenant(state, tenant)
                with state.sessionmaker() as s:
                    health = sync_health(s, Actor.system(tenant_id)).as_dict()
                table = Table(title="QuickBooks sync", show_header=False)
                for key, value in health.items():
                    table.add_row(
                        key.replace("_", " "), "; ".join(value) if isinstance(value, list) else str(value)
                    )
                console.print(table)

        _run(go)

    @app.command("worker")
    def worker(
        poll: float = typer.Option(1.0, help="Seconds between queue polls when idle."),
        cdc_minutes: float = typer.Option(5.0, help="Minutes between CDC safety-net polls (0: off)."),
        tenants: list[str] = typer.Option(
            [], "--tenant", help="Serve only this tenant (repeatable); every tenant by default."
        ),
    ) -> None:
        """Run a sync worker until interrupted; several may run at once (no job is taken twice)."""

        async def go() -> None:
            async with _services(Settings()) as (state, qbo):
                ctx = SyncContext(
                    state.sessionmaker,
                    qbo.client_for,
                    cdc_interval=timedelta(minutes=cdc_minutes) if cdc_minutes > 0 else None,
                    tenant_ids=frozenset(tenants) if tenants else None,
                    realm_lease=REALM_LEASE,
                )
                console.print(f"sync worker {ctx.worker_id} running; Ctrl-C to stop")
                await SyncWorker(ctx, poll_interval=poll).run()

        try:
            _run(go)
        except KeyboardInterrupt:
            console.print("stopped")
