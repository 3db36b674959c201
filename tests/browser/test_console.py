"""The staff console, the widget on another origin and the customer's estimate page, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from domain.models import Role
from tests.api.live import serve
from tests.browser.conftest import Demo

# One worker runs them in order, sharing one demo server.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _open_console(page: Any, demo: Demo, role: Role = Role.OWNER) -> None:
    page.goto(f"{demo.base}/console#key={demo.info.keys[role]}")
    page.wait_for_selector("#whoami:not(:empty)")


def test_question_streams_an_answer(page: Any, demo: Demo) -> None:
    _open_console(page, demo)
    page.locator("#qbo-status", has_text="connected (").wait_for()
    page.fill("#prompt", "How many open invoices do we have?")
    page.click("#send")
    answer = page.locator(".msg.assistant.final").last
    answer.wait_for()
    assert re.search(r"\d+ invoices", answer.inner_text()), answer.inner_text()
    # The tool call was shown while the answer was on its way.
    assert page.locator(".msg.tool", has_text="query_books").count() >= 1


def test_draft_estimate_approve_on_card_and_see_it_saved(page: Any, demo: Demo) -> None:
    _open_console(page, demo, Role.OFFICE)
    page.fill(
        "#prompt", "Draft an estimate for Jane Cooper: replace a 50 gallon gas water heater, about 3 hours"
    )
    page.click("#send")
    card = page.locator(".messages .card.approval").last
    card.wait_for()
    assert "Jane Cooper" in card.inner_text()
    total = card.locator("[data-field=total]").inner_text()
    assert re.search(r"\d", total)
    card.locator("button.approve").click()
    saved = page.locator(".msg.assistant.final", has_text="Saved draft estimate").last
    saved.wait_for()
    doc = re.search(r"Saved draft estimate (\S+) for", saved.inner_text())
    assert doc, saved.inner_text()
    owner = {"Authorization": f"Bearer {demo.info.keys[Role.OWNER]}"}
    estimates = httpx.get(f"{demo.base}/api/estimates", params={"limit": 200}, headers=owner).json()["items"]
    assert any(e["doc_number"] == doc.group(1) and e["status"] == "draft" for e in estimates)
    # The side panel's list shows it too, and the inbox is empty again.
    page.click("[data-tab=estimates]")
    page.locator("#tab-estimates tr", has_text=doc.group(1)).wait_for()


def test_widget_on_another_origin(page: Any, demo: Demo) -> None:
    owner = {"Authorization": f"Bearer {demo.info.keys[Role.OFFICE]}"}
    minted = httpx.post(f"{demo.base}/api/embed/tokens", json={"origin": demo.host_origin}, headers=owner)
    assert minted.status_code == 201, minted.text
    token = minted.json()["token"]

    async def host_page(_request: Any) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><body><h1>Contractor portal</h1>"
            f'<script src="{demo.base}/static/widget.js" data-token="{token}"></script></body></html>'
        )

    host = Starlette(routes=[Route("/", host_page)])
    with serve(host, demo.host_port) as host_url:
        page.goto(host_url)
        page.click("#qbo-agent-widget-button")
        frame = page.frame_locator("#qbo-agent-widget-frame")
        frame.locator("#prompt").fill("How many open invoices do we have?")
        frame.locator("#send").click()
        answer = frame.locator(".msg.assistant.final").last
        answer.wait_for()
        assert re.search(r"\d+ invoices", answer.inner_text()), answer.inner_text()


def test_widget_frame_refuses_other_hosts(demo: Demo) -> None:
    owner = {"Authorization": f"Bearer {demo.info.keys[Role.OFFICE]}"}
    token = httpx.post(
        f"{demo.base}/api/embed/tokens", json={"origin": demo.host_origin}, headers=owner
    ).json()["token"]
    frame = httpx.get(f"{demo.base}/embed", params={"token": token})
    assert frame.headers["content-security-policy"] == f"frame-ancestors {demo.host_origin}"
    assert (
        httpx.post(
            f"{demo.base}/api/embed/tokens", json={"origin": "http://127.0.0.1:1"}, headers=owner
        ).status_code
        == 403
    )


def test_customer_approves_through_public_link(page: Any, demo: Demo) -> None:
    office = {"Authorization": f"Bearer {demo.info.keys[Role.OFFICE]}"}
    customers = httpx.get(f"{demo.base}/api/customers", params={"q": "jane cooper"}, headers=office).json()[
        "items"
    ]
    items = httpx.get(f"{demo.base}/api/items", params={"q": "labor - standard"}, headers=office).json()[
        "items"
    ]
    created = httpx.post(
        f"{demo.base}/api/estimates",
        headers=office,
        json={
            "customer_id": customers[0]["id"],
            "title": "Fix leaking valve",
            "lines": [
                {"type": "labor", "name": items[0]["name"], "item_id": items[0]["id"], "quantity": "2"}
            ],
        },
    )
    assert created.status_code == 201, created.text
    estimate = created.json()
    link = httpx.post(f"{demo.base}/api/estimates/{estimate['id']}/send", headers=office).json()["public_url"]

    page.goto(link)
    assert page.locator("#estimate-status").inner_text() == "Viewed"
    page.fill("#signed_by", "Jane Cooper")
    page.click("#approve-button")
    page.locator("#approved-notice").wait_for()
    assert "Approved by Jane Cooper" in page.locator("#approved-notice").inner_text()
    saved = httpx.get(f"{demo.base}/api/estimates/{estimate['id']}", headers=office).json()
    assert saved["status"] == "approved" and saved["approved_by"] == "Jane Cooper"
    assert saved["approved_at"]


def test_owner_reconnects_quickbooks_from_the_console(page: Any, demo: Demo) -> None:
    owner = {"Authorization": f"Bearer {demo.info.keys[Role.OWNER]}"}
    gone = httpx.post(f"{demo.base}/api/integrations/quickbooks/disconnect", headers=owner)
    assert gone.json()["connected"] is False
    _open_console(page, demo)
    page.locator("#qbo-status", has_text="disconnected").wait_for()
    # Through the sandbox's consent (auto-approved) and back to our callback, in the browser.
    page.click("#qbo-connect")
    page.wait_for_url(re.compile(r".*/console\?qbo=connected"))
    page.locator("#qbo-status", has_text="connected (").wait_for()
    status = httpx.get(f"{demo.base}/api/integrations/quickbooks/status", headers=owner).json()
    assert status["connected"] is True and status["realm_id"] == demo.info.realm_id


def test_office_declines_a_technicians_draft_from_the_inbox(page: Any, demo: Demo) -> None:
    tech = {"Authorization": f"Bearer {demo.info.keys[Role.TECHNICIAN]}"}
    proposed = httpx.post(
        f"{demo.base}/api/chat",
        json={"message": "Draft an estimate for Jane Cooper: install a kitchen faucet, about 2 hours"},
        headers=tech,
        timeout=60,
    ).json()
    assert proposed["status"] == "awaiting_approval", proposed
    approval_id = proposed["approvals"][0]["approval_id"]
    _open_console(page, demo, Role.OFFICE)
    card = page.locator(f"#tab-approvals .card[data-approval-id='{approval_id}']")
    card.wait_for()
    assert "Jane Cooper" in card.inner_text()
    card.locator("button.reject").click()  # first click asks for a reason
    card.locator("input.reject-reason").fill("customer wants a quote for two faucets")
    card.locator("button.reject").click()
    page.locator(".msg.tool", has_text="draft_estimate").last.wait_for()
    office = {"Authorization": f"Bearer {demo.info.keys[Role.OFFICE]}"}
    decided = httpx.get(f"{demo.base}/api/approvals/{approval_id}", headers=office).json()
    assert decided["status"] == "rejected"
    assert decided["decision_message"] == "customer wants a quote for two faucets"
    assert decided["decided_by"].startswith("Oscar Office")
    page.locator(f"#tab-approvals .card[data-approval-id='{approval_id}']").wait_for(state="detached")
