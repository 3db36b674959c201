"""``qbo-agent sandbox --webhook-format cloudevents`` delivering to the service over real HTTP: edits made in
three companies reach the two connected tenants, each routed by its realm; the unknown company is skipped."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.app import create_app
from domain.models import WebhookEvent
from tests.api.conftest import _no_agent, make_settings, seed_tenant
from tests.api.live import free_port, serve
from tests.api.test_webhook_shapes import URL, _connect

VERIFIER = "cli-cloudevents-verifier"


@pytest.fixture()
def sandbox_cli(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The real command in its own process; yields its URL and the port our service must listen on."""
    port, hook_port = free_port(), free_port()
    command = [
        str(Path(sys.executable).with_name("qbo-agent")),
        "sandbox",
        "--port",
        str(port),
        "--webhook-url",
        f"http://127.0.0.1:{hook_port}{URL}",
        "--verifier-token",
        VERIFIER,
        "--webhook-format",
        "cloudevents",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/_sandbox/realms").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the sandbox did not start: {proc.stdout.read() if proc.stdout else ''!r}"
                )
            time.sleep(0.2)
        yield base, hook_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cloudevents_from_the_sandbox_reach_each_tenant_by_realm(
    sandbox_cli: tuple[str, int], api_engine: Engine
) -> None:
    base, hook_port = sandbox_cli
    default = httpx.get(f"{base}/_sandbox/realms").json()["realms"][0]
    second = httpx.post(f"{base}/_sandbox/realms", json={"source": "empty"}).json()["realm_id"]
    stranger = httpx.post(f"{base}/_sandbox/realms", json={"source": "empty"}).json()["realm_id"]
    settings = make_settings(qbo_webhook_verifier_token=VERIFIER)
    tenants = {}
    for realm in (default, second):
        keys = seed_tenant(api_engine, f"Tenant {uuid.uuid4().hex[:6]}", settings)
        _connect(api_engine, keys.tenant_id, realm)
        tenants[realm] = keys.tenant_id
    app = create_app(settings, engine=api_engine, agent_factory=_no_agent)
    with serve(app, port=hook_port):
        for realm in (default, second, stranger):
            made = httpx.post(
                f"{base}/_sandbox/realms/{realm}/edits",
                json={"entity": "Customer", "operation": "create", "body": {"DisplayName": f"New {realm}"}},
            )
            assert made.status_code == 200, made.text
        deadline = time.monotonic() + 20
        rows: list[tuple[str | None, str, str]] = []
        while len(rows) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            with Session(api_engine) as s:
                rows = [
                    (r.tenant_id, r.realm_id, r.source_format)
                    for r in s.scalars(select(WebhookEvent).where(WebhookEvent.entity == "Customer"))
                ]
        time.sleep(0.5)  # give a stray event for the unknown company the time to arrive, were it stored
        with Session(api_engine) as s:
            realms = set(s.scalars(select(WebhookEvent.realm_id)))
    assert sorted(rows) == sorted(
        [(tenants[default], default, "cloudevents"), (tenants[second], second, "cloudevents")]
    )
    assert stranger not in realms
