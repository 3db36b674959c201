"""Concurrent chat turns on the demo (QuickBooks sandbox, offline model, SQLite) never fail on a locked database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.qbo_wiring import callback_url
from demo.company import demo_clock
from demo.serve import DemoStartup, demo_sandbox, demo_settings
from domain.models import Role
from tests.api.conftest import make_settings
from tests.api.live import free_port, serve
from tests.security.race import Call, race

AS_OF = date(2026, 3, 18)


@pytest.fixture()
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    base = make_settings(var_dir=tmp_path / "var", base_url=f"http://127.0.0.1:{port}")
    with demo_sandbox(base, callback=callback_url(base), clock=demo_clock(AS_OF)) as sandbox_url:
        settings = demo_settings(base, host="127.0.0.1", port=port, sandbox_url=sandbox_url, today=AS_OF)
        app = create_app(settings, startup=(startup := DemoStartup(lambda _line: None)), create_schema=True)
        with serve(app, port) as url:
            info = startup.info
            yield url, {"Authorization": f"Bearer {info.keys[Role.OWNER]}"}


def test_concurrent_chat_turns_and_writes_do_not_lock_up(demo: tuple[str, dict[str, str]]) -> None:
    base, owner = demo

    def ask(text: str, path: str = "/api/chat") -> Call:
        def call(client: httpx.Client) -> httpx.Response:
            return client.post(path, json={"message": text}, headers=owner)

        return call

    def add_customer(n: int) -> Call:
        def call(client: httpx.Client) -> httpx.Response:
            return client.post("/api/customers", json={"display_name": f"Race Customer {n}"}, headers=owner)

        return call

    calls: list[Call] = []
    for n in range(4):
        calls += [
            ask("show open invoices"),
            ask("how much is overdue?", "/api/chat/stream"),
            ask("add a customer named Chat Race Co " + str(n)),
            add_customer(n),
        ]
    responses = race(base, calls, timeout=60)
    failures = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not failures
    locked = [r.text[:300] for r in responses if "locked" in r.text]
    assert not locked
