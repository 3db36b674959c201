"""CORS with per-tenant allowed origins (the widget's host pages), checked against the database.

A preflight carries no credentials, so it is answered for any origin some tenant (or the settings) allows;
the real request is then bound to one tenant by its embed token, whose ``origin`` claim must match.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.models import Tenant

ALLOW_HEADERS = b"authorization, content-type, idempotency-key, x-request-id, accept"
ALLOW_METHODS = b"GET, POST, PATCH, PUT, DELETE, OPTIONS"
CACHE_SECONDS = 10.0


class OriginRegistry:
    """Every origin any tenant allows, re-read at most every few seconds."""

    def __init__(self, sessions: Callable[[], sessionmaker[Session]], static: list[str]) -> None:
        self._sessions = sessions
        self._static = {o.rstrip("/") for o in static}
        self._cached: set[str] = set()
        self._loaded_at = 0.0

    def _load(self) -> set[str]:
        with self._sessions()() as session:
            lists = session.scalars(select(Tenant.allowed_origins)).all()
        return {str(o).rstrip("/") for origins in lists for o in (origins or [])}

    async def allows(self, origin: str) -> bool:
        if origin in self._static:
            return True
        if time.monotonic() - self._loaded_at > CACHE_SECONDS:
            self._cached = await anyio.to_thread.run_sync(self._load)
            self._loaded_at = time.monotonic()
        return origin in self._cached

    def invalidate(self) -> None:
        self._loaded_at = 0.0


class TenantCorsMiddleware:
    def __init__(self, app: ASGIApp, registry: Callable[[], OriginRegistry]) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin_raw = headers.get(b"origin")
        if origin_raw is None or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        origin = origin_raw.decode("latin-1")
        allowed = await self.registry().allows(origin)
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            status = 204 if allowed else 403
            response_headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
            if allowed:
                response_headers += [
                    (b"access-control-allow-origin", origin_raw),
                    (b"access-control-allow-methods", ALLOW_METHODS),
                    (b"access-control-allow-headers", ALLOW_HEADERS),
                    (b"access-control-max-age", b"600"),
                ]
            await send({"type": "http.response.start", "status": status, "headers": response_headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", origin_raw),
                    (b"access-control-expose-headers", b"x-request-id, idempotent-replayed"),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
