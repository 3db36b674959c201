"""``Idempotency-Key`` on every POST: the same key and body replay the first response; another body is a 422.

Runs as ASGI middleware so every POST route gets it without code of its own. A key is claimed (row inserted)
before the route runs, so two concurrent requests with one key cannot both execute: the second gets 409.
Server errors (5xx) and failed authentication release the key, so the client can retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.db import utcnow
from domain.models.identity_extra import IdempotencyRecord

HEADER = b"idempotency-key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
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


async def _send_body(send: Send, status: int, content_type: str, body: bytes, replayed: bool = False) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self.app = app
        # Resolved per request: the sessionmaker only exists once the lifespan has run.
        self.sessions = sessions

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
        outcome = await anyio.to_thread.run_sync(_claim, factory, owner, key, fingerprint)
        if isinstance(outcome, IdempotencyRecord):
            await _send_body(
                send,
                outcome.status_code or 200,
                outcome.content_type or "application/json",
                outcome.body or b"",
                replayed=True,
            )
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
        if outcome == "in_progress":
            await _send_body(
                send,
                409,
                "application/problem+json",
                _problem(
                    409, "idempotency_in_progress", "A request with this Idempotency-Key is still running"
                ),
            )
            return
        await self._run_and_record(scope, body, send, factory, owner, key)

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
            await anyio.to_thread.run_sync(
                _finish, factory, owner, key, (status, content_type, b"".join(chunks)) if keep else None
            )


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


def _claim(factory: sessionmaker[Session], owner: str, key: str, fingerprint: str) -> IdempotencyRecord | str:
    with factory() as session:
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.owner_hash == owner, IdempotencyRecord.key == key
            )
        )
        if (
            record is not None
            and record.created_at.replace(tzinfo=record.created_at.tzinfo or utcnow().tzinfo)
            < utcnow() - KEEP_FOR
        ):
            session.delete(record)
            session.commit()
            record = None
        if record is None:
            session.add(IdempotencyRecord(owner_hash=owner, key=key, fingerprint=fingerprint))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return "in_progress"  # another request claimed it a moment ago
            return "claimed"
        if record.fingerprint != fingerprint:
            return "mismatch"
        if record.status_code is None:
            return "in_progress"
        session.expunge(record)
        return record


def _finish(
    factory: sessionmaker[Session], owner: str, key: str, response: tuple[int, str, bytes] | None
) -> None:
    with factory() as session:
        where = (IdempotencyRecord.owner_hash == owner, IdempotencyRecord.key == key)
        if response is None:
            session.execute(delete(IdempotencyRecord).where(*where))
        else:
            record = session.scalar(select(IdempotencyRecord).where(*where))
            if record is not None:
                record.status_code, record.content_type, record.body = response
        session.commit()
