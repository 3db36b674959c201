"""``create_sandbox_app``: the QBO emulator as one FastAPI app (API, OAuth, control endpoints).

``app.state.sandbox`` is the :class:`~integrations.quickbooks.sandbox.state.Sandbox` behind it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.responses import Response

from domain.clock import Clock, system_clock
from integrations.quickbooks.sandbox.api_routes import v3_router
from integrations.quickbooks.sandbox.config import SandboxConfig
from integrations.quickbooks.sandbox.control import control_router
from integrations.quickbooks.sandbox.faults import QboFault
from integrations.quickbooks.sandbox.gateway import QboGateway
from integrations.quickbooks.sandbox.oauth import oauth_router
from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.wire import QboJSONResponse, format_response_time


def create_sandbox_app(config: SandboxConfig | None = None, *, clock: Clock = system_clock) -> FastAPI:
    sandbox = Sandbox(config or SandboxConfig(), clock=clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        sandbox.close()

    app = FastAPI(title="QuickBooks Online sandbox", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox

    @app.exception_handler(QboFault)
    async def qbo_fault(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, QboFault)
        body = exc.body(format_response_time(sandbox.clock.now()))
        return QboJSONResponse(body, status_code=exc.status, headers=exc.headers or None)

    app.include_router(oauth_router(sandbox))
    app.include_router(control_router(sandbox))
    app.include_router(v3_router(sandbox))
    app.add_middleware(QboGateway, sandbox=sandbox)
    return app
