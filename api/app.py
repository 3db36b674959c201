"""The FastAPI application factory and its lifespan.

``create_app(settings)`` builds nothing heavy; the lifespan makes the engine, sessionmaker, the shared
``httpx.AsyncClient``, the agent runtime (compiled graph + checkpointer) and the sync worker, and tears them
down in reverse order. Tests hand in their own engine, HTTP client or agent through the keyword overrides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.routing import Route

import domain.models  # noqa: F401 - registers every table before create_all
from api.cors import TenantCorsMiddleware
from api.errors import install_error_handlers
from api.idempotency import IdempotencyMiddleware, sweep_forever
from api.mcp.http import McpHttp
from api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware, SecurityHeadersMiddleware
from api.settings import Settings
from api.state import AppState, build_state
from api.templating import STATIC_DIR, make_templates
from domain.clock import Clock, system_clock
from domain.db import Base, make_engine

log = logging.getLogger(__name__)

AgentFactory = Callable[[AppState], Awaitable[Any]]
WorkerFactory = Callable[[AppState], Coroutine[Any, Any, None]]
# Runs once the engine and clients exist and before the agent is built (the demo seeds its tenant here).
StartupHook = Callable[[AppState], Awaitable[None]]


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    http_client: httpx.AsyncClient | None = None,
    agent_factory: AgentFactory | None = None,
    worker: WorkerFactory | None = None,
    create_schema: bool | None = None,
    startup: StartupHook | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        eng = engine if engine is not None else make_engine(settings.database_url)
        if create_schema if create_schema is not None else settings.demo:
            await asyncio.to_thread(Base.metadata.create_all, eng)
        own_http = http_client is None
        http = http_client or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
        state = build_state(settings, eng, http, clock)
        app.state.services = state
        worker_task: asyncio.Task[None] | None = None
        stack = contextlib.AsyncExitStack()
        sweeper = asyncio.create_task(
            sweep_forever(lambda: state.sessionmaker, clock), name="idempotency-sweeper"
        )
        try:
            if startup is not None:
                await startup(state)
            factory = agent_factory or _default_agent_factory
            state.agent = await factory(state)
            await stack.enter_async_context(mcp_http.running(state))
            run_worker = worker if worker is not None else (_default_worker if settings.run_worker else None)
            if run_worker is not None:
                worker_task = asyncio.create_task(run_worker(state), name="sync-worker")
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            if worker_task is not None:
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
            await stack.aclose()
            closer = getattr(state.agent, "aclose", None)
            if closer is not None:
                await closer()
            if own_http:
                await http.aclose()
            if own_engine:
                eng.dispose()

    app = FastAPI(
        title="qbo-agent",
        version="0.1.0",
        summary="Chat assistant, approvals and REST API for a trades business's QuickBooks Online books.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    mcp_http = McpHttp(lambda: app.state.services)
    # A plain route, not a mount: clients post to /mcp itself, with no redirect to /mcp/.
    app.router.routes.append(
        Route("/mcp", endpoint=mcp_http, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    # Outermost last: request id, CORS (so refusals carry its headers), size limit, idempotency.
    app.add_middleware(IdempotencyMiddleware, sessions=lambda: app.state.services.sessionmaker, clock=clock)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(TenantCorsMiddleware, registry=lambda: app.state.services.origins)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)
    _include_routes(app)
    return app


def _include_routes(app: FastAPI) -> None:
    from api.routes import all_routers

    for router in all_routers():
        app.include_router(router)


async def _default_agent_factory(state: AppState) -> Any:
    from api.agent_wiring import build_agent_runtime

    return await build_agent_runtime(state)


async def _default_worker(state: AppState) -> None:
    from api.worker_wiring import run_sync_worker

    await run_sync_worker(state)
