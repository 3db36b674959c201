"""``/_sandbox/`` control endpoints, so out-of-process benchmarks and demos can steer the emulator.

Not part of QBO; no bearer token is needed (the emulator only listens on loopback).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.wire import QboJSONResponse, loads


class SeedRequest(BaseModel):
    realm_id: str | None = None
    source: Literal["fixture", "empty"] = "empty"
    company_name: str | None = None


class GenerateRequest(BaseModel):
    entity: str
    count: int = Field(ge=1, le=100_000)
    seed: int | None = None
    emit_webhooks: bool = False


class TokenRequest(BaseModel):
    client_id: str | None = None
    scope: str = "com.intuit.quickbooks.accounting"


class UserEdit(BaseModel):
    """A change made "by a user inside QBO": it bumps SyncTokens and emits CDC entries and webhooks."""

    operation: Literal["create", "update", "delete", "void", "merge"]
    entity: str
    body: dict[str, Any] = Field(default_factory=dict)
    sparse: bool = True
    survivor_id: str | None = None
    merged_id: str | None = None


def control_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox")

    @router.get("/stats")
    async def stats() -> Response:
        return JSONResponse({**sandbox.stats.snapshot(), "max_in_flight": sandbox.throttle.max_in_flight})

    @router.get("/faults")
    async def get_faults() -> Response:
        return JSONResponse(sandbox.faults.model_dump())

    @router.post("/faults")
    async def set_faults(changes: dict[str, Any]) -> Response:
        try:
            knobs = sandbox.set_faults(**changes)
        except ValidationError as exc:
            return JSONResponse(
                {"error": "invalid fault settings", "detail": exc.errors(include_url=False)}, 422
            )
        return JSONResponse(knobs.model_dump())

    @router.post("/reset")
    async def reset() -> Response:
        await run_in_threadpool(sandbox.reset)
        return JSONResponse({"realms": list(sandbox.realms)})

    @router.get("/realms")
    async def realms() -> Response:
        return JSONResponse({"realms": list(sandbox.realms)})

    @router.post("/realms")
    async def seed(request: SeedRequest) -> Response:
        realm_id = await run_in_threadpool(
            lambda: sandbox.seed_realm(
                request.realm_id, source=request.source, company_name=request.company_name
            )
        )
        return JSONResponse({"realm_id": realm_id}, status_code=201)

    @router.post("/realms/{realm_id}/generate")
    async def generate(realm_id: str, request: GenerateRequest) -> Response:
        try:
            ids: list[str] = await run_in_threadpool(
                lambda: sandbox.generate(
                    realm_id, request.entity, request.count, seed=request.seed, emit=request.emit_webhooks
                )
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {"entity": request.entity, "created": len(ids), "first_id": ids[0], "last_id": ids[-1]}
        )

    @router.post("/realms/{realm_id}/tokens")
    async def tokens(realm_id: str, request: TokenRequest) -> Response:
        return JSONResponse(sandbox.issue_tokens(realm_id, request.client_id, request.scope))

    @router.post("/realms/{realm_id}/edits")
    async def user_edit(realm_id: str, edit: UserEdit) -> Response:
        body = loads(UserEdit.model_validate(edit).model_dump_json()).get("body", {})

        def apply() -> Any:
            if edit.operation == "create":
                return sandbox.create(realm_id, edit.entity, body)
            if edit.operation == "update":
                return sandbox.update(realm_id, edit.entity, body, sparse=edit.sparse)
            if edit.operation == "delete":
                return sandbox.delete(realm_id, edit.entity, str(body.get("Id")))
            if edit.operation == "void":
                return sandbox.void(realm_id, edit.entity, str(body.get("Id")))
            return sandbox.merge(realm_id, edit.entity, str(edit.survivor_id), str(edit.merged_id))

        try:
            result = await run_in_threadpool(apply)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return QboJSONResponse({edit.entity: result})

    return router
