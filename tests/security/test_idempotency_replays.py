"""Idempotency-Key under concurrency: a replay waits for the first request's answer, across app instances.

Two uvicorn servers on loopback share one database (as two processes would); the key's record is the only
thing they share. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

import api.idempotency
from api.app import create_app
from cli import db as cli_db
from domain.db import make_engine
from domain.models.identity_extra import IdempotencyRecord
from domain.services import idempotency as records
from tests.api.conftest import make_settings
from tests.api.live import serve

HEADERS = {"Authorization": "Bearer caller-1", "Idempotency-Key": "pay-once"}


def _app(engine: Engine, calls: list[int], release: threading.Event) -> FastAPI:
    async def _none(_state: Any) -> None:
        return None

    app = create_app(make_settings(), engine=engine, agent_factory=_none)

    @app.post("/api/slow", status_code=201)
    def slow(body: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        release.wait(timeout=10)
        return {"ran": len(calls), "echo": body}

    return app


@pytest.fixture()
def two_servers(api_engine: Engine) -> Iterator[tuple[str, str, list[int], threading.Event]]:
    calls: list[int] = []
    release = threading.Event()
    # The second server has its own engine (its own connection pool), like another process.
    second_engine = make_engine(api_engine.url.render_as_string(hide_password=False))
    with ExitStack() as stack:
        a = stack.enter_context(serve(_app(api_engine, calls, release)))
        b = stack.enter_context(serve(_app(second_engine, calls, release)))
        yield a, b, calls, release
        release.set()
    second_engine.dispose()


def _post_later(url: str, delay: float, out: list[httpx.Response], body: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        out.append(httpx.post(url, json=body, headers=HEADERS, timeout=20))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_replay_in_flight_waits_for_the_first_answer(
    two_servers: tuple[str, str, list[int], threading.Event],
) -> None:
    a, b, calls, release = two_servers
    first: list[httpx.Response] = []
    replay: list[httpx.Response] = []
    t1 = _post_later(f"{a}/api/slow", 0, first, {"amount": "10.00"})
    t2 = _post_later(f"{b}/api/slow", 0.3, replay, {"amount": "10.00"})
    time.sleep(0.8)  # the replay is now polling the record on the other server
    release.set()
    t1.join(20)
    t2.join(20)
    assert first[0].status_code == 201 and replay[0].status_code == 201, replay[0].text
    assert replay[0].json() == first[0].json() == {"ran": 1, "echo": {"amount": "10.00"}}
    assert replay[0].headers["idempotent-replayed"] == "true"
    assert len(calls) == 1


def test_a_replay_still_in_flight_after_the_wait_gets_retry_after(
    two_servers: tuple[str, str, list[int], threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.idempotency, "WAIT_SECONDS", 0.3)
    a, b, calls, release = two_servers
    first: list[httpx.Response] = []
    t1 = _post_later(f"{a}/api/slow", 0, first, {"amount": "10.00"})
    time.sleep(0.2)
    started = time.monotonic()
    busy = httpx.post(f"{b}/api/slow", json={"amount": "10.00"}, headers=HEADERS, timeout=20)
    assert 0.25 <= time.monotonic() - started < 5
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["retry-after"] == "1"
    assert busy.headers["content-type"] == "application/problem+json"
    other = httpx.post(f"{b}/api/slow", json={"amount": "99.00"}, headers=HEADERS, timeout=20)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    release.set()
    t1.join(20)
    assert first[0].status_code == 201 and len(calls) == 1
    after = httpx.post(f"{b}/api/slow", json={"amount": "10.00"}, headers=HEADERS, timeout=20)
    assert after.status_code == 201 and after.json() == first[0].json()


T0 = datetime(2026, 3, 18, 23, 30, tzinfo=UTC)


def _count(factory: sessionmaker[Any]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


def test_sweeper_removes_expired_records_by_the_injected_clock(api_engine: Engine) -> None:
    factory = sessionmaker(api_engine)
    assert records.claim(factory, "o", "done", "f", T0) == "claimed"
    records.finish(factory, "o", "done", records.Stored(201, "application/json", b"{}"))
    assert records.claim(factory, "o", "running", "f", T0) == "claimed"
    assert records.sweep(factory, T0 + timedelta(minutes=9)) == 0
    assert records.sweep(factory, T0 + timedelta(minutes=11)) == 1  # the abandoned claim
    assert records.lookup(factory, "o", "done", "f", T0 + timedelta(hours=23)) == records.Stored(
        201, "application/json", b"{}"
    )
    assert records.sweep(factory, T0 + timedelta(hours=23)) == 0
    assert records.sweep(factory, T0 + timedelta(hours=25)) == 1
    assert _count(factory) == 0
    # An expired record not yet swept does not block its key either.
    assert records.claim(factory, "o", "k", "f1", T0) == "claimed"
    records.finish(factory, "o", "k", records.Stored(201, "application/json", b"1"))
    assert records.claim(factory, "o", "k", "f2", T0 + timedelta(hours=1)) == "mismatch"
    assert records.claim(factory, "o", "k", "f2", T0 + timedelta(hours=25)) == "claimed"


def test_sweep_command_and_server_startup_sweep(api_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = sessionmaker(api_engine)
    old = datetime.now(UTC) - timedelta(days=2)
    records.claim(factory, "o", "stale-1", "f", old)
    records.claim(factory, "o", "stale-2", "f", old)
    records.finish(factory, "o", "stale-1", records.Stored(200, "application/json", b""))
    import typer

    cli = typer.Typer()
    cli_db.register(cli)
    url = api_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["db", "sweep-idempotency", "--url", url])
    assert result.exit_code == 0 and "removed 2" in result.output
    records.claim(factory, "o", "stale-3", "f", old)

    async def _none(_state: Any) -> None:
        return None

    app = create_app(
        make_settings(), engine=api_engine, agent_factory=_none, clock=lambda: old + timedelta(days=2)
    )
    with serve(app):
        deadline = time.monotonic() + 5
        while _count(factory) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _count(factory) == 0
