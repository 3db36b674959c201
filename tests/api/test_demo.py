"""The demo bootstrap: tenant and users, the OAuth dance against the QBO sandbox, the company imported via the API."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.qbo_wiring import callback_url
from demo.company import demo_clock
from demo.serve import DemoStartup, demo_sandbox, demo_settings
from domain.models import Role
from tests.api.conftest import make_settings

AS_OF = date(2026, 3, 18)


async def _no_agent(_state: Any) -> None:
    return None


def test_demo_boots_connected_and_imported(tmp_path: Path) -> None:
    base = make_settings(var_dir=tmp_path / "var", base_url="http://testserver")
    lines: list[str] = []
    with demo_sandbox(base, callback=callback_url(base), clock=demo_clock(AS_OF)) as sandbox_url:
        settings = demo_settings(base, host="testserver", port=80, sandbox_url=sandbox_url, today=AS_OF)
        settings = settings.model_copy(update={"base_url": "http://testserver"})
        app = create_app(
            settings,
            startup=(startup := DemoStartup(lines.append)),
            create_schema=True,
            agent_factory=_no_agent,
        )
        with TestClient(app) as client:
            info = startup.info
            owner = {"Authorization": f"Bearer {info.keys[Role.OWNER]}"}
            status = client.get("/api/integrations/quickbooks/status", headers=owner).json()
            assert status["connected"] is True and status["realm_id"] == info.realm_id
            customers = client.get("/api/customers", params={"limit": 200}, headers=owner).json()["items"]
            assert len(customers) >= 10
            invoices = client.get("/api/invoices", params={"limit": 200}, headers=owner).json()["items"]
            assert len(invoices) >= 50
            tech = {"Authorization": f"Bearer {info.keys[Role.TECHNICIAN]}"}
            assert client.get("/api/me", headers=tech).json()["role"] == "technician"
            assert client.post("/api/integrations/quickbooks/disconnect", headers=tech).status_code == 403
        # A restart finds the same tenant and connection and issues fresh keys.
        app2 = create_app(
            settings,
            startup=(startup := DemoStartup(lines.append)),
            create_schema=True,
            agent_factory=_no_agent,
        )
        with TestClient(app2) as client:
            info2 = startup.info
            assert info2.tenant_id == info.tenant_id and info2.realm_id == info.realm_id
            assert info2.keys[Role.OWNER] != info.keys[Role.OWNER]
            owner2 = {"Authorization": f"Bearer {info2.keys[Role.OWNER]}"}
            again = client.get("/api/invoices", params={"limit": 200}, headers=owner2).json()["items"]
            assert len(again) == len(invoices)
            gone = client.post("/api/integrations/quickbooks/disconnect", headers=owner2)
            assert gone.status_code == 200 and gone.json()["connected"] is False
            assert (
                client.get("/api/integrations/quickbooks/status", headers=owner2).json()["connected"] is False
            )
    assert any(line.startswith("Console:") and "#key=qbo_" in line for line in lines)


def test_demo_worker_pushes_new_records_to_the_sandbox(tmp_path: Path) -> None:
    import time

    base = make_settings(var_dir=tmp_path / "var", base_url="http://testserver", run_worker=True)
    with demo_sandbox(base, callback=callback_url(base), clock=demo_clock(AS_OF)) as sandbox_url:
        settings = demo_settings(base, host="testserver", port=80, sandbox_url=sandbox_url, today=AS_OF)
        settings = settings.model_copy(update={"base_url": "http://testserver"})
        app = create_app(
            settings,
            startup=(startup := DemoStartup(lambda _l: None)),
            create_schema=True,
            agent_factory=_no_agent,
        )
        with TestClient(app) as client:
            info = startup.info
            office = {"Authorization": f"Bearer {info.keys[Role.OFFICE]}"}
            created = client.post(
                "/api/customers", json={"display_name": "Worker Test Plumbing"}, headers=office
            )
            assert created.status_code == 201
            deadline = time.monotonic() + 20
            customer = created.json()
            while customer["qbo_id"] is None and time.monotonic() < deadline:
                time.sleep(0.2)
                customer = client.get(f"/api/customers/{customer['id']}", headers=office).json()
            assert customer["qbo_id"], customer
            assert customer["sync_status"] == "synced"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_receives_signed_webhooks_for_edits_made_in_quickbooks(tmp_path: Path) -> None:
    """An edit "in QBO" reaches the demo through a signed webhook and the worker's pull, over real HTTP."""
    import time

    import httpx

    from demo.serve import WEBHOOK_PATH
    from integrations.quickbooks.sandbox.server import run_sandbox_server

    port = _free_port()
    base = make_settings(var_dir=tmp_path / "var", base_url=f"http://127.0.0.1:{port}", run_worker=True)
    hook = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    with demo_sandbox(
        base, callback=callback_url(base), clock=demo_clock(AS_OF), webhook_url=hook
    ) as sandbox_url:
        settings = demo_settings(base, host="127.0.0.1", port=port, sandbox_url=sandbox_url, today=AS_OF)
        app = create_app(
            settings,
            startup=(startup := DemoStartup(lambda _l: None)),
            create_schema=True,
            agent_factory=_no_agent,
        )
        with run_sandbox_server(app, "127.0.0.1", port) as app_url:
            info = startup.info
            owner = {"Authorization": f"Bearer {info.keys[Role.OWNER]}"}
            edit = httpx.post(
                f"{sandbox_url}/_sandbox/realms/{info.realm_id}/edits",
                json={
                    "entity": "Customer",
                    "operation": "update",
                    "sparse": True,
                    "body": {"Id": "1", "PrimaryPhone": {"FreeFormNumber": "555-0199"}},
                },
            )
            assert edit.status_code == 200, edit.text
            deadline = time.monotonic() + 20
            phone = None
            while phone != "555-0199" and time.monotonic() < deadline:
                time.sleep(0.3)
                rows = httpx.get(f"{app_url}/api/customers", params={"limit": 200}, headers=owner).json()
                phone = next(c["phone"] for c in rows["items"] if c["qbo_id"] == "1")
            assert phone == "555-0199"
