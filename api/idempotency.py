"""``Idempotency-Key`` on every POST: the same key and body replay the first response; another body is a 422.

Runs as ASGI middleware so every POST route gets it without code of its own. A key is claimed (row inserted)
before the route runs, so two concurrent requests with one key cannot both execute. The second one waits a
few seconds for the first one's response and replays it; if the first is still running then, it gets 409 with
``Retry-After``. Server errors (5xx) and failed authentication release the key, so the client can retry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.clock import Clock, system_clock
from domain.services import idempotency as records
from domain.services.idempotency import Outcome, Stored

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
WAIT_SECONDS = 5.0  # how long a replay waits for the request it repeats
POLL_SECONDS = 0.05
RETRY_AFTER_SECONDS = 1
_NOT_STORED = {401}


def _problem(status: int, code: str, detail: str) -> bytes:
    return json.dumps(
        {
            "type": f"https://qbo-agent.dev/problems/{code}",
            "title": code.replace("_", " ").capitalize(),
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()


async def _send_body(
    send: Send,
    status: int,
    content_type: str,
    body: bytes,
    replayed: bool = False,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    headers.extend(extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        sessions: Callable[[], sessionmaker[Session]],
        clock: Clock = system_clock,
        wait_seconds: float | None = None,
    ) -> None:
        self.app = app
        # Resolved per request: the sessionmaker only exists once the lifespan has run.
        self.sessions = sessions
        self.clock = clock
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        raw_key = headers.get(HEADER)
        auth = headers.get(b"authorization")
        if scope["type"] != "http" or scope["method"] != "POST" or raw_key is None or auth is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_body(
                send,
                422,
                "application/problem+json",
                _problem(422, "validation_failed", "Idempotency-Key must be 1-255 characters"),
            )
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # the size limit tripped while reading
            await _send_body(
                send,
                exc.status_code,
                "application/problem+json",
                _problem(exc.status_code, "payload_too_large", str(exc.detail)),
            )
            return
        owner = hashlib.sha256(auth).hexdigest()
        fingerprint = hashlib.sha256(
            b"\n".join(
                [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body]
            )
        ).hexdigest()
        factory = self.sessions()
        outcome = await self._claim_or_wait(factory, owner, key, fingerprint)
        if isinstance(outcome, Stored):
            await _send_body(send, outcome.status_code, outcome.content_type, outcome.body, replayed=True)
            return
        if outcome == "mismatch":
            await _send_body(
                send,
                422,
                "application/problem+json",
                _problem(
                    422, "idempotency_key_reused", "This Idempotency-Key was used with a different request"
                ),
            )
            return
        if outcome != "claimed":
            await _send_body(
                send,
                409,
                "application/problem+json",
                _problem(
                    409,
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is still running; retry shortly",
                ),
                extra=[(b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
            )
            return
        await self._run_and_record(scope, body, send, factory, owner, key)

    async def _claim_or_wait(
        self, factory: sessionmaker[Session], owner: str, key: str, fingerprint: str
    ) -> Outcome:
        """Claim the key; if another request holds it, poll (no transaction held) until it answers or time is up."""
        deadline = time.monotonic() + (WAIT_SECONDS if self.wait_seconds is None else self.wait_seconds)
        outcome = await anyio.to_thread.run_sync(
            records.claim, factory, owner, key, fingerprint, self.clock()
        )
        while outcome == "in_progress" and time.monotonic() < deadline:
            await anyio.sleep(POLL_SECONDS)
            outcome = await anyio.to_thread.run_sync(
                records.lookup, factory, owner, key, fingerprint, self.clock()
            )
            if outcome == "gone":  # the first request failed and released the key: this one runs
                outcome = await anyio.to_thread.run_sync(
                    records.claim, factory, owner, key, fingerprint, self.clock()
                )
        return outcome

    async def _run_and_record(
        self, scope: Scope, body: bytes, send: Send, factory: sessionmaker[Session], owner: str, key: str
    ) -> None:
        sent = False

        async def replay_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 500
        content_type = "application/json"
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        completed = False
        try:
            await self.app(scope, replay_receive, recording_send)
            completed = True
        finally:
            keep = completed and status < 500 and status not in _NOT_STORED
            stored = Stored(status, content_type, b"".join(chunks)) if keep else None
            await anyio.to_thread.run_sync(records.finish, factory, owner, key, stored)


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


SWEEP_EVERY_SECONDS = 3600.0


async def sweep_forever(
    sessions: Callable[[], sessionmaker[Session]],
    clock: Clock = system_clock,
    every: float = SWEEP_EVERY_SECONDS,
) -> None:
    """Delete expired idempotency records now and then every *every* seconds, until cancelled."""
    while True:
        try:
            removed = await anyio.to_thread.run_sync(records.sweep, sessions(), clock())
            if removed:
                log.info("swept %d expired idempotency records", removed)
        except Exception:  # a failed sweep (database briefly away) must not end the service
            log.exception("idempotency sweep failed")
        await anyio.sleep(every)
