"""The agent's command line: stdout holds only JSON lines, one per input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli import agent as cli_agent
from domain.context import Actor
from domain.db import Base, make_engine
from domain.intent import QboIntent
from domain.models import AuditLog, Role
from domain.services.audit import record_audit
from domain.services.tenants import create_tenant

LANGUAGE = Path(__file__).parents[1] / "agent" / "language"
ESTIMATING = Path(__file__).parents[1] / "agent" / "estimating"


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    cli_agent.register(app)
    return app


def run(cli: typer.Typer, *args: str) -> tuple[list[dict], str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines], result.stderr


def test_intent_prints_one_intent_per_utterance(cli, tmp_path: Path) -> None:
    source = LANGUAGE / "intents_public.jsonl"
    if not source.exists():
        pytest.skip("intents_public.jsonl is not in the repository")
    path = tmp_path / "intents.jsonl"
    shutil.copy(source, path)
    expected = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    out, _ = run(cli, "intent", "--demo", "--from-file", str(path))
    assert len(out) == len(expected)
    for row in out:
        QboIntent.model_validate(row)
    assert out[0]["filters"]["dateFrom"] == "2026-02-01" and out[0]["filters"]["status"] == "open"
    [single], _ = run(cli, "intent", "--today", "2026-03-18", "paid invoices last quarter")
    assert single["filters"] == {
        **single["filters"],
        "status": "paid",
        "dateFrom": "2025-10-01",
        "dateTo": "2025-12-31",
    }


def test_intent_names_resolve_against_the_demo_company(cli) -> None:
    [row], _ = run(cli, "intent", "--demo", "--today", "2026-03-18", "open invoices for bobs bakery")
    assert row["filters"]["customerName"] == "Bob's Bakery"
    # Without --demo too: the command has no database, so the demo company is the list names resolve against.
    [row], _ = run(cli, "intent", "--today", "2026-03-18", "total outstanding for Greenfield Apartments")
    assert row["filters"]["customerName"] == "Greenfield Apartments LLC"
    [row], err = run(cli, "intent", "--today", "2026-03-18", "invoices for Zebra Widgets last month")
    assert row["filters"]["customerName"] == "Zebra Widgets" and "Zebra Widgets" in err


def test_ask_reports_the_intent_with_the_companys_spelling(cli) -> None:
    [row], _ = run(
        cli, "ask", "--demo", "--today", "2026-03-18", "--json", "total outstanding for Greenfield"
    )
    assert row["intent"]["filters"]["customerName"] == "Greenfield Apartments LLC"
    assert row["aggregate"]["kind"] == "sum" and "CustomerRef = '4'" in row["query"]


def test_ask_answers_with_intent_query_results_aggregate_and_text(cli, tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(
        json.dumps({"utterance": "How much did ACME Corp pay us this quarter?", "today": "2026-03-18"})
        + "\n"
        + json.dumps({"question": "show invoice 1042"})
        + "\n"
    )
    out, _ = run(cli, "ask", "--demo", "--today", "2026-03-18", "--json", "--from-file", str(path))
    assert len(out) == 2
    paid, invoice = out
    assert set(paid) >= {"intent", "query", "results", "aggregate", "answer"}
    assert paid["intent"]["operation"] == "LIST_PAYMENTS" and paid["aggregate"]["kind"] == "sum"
    assert paid["aggregate"]["value"] == pytest.approx(sum(r["TotalAmt"] for r in paid["results"]))
    assert "CustomerRef = '1'" in paid["query"] and "$" in paid["answer"]
    assert [r["DocNumber"] for r in invoice["results"]] == ["1042"] and "1042" in invoice["answer"]
    [single], _ = run(cli, "ask", "--demo", "--today", "2026-03-18", "--json", "what did we sing yesterday")
    assert single["intent"] is None and single["results"] == [] and "could not tell" in single["answer"]


def test_draft_prints_one_estimate_draft_per_job(cli, tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    shutil.copy(ESTIMATING / "estimates_public.jsonl", path)
    jobs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    out, _ = run(cli, "draft", "--demo", "--json", "--from-file", str(path))
    assert len(out) == len(jobs)
    first = {line["item_name"]: line["quantity"] for line in out[0]["estimate"]["lines"]}
    for name, qty in jobs[0]["expect"]["required"].items():
        assert first[name] == qty
    assert set(out[0]) == {"estimate", "explanations", "warnings"}
    [one], _ = run(
        cli, "draft", "--demo", "--customer", "Jane Cooper", "--json", "Install two new toilets, 2 hours"
    )
    assert {line["item_name"] for line in one["estimate"]["lines"]} >= {
        "Toilet - Standard",
        "Labor - Standard",
    }


def test_audit_lists_and_verifies_the_chain(cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as s, s.begin():
        tenant = create_tenant(s, "Chain Co")
        actor = Actor(tenant_id=tenant.id, user_id="u", role=Role.OWNER, name="Dana")
        for i in range(3):
            record_audit(s, actor, "agent.tool_call", "agent_thread", "t", detail={"i": i})
    out, err = run(cli, "audit", "--verify", "--json", "--url", url)
    assert [r["seq"] for r in out] == [1, 2, 3] and "chain ok" in err
    with Session(engine) as s, s.begin():
        s.execute(update(AuditLog).where(AuditLog.seq == 2).values(action="tampered"))
    result = CliRunner().invoke(cli, ["audit", "--verify", "--url", url])
    assert result.exit_code == 1 and "BROKEN at #2" in result.stderr
    engine.dispose()


def test_chat_asks_for_approval_and_takes_a_no_in_words(cli) -> None:
    script = "void invoice 1093\nmaybe\nno, wrong invoice\nshow invoice 1093\n\n"
    result = CliRunner().invoke(
        cli, ["chat", "--demo", "--today", "2026-03-18", "--role", "owner"], input=script
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Approval needed (admin or above): Void invoice 1093" in out
    assert "Please say yes, no" in out  # "maybe" is not a decision
    assert "OK — I did not do that. (wrong invoice)" in out
    assert "Invoice #1093" in out and "balance $149.00" in out  # still open: nothing was voided


def test_every_demo_command_shifts_the_company_to_the_same_day(cli) -> None:
    """`ask`, `chat` and `serve --demo` share one rule: --today if given, else today; asOf moves to it."""
    from datetime import date

    from demo.company import demo_as_of, demo_day
    from integrations.quickbooks.sandbox.fixture import load_demo_company

    stored = next(i for i in load_demo_company()["Invoice"] if i["DocNumber"] == "1093")["TxnDate"]
    [pinned], _ = run(
        cli, "ask", "--demo", "--today", demo_as_of().isoformat(), "--json", "show invoice 1093"
    )
    assert pinned["results"][0]["TxnDate"] == stored
    [unpinned], _ = run(cli, "ask", "--demo", "--json", "show invoice 1093")
    moved = date.fromisoformat(unpinned["results"][0]["TxnDate"]) - date.fromisoformat(stored)
    assert moved == demo_day() - demo_as_of()
    chat = CliRunner().invoke(cli, ["chat", "--demo", "--role", "owner"], input="show invoice 1093\n\n")
    assert chat.exit_code == 0, chat.stderr
    assert f"Invoice #1093, Maple Street Dental, {date.fromisoformat(stored) + moved}," in chat.stdout
