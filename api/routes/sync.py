"""The sync API (seed 003): sync now, status and health, the log, errors (retry, retry all, dismiss),
conflicts side by side, account mappings with suggestions, and the console page that shows them.

Reading needs READ_BOOKS; anything that changes the sync needs MANAGE_INTEGRATION.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import IntegrationDep, ReaderDep, SessionDep
from api.templating import get_templates
from domain.services import catalog
from domain.services import sync_admin as admin
from domain.services import sync_mappings as mappings
from domain.services.sync_log import record_history
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.sync.cdc import enqueue_poll
from integrations.quickbooks.sync.suggest import suggest

# Which postings a mapping is for; bad_debt is where write-offs book in QBO.
Profile = Literal["revenue", "expense", "asset", "liability", "bad_debt"]

router = APIRouter(prefix="/api/integrations", tags=["sync"])
page_router = APIRouter(include_in_schema=False)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SyncNowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    direction: Literal["push", "pull", "both"] = "both"
    entities: list[str] | None = Field(default=None, max_length=20)


class SyncNowOut(BaseModel):
    pushes_queued: int
    poll_queued: bool


class JobOut(_Out):
    id: str
    entity: str
    entity_id: str
    operation: str
    direction: str
    status: str
    attempts: int
    error_kind: str | None
    last_error: str | None
    next_attempt_at: datetime
    updated_at: datetime


class RunOut(_Out):
    id: str
    kind: str
    trigger: str
    status: str
    processed: int
    succeeded: int
    failed: int
    started_at: datetime
    completed_at: datetime | None
    error_summary: str | None
    progress: dict[str, Any]


class RecordOut(_Out):
    id: str
    entity: str
    entity_id: str | None
    qbo_id: str | None
    direction: str
    action: str
    status: str
    message: str | None
    at: datetime


class ConflictOut(_Out):
    id: str
    entity: str
    entity_id: str
    qbo_id: str | None
    strategy: str
    local_values: dict[str, Any]
    remote_values: dict[str, Any]
    base_values: dict[str, Any] | None
    local_checksum: str
    remote_checksum: str
    status: str
    resolution: str | None
    resolved_by: str | None
    created_at: datetime


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    chosen_value: Literal["platform", "qbo"]


class AlertOut(_Out):
    id: str
    kind: str
    message: str
    job_id: str | None
    created_at: datetime


class MappingOut(_Out):
    id: str
    profile: str
    source_kind: str
    source_key: str
    account_qbo_id: str
    account_name: str | None
    version: int
    active: bool
    created_by: str | None
    created_at: datetime


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: Profile
    source_kind: Literal["item", "cost_code", "default"]
    source_key: str = Field(min_length=1, max_length=100)
    account_qbo_id: str = Field(min_length=1, max_length=32)
    account_name: str | None = Field(default=None, max_length=200)


class MappingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mappings: list[MappingIn] = Field(min_length=1, max_length=500)


class ReviewOut(_Out):
    id: str
    entity: str
    entity_id: str
    profile: str
    source_kind: str
    source_key: str
    created_at: datetime


class AccountOut(_Out):
    id: str
    qbo_id: str | None
    name: str
    account_type: str
    account_sub_type: str | None
    active: bool


# ---- sync now, status, log ---------------------------------------------------------------------------------


@router.post("/sync", response_model=SyncNowOut, status_code=202)
def sync_now(data: SyncNowIn, actor: IntegrationDep, session: SessionDep) -> SyncNowOut:
    """Queue the work; the worker does it. Push: waiting jobs go now and never-synced records are queued."""
    entities = [e for e in (data.entities or list(SPECS)) if e in SPECS and SPECS[e].pushable]
    queued = 0
    if data.direction in ("push", "both"):
        queued = admin.push_now(session, actor, {entity: SPECS[entity].model for entity in entities})
    if data.direction in ("pull", "both"):
        enqueue_poll(session, actor.tenant_id, trigger="manual")
    record_history(
        session,
        actor.tenant_id,
        entity="sync",
        entity_id=None,
        direction=data.direction[:8],
        action="sync_now",
        status="skipped",
        message=f"requested by {actor.label}",
    )
    return SyncNowOut(pushes_queued=queued, poll_queued=data.direction in ("pull", "both"))


@router.get("/sync/status")
def sync_status(actor: ReaderDep, session: SessionDep) -> dict[str, Any]:
    health = admin.sync_health(session, actor)
    return {**health.as_dict(), "alerts": len(admin.list_alerts(session, actor))}


@router.get("/sync/log", response_model=list[RunOut])
def sync_log(
    actor: ReaderDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[RunOut]:
    return [RunOut.model_validate(r) for r in admin.list_runs(session, actor, limit=limit, offset=offset)]


@router.get("/sync/history/{entity}/{entity_id}", response_model=list[RecordOut])
def record_history_route(
    entity: str, entity_id: str, actor: ReaderDep, session: SessionDep
) -> list[RecordOut]:
    return [RecordOut.model_validate(r) for r in admin.record_history_of(session, actor, entity, entity_id)]


@router.get("/sync/alerts", response_model=list[AlertOut])
def alerts(actor: ReaderDep, session: SessionDep) -> list[AlertOut]:
    return [AlertOut.model_validate(a) for a in admin.list_alerts(session, actor)]


# ---- errors --------------------------------------------------------------------------------------------------


@router.get("/sync/errors", response_model=list[JobOut])
def sync_errors(
    actor: ReaderDep,
    session: SessionDep,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobOut]:
    return [JobOut.model_validate(j) for j in admin.list_errors(session, actor, limit=limit, entity=entity)]


@router.post("/sync/errors/retry-all")
def retry_all(actor: IntegrationDep, session: SessionDep) -> dict[str, int]:
    return {"retried": admin.retry_all(session, actor)}


@router.post("/sync/errors/{job_id}/retry", response_model=JobOut)
def retry_one(job_id: str, actor: IntegrationDep, session: SessionDep) -> JobOut:
    return JobOut.model_validate(admin.retry_job(session, actor, job_id))


@router.delete("/sync/errors/{job_id}", response_model=JobOut)
def dismiss(job_id: str, actor: IntegrationDep, session: SessionDep) -> JobOut:
    return JobOut.model_validate(admin.dismiss_job(session, actor, job_id))


# ---- conflicts ------------------------------------------------------------------------------------------------


@router.get("/conflicts", response_model=list[ConflictOut])
def conflicts(
    actor: ReaderDep,
    session: SessionDep,
    status: Annotated[Literal["open", "resolved", "dismissed"], Query()] = "open",
) -> list[ConflictOut]:
    return [ConflictOut.model_validate(c) for c in admin.list_conflicts(session, actor, status=status)]


@router.post("/conflicts/{conflict_id}/resolve", response_model=ConflictOut)
def resolve(conflict_id: str, data: ResolveIn, actor: IntegrationDep, session: SessionDep) -> ConflictOut:
    return ConflictOut.model_validate(admin.resolve_conflict(session, actor, conflict_id, data.chosen_value))


# ---- accounts and mappings ---------------------------------------------------------------------------------


@router.get("/accounts", response_model=list[AccountOut])
def accounts(actor: ReaderDep, session: SessionDep) -> list[AccountOut]:
    return [AccountOut.model_validate(a) for a in catalog.list_accounts(session, actor.tenant_id)]


@router.get("/mappings", response_model=list[MappingOut])
def list_mappings(actor: ReaderDep, session: SessionDep, include_retired: bool = False) -> list[MappingOut]:
    rows = mappings.list_mappings(session, actor.tenant_id, include_retired=include_retired)
    return [MappingOut.model_validate(m) for m in rows]


@router.put("/mappings", response_model=list[MappingOut])
def save_mappings(data: MappingsIn, actor: IntegrationDep, session: SessionDep) -> list[MappingOut]:
    saved = mappings.save_mappings(
        session, actor, [mappings.MappingIn(**m.model_dump()) for m in data.mappings]
    )
    return [MappingOut.model_validate(m) for m in saved]


@router.get("/mappings/suggestions")
def mapping_suggestions(
    actor: ReaderDep,
    session: SessionDep,
    profile: Annotated[Profile, Query()] = "revenue",
) -> dict[str, Any]:
    return {
        "suggestions": [asdict(s) for s in suggest(session, actor.tenant_id, profile=profile)],
        "unmapped_cost_codes": mappings.unmapped_codes(session, actor.tenant_id, profile),
    }


@router.get("/mappings/review", response_model=list[ReviewOut])
def review_queue(actor: ReaderDep, session: SessionDep) -> list[ReviewOut]:
    return [ReviewOut.model_validate(r) for r in mappings.list_reviews(session, actor.tenant_id)]


# ---- console page ----------------------------------------------------------------------------------------------


@page_router.get("/console/sync", response_class=HTMLResponse)
def sync_page(request: Request) -> HTMLResponse:
    """The page loads its data with the signed-in key, like the rest of the console."""
    return get_templates(request).TemplateResponse(
        request,
        "sync.html",
        {},
        headers={"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY"},
    )
