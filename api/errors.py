"""One place that turns failures into RFC 9457 problem+json bodies.

The domain raises :class:`domain.errors.AppError` subclasses; request parsing raises FastAPI's validation error;
routing raises Starlette's ``HTTPException`` (404/405, oversized bodies). All three render the same shape.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import AppError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://qbo-agent.dev/problems/"


def problem_response(
    status: int, body: dict[str, Any], request: Request | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    if request is not None:
        body.setdefault("instance", request.url.path)
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type="application/problem+json", headers=headers
    )


def problem(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status >= 500:
        log.error("app error %s: %s", exc.code, exc.message)
    return problem_response(exc.status, exc.to_problem(), request)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    body = problem(422, "validation_failed", "The request is not valid.", errors=errors)
    return problem_response(422, body, request)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    body = problem(exc.status_code, code, detail)
    return problem_response(exc.status_code, body, request, headers=getattr(exc, "headers", None))


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette still re-raises after this answer, so the traceback reaches the server log.
    body = problem(500, "internal_error", "Something went wrong on our side; it has been logged.")
    # This handler runs outside the request-id middleware, so it names the request itself.
    request_id = getattr(request.state, "request_id", None)
    return problem_response(500, body, request, headers={"X-Request-Id": request_id} if request_id else None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _server_error)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
