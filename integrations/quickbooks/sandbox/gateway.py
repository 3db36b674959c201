"""What stands in front of QBO's API: bearer check, throttles, injected faults and ``requestid`` replay.

A raw ASGI middleware, because a dropped connection has to be produced below the HTTP framework (it closes the
socket without an answer).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.state import CachedResponse, Sandbox
from integrations.quickbooks.sandbox.wire import dumps, format_response_time

_API_PATH = re.compile(r"^/v3/company/([^/]+)(/.*)?$")


class DroppedConnection(Exception):
    """Raised after a response has started so the server aborts the connection (fault injection)."""


async def _drop_connection(receive: Receive, send: Send) -> None:
    """Close the socket without answering, as a network failure would.

    uvicorn's ``receive`` is bound to the request cycle, which holds the transport: closing it sends nothing.
    Where that is not reachable (an in-process test client) the response is started and then broken off.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "close"):
        transport.close()
        await asyncio.sleep(0)  # let the server notice the disconnect before the app returns
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    raise DroppedConnection("fault injection: connection dropped")


class QboGateway:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self._in_flight: dict[tuple[str, str], asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _API_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        realm_id = match.group(1)
        sandbox = self.sandbox
        stats = sandbox.stats
        stats.requests += 1
        stats.requests_by_realm[realm_id] = stats.requests_by_realm.get(realm_id, 0) + 1
        knobs = sandbox.faults
        if knobs.drop_rate and sandbox.rng.random() < knobs.drop_rate:
            sandbox.count_injected("dropped_connection")
            await _drop_connection(receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        try:
            sandbox.tokens.check_access(headers.get("authorization"), realm_id)
            sandbox.realm(realm_id)
        except faults.QboFault as fault:
            await self._send_fault(send, fault)
            return
        is_batch = (match.group(2) or "").rstrip("/").lower() == "/batch"
        if not sandbox.throttle.acquire(realm_id, batch=is_batch):
            stats.throttled += 1
            await self._send_throttle(send)
            return
        try:
            await self._admitted(scope, receive, send, realm_id)
        finally:
            sandbox.throttle.release(realm_id)

    async def _admitted(self, scope: Scope, receive: Receive, send: Send, realm_id: str) -> None:
        sandbox = self.sandbox
        if sandbox.faults.latency_ms:
            # Added latency counts as time in flight, as slow processing at QBO would.
            await asyncio.sleep(sandbox.faults.latency_ms / 1000)
        injected = self._injected_status()
        if injected == 429:
            sandbox.stats.throttled += 1
            await self._send_throttle(send)
            return
        if injected is not None:
            detail = "Service Unavailable" if injected == 503 else "System Failure Error: injected fault"
            await self._send_fault(send, faults.system_fault(detail, status=injected))
            return
        params = parse_qs(scope.get("query_string", b"").decode())
        request_id = (params.get("requestid") or [""])[0]
        if not request_id:
            await self.app(scope, receive, self._with_tid(send))
            return
        key = (realm_id, request_id)
        while key in self._in_flight:  # the same request is running right now: wait for its answer
            await self._in_flight[key].wait()
        signature = f"{scope['method']} {scope['path']}".encode()
        cached = sandbox.replay_cache.get(key)
        if cached is not None:
            sandbox.stats.replays += 1
            if cached.signature != signature:
                await self._send_fault(send, faults.request_id_conflict())
                return
            await send({"type": "http.response.start", "status": cached.status, "headers": cached.headers})
            await send({"type": "http.response.body", "body": cached.body})
            return
        done = self._in_flight[key] = asyncio.Event()
        captured: dict[str, Any] = {"body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
                captured["complete"] = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, self._with_tid(capture))
        finally:
            # Remembered even when the caller went away before the answer reached it (a timeout, a reset):
            # QBO keeps a requestid's result whether or not its answer arrived, so the retry gets that result
            # instead of making the record a second time. Only real answers count; auth, throttle and server
            # errors may succeed on retry.
            status = captured.get("status", 500)
            if captured.get("complete") and status < 500 and status not in (401, 403, 429):
                sandbox.replay_cache[key] = CachedResponse(
                    status, captured["headers"], bytes(captured["body"]), signature
                )
            del self._in_flight[key]
            done.set()

    def _injected_status(self) -> int | None:
        sandbox = self.sandbox
        knobs = sandbox.faults
        with sandbox.lock:
            if knobs.force_status is not None and (knobs.force_count is None or knobs.force_count > 0):
                status = knobs.force_status
                if knobs.force_count is not None:
                    knobs.force_count -= 1
                    if knobs.force_count == 0:
                        knobs.force_status = None
                        knobs.force_count = None
                sandbox.count_injected(str(status))
                return status
            if knobs.error_rate and sandbox.rng.random() < knobs.error_rate:
                status = sandbox.rng.choice(knobs.error_statuses)
                sandbox.count_injected(str(status))
                return status
        return None

    def _with_tid(self, send: Send) -> Send:
        tid = str(uuid.uuid4()).encode()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"intuit_tid", tid)]}
            await send(message)

        return wrapped

    def _time(self) -> str:
        return format_response_time(self.sandbox.clock.now())

    async def _send_fault(self, send: Send, fault: faults.QboFault) -> None:
        body = dumps(fault.body(self._time()))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in fault.headers.items()]
        headers.append((b"intuit_tid", str(uuid.uuid4()).encode()))
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _send_throttle(self, send: Send) -> None:
        body = faults.throttle_xml(self._time()).encode()
        headers = [
            (b"content-type", b"application/xml"),
            (b"content-length", str(len(body)).encode()),
            (b"intuit_tid", str(uuid.uuid4()).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
