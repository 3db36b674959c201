"""The QBO v3 REST surface under ``/v3/company/{realmId}`` (the gateway has already checked the token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from integrations.quickbooks.sandbox import batch_cdc, faults, lifecycle, reports
from integrations.quickbooks.sandbox.pdf import render_pdf
from integrations.quickbooks.sandbox.state import Sandbox, present
from integrations.quickbooks.sandbox.store import Entity, canonical_entity
from integrations.quickbooks.sandbox.wire import QboJSONResponse, format_response_time, loads


def _entity(name: str) -> str:
    entity = canonical_entity(name)
    if entity is None:
        raise faults.system_fault(
            f"System Failure Error: Could not find resource for relative : /{name}", status=400
        )
    return entity


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return loads(raw) if raw else {}
    except ValueError as exc:
        raise faults.validation(
            "2010", "Request has invalid or unsupported property", f"Error parsing the request body: {exc}"
        ) from exc


def v3_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/v3/company/{realm_id}")

    def envelope(key: str, value: Any) -> QboJSONResponse:
        return QboJSONResponse({key: value, "time": format_response_time(sandbox.clock.now())})

    @router.get("/query")
    async def query_get(realm_id: str, request: Request) -> Response:
        text = request.query_params.get("query")
        if not text:
            raise faults.query_parse_error('Encountered "<EOF>" at line 1, column 1.')
        return envelope("QueryResponse", await run_in_threadpool(batch_cdc.query, sandbox, realm_id, text))

    @router.post("/query")
    async def query_post(realm_id: str, request: Request) -> Response:
        text = (await request.body()).decode() or request.query_params.get("query", "")
        if not text.strip():
            raise faults.query_parse_error('Encountered "<EOF>" at line 1, column 1.')
        return envelope("QueryResponse", await run_in_threadpool(batch_cdc.query, sandbox, realm_id, text))

    @router.post("/batch")
    async def batch(realm_id: str, request: Request) -> Response:
        payload = await _json_body(request)
        return envelope(
            "BatchItemResponse", await run_in_threadpool(batch_cdc.run_batch, sandbox, realm_id, payload)
        )

    @router.get("/cdc")
    async def cdc(realm_id: str, request: Request) -> Response:
        params = request.query_params
        blocks = await run_in_threadpool(
            batch_cdc.cdc, sandbox, realm_id, params.get("entities"), params.get("changedSince")
        )
        return envelope("CDCResponse", blocks)

    @router.post("/{entity_name}/{entity_id}/send")
    async def send(realm_id: str, entity_name: str, entity_id: str, request: Request) -> Response:
        entity = _entity(entity_name)
        send_to = request.query_params.get("sendTo")
        obj = await run_in_threadpool(
            sandbox.run, realm_id, lambda books: lifecycle.send(books, entity, entity_id, send_to)
        )
        return envelope(entity, present(obj))

    @router.get("/{entity_name}/{entity_id}/pdf")
    async def pdf(realm_id: str, entity_name: str, entity_id: str) -> Response:
        entity = _entity(entity_name)
        if entity not in ("Invoice", "Estimate", "CreditMemo", "Payment"):
            raise faults.unsupported_operation(f"PDF for {entity}")
        with sandbox.lock:
            store = sandbox.realm(realm_id)
            obj = store.get(entity, entity_id)
            if obj is None:
                raise faults.object_not_found(entity, entity_id)
            company = store.get("CompanyInfo", "1") or {}
            content = render_pdf(entity, obj, str(company.get("CompanyName", "")))
        return Response(content, media_type="application/pdf")

    @router.get("/reports/{report_name}")
    async def report(realm_id: str, report_name: str, request: Request) -> Response:
        # A report is the object itself, not wrapped in an entity key.
        params = dict(request.query_params)
        with sandbox.lock:
            store = sandbox.realm(realm_id)
            now = format_response_time(sandbox.clock.now())
            return QboJSONResponse(reports.run_report(store, report_name, params, sandbox.clock.today(), now))

    @router.get("/{entity_name}/{entity_id}")
    async def read(realm_id: str, entity_name: str, entity_id: str) -> Response:
        entity = _entity(entity_name)
        with sandbox.lock:
            obj = sandbox.realm(realm_id).get(entity, entity_id)
            if obj is None:
                raise faults.object_not_found(entity, entity_id)
            return envelope(entity, present(obj))

    @router.post("/{entity_name}")
    async def write(realm_id: str, entity_name: str, request: Request) -> Response:
        entity = _entity(entity_name)
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise faults.validation(
                "2010", "Request has invalid or unsupported property", "Expected a JSON object"
            )
        params = request.query_params
        operation = (params.get("operation") or "").lower()
        include = (params.get("include") or "").lower()
        if operation == "delete":
            op = "delete"
        elif operation == "void" or include == "void":
            op = "void"
        else:
            op = "update" if body.get("Id") not in (None, "") else "create"
        allow_dup = include == "allowduplicatedocnum"
        obj: Entity = await run_in_threadpool(
            lambda: batch_cdc.write(sandbox, realm_id, entity, op, body, allow_dup=allow_dup)
        )
        return envelope(entity, obj)

    return router
