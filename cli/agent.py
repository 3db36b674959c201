"""``qbo-agent intent | ask | draft | chat | audit`` (DESIGN §3.2).

stdout carries only the answer (one JSON object per line with ``--json`` / ``intent``); everything else goes to
stderr so scripts can read the output line by line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.estimating.catalog import catalog_from_company, company_tax_rate
from agent.estimating.planner import draft_estimate
from agent.language.decisions import decision_from_words
from demo.company import demo_day
from domain.db import make_engine
from domain.errors import AppError
from domain.models import Tenant
from domain.models.tenancy import Role
from domain.names import resolve_name
from domain.services.audit import list_audit, verify_chain
from integrations.quickbooks.mapping.lists import name_candidates_from_qbo
from integrations.quickbooks.sandbox.fixture import load_demo_company

# LangChain and LangGraph take about two seconds to import; only intent, ask and chat need them, so those
# imports stay inside the functions that use them and `draft`, `audit` and `--help` start at once.

DEFAULT_DB = "sqlite:///var/qbo_agent.sqlite"


def _whole_exponent(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= 0


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and _whole_exponent(value) else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=_encode, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def warn(text: str) -> None:
    typer.echo(text, err=True)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"'{text}' is not a date (YYYY-MM-DD)") from exc


def _lines(path: Path, key: str) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise typer.BadParameter(f"{path}:{number} is not JSON: {exc}") from exc
            if isinstance(row, str):
                row = {key: row}
            if not isinstance(row, dict) or not row.get(key):
                raise typer.BadParameter(f"{path}:{number} has no '{key}'")
            yield row


def _inputs(text: str | None, from_file: Path | None, key: str) -> list[dict[str, Any]]:
    if from_file is not None:
        return list(_lines(from_file, key))
    if not text:
        raise typer.BadParameter(f"give a {key} or --from-file")
    return [{key: text}]


def _today(option: str | None) -> date:
    """``--today`` if given, else today in the company's zone: the same rule as ``serve --demo``."""
    return demo_day(_day(option))


# ---- intent -------------------------------------------------------------------------------------------------


def _intent_lines(rows: list[dict[str, Any]], today: date, provider: str, demo: bool) -> None:
    from agent.intent_reader import read_offline, read_with_model, resolve_against_company
    from agent.models import make_chat_model

    # Names come back as the company spells them. The command has no database, so the company is the demo
    # company (with or without --demo); a name it does not know stays as written, with a note on stderr.
    del demo
    company = load_demo_company()
    model = make_chat_model(provider="openai") if provider == "openai" else None
    for row in rows:
        day = _day(row.get("today")) or today
        try:
            if model is not None:
                intent = asyncio.run(
                    read_with_model(model, row["utterance"], day, timezone="America/Los_Angeles")
                )
            else:
                intent = read_offline(row["utterance"], day)
            if company is not None:
                try:
                    intent = resolve_against_company(intent, company)
                except AppError as exc:
                    warn(f"{row['utterance']!r}: {exc.message}")
            emit(intent.to_json())
        except AppError as exc:
            warn(f"{row['utterance']!r}: {exc.message}")
            emit({"error": exc.message, "code": exc.code})


# ---- ask ------------------------------------------------------------------------------------------------------


async def _ask_all(rows: list[dict[str, Any]], today: date, provider: str | None) -> list[dict[str, Any]]:
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.graph import build_graph
    from demo.runtime import ask_once, open_demo

    out = []
    async with AsyncExitStack() as stack:
        graphs: dict[date, tuple[Any, Any]] = {}
        for row in rows:
            day = _day(row.get("today")) or today
            if day not in graphs:
                runtime = await stack.enter_async_context(open_demo(day))
                graphs[day] = (
                    runtime,
                    build_graph(runtime.model(provider=provider), runtime.toolbox, InMemorySaver()),
                )
            runtime, graph = graphs[day]
            out.append(await ask_once(runtime, graph, row.get("question") or row.get("utterance") or ""))
    return out


# ---- draft ----------------------------------------------------------------------------------------------------


def _draft_one(job: str, customer: str | None, today: date) -> dict[str, Any]:
    company = load_demo_company(today)
    tax_exempt, notes = False, []
    if customer:
        try:
            chosen = resolve_name(
                customer, name_candidates_from_qbo(company.get("Customer", [])), kind="customer"
            )
            record = next(c for c in company["Customer"] if str(c["Id"]) == chosen.id)
            tax_exempt = not bool(record.get("Taxable", True))
        except AppError as exc:
            notes.append(exc.message)
    draft, _ = draft_estimate(
        job, catalog_from_company(company), tax_rate_percent=company_tax_rate(company), tax_exempt=tax_exempt
    )
    result: dict[str, Any] = json.loads(draft.to_json())
    result["warnings"] = [*notes, *result.get("warnings", [])]
    return result


# ---- chat -----------------------------------------------------------------------------------------------------


def _show_interrupt(payload: dict[str, Any]) -> None:
    request = payload["action_requests"][0]
    typer.echo(f"\nApproval needed ({payload.get('required_role')} or above): {request['description']}")
    preview = payload.get("preview") or {}
    for key, value in preview.items():
        if value not in (None, [], {}, ""):
            typer.echo(
                f"  {key}: {json.dumps(value, default=str) if isinstance(value, dict | list) else value}"
            )
    if payload.get("refused"):
        typer.echo(f"  (not accepted: {payload['refused']})")
    typer.echo("Approve, reject (with a reason) or edit (e.g. 'make it $400')?")


async def _chat(today: date, role_name: str, provider: str | None) -> None:
    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    from agent.graph import build_graph
    from demo.runtime import open_demo

    role = Role(role_name)
    async with open_demo(today) as runtime:
        graph = build_graph(runtime.model(provider=provider), runtime.toolbox, InMemorySaver())
        config = {"configurable": {"thread_id": "terminal-chat"}}
        context = runtime.context(role)
        typer.echo(
            f"{runtime.company_name} — {context.user_name} ({role.value}). Empty line or Ctrl-D quits."
        )
        payload: Any = None
        while True:
            try:
                text = input("\nhuman> " if payload is None else "decision> ").strip()
            except EOFError:
                return
            if not text:
                return
            try:
                if payload is not None:
                    decision = decision_from_words(text, payload["action_requests"][0])
                    if decision is None:
                        typer.echo("Please say yes, no (with a reason), or an edit like 'make it $400'.")
                        continue
                    decision["action_hash"] = payload["action_hash"]
                    out = await graph.ainvoke(
                        Command(resume={"decisions": [decision]}), config, context=context
                    )
                else:
                    out = await graph.ainvoke({"messages": [HumanMessage(text)]}, config, context=context)
            except AppError as exc:
                typer.echo(f"error: {exc.message}")
                payload = None
                continue
            interrupts = out.get("__interrupt__") or []
            payload = interrupts[0].value if interrupts else None
            if payload is not None:
                _show_interrupt(payload)
            else:
                typer.echo(f"assistant> {out['messages'][-1].content}")


# ---- audit ----------------------------------------------------------------------------------------------------


def _audit(url: str, tenant: str | None, verify: bool, as_json: bool, limit: int) -> int:
    engine = make_engine(url)
    broken = 0
    with Session(engine) as session:
        query = select(Tenant).order_by(Tenant.name)
        if tenant:
            query = query.where((Tenant.id == tenant) | (Tenant.name == tenant))
        for t in session.scalars(query):
            for row in list_audit(session, t.id, limit=limit):
                data = {
                    "tenant": t.name,
                    "seq": row.seq,
                    "at": row.at.isoformat(),
                    "actor": row.actor,
                    "action": row.action,
                    "entity": row.entity,
                    "entity_id": row.entity_id,
                    "detail": row.detail,
                    "hash": row.hash,
                }
                if as_json:
                    emit(data)
                else:
                    typer.echo(
                        f"{t.name} #{row.seq} {row.at:%Y-%m-%d %H:%M:%S} {row.actor}: {row.action} "
                        f"{row.entity} {row.entity_id or ''}"
                    )
            if verify:
                report = verify_chain(session, t.id)
                status = "ok" if report.ok else f"BROKEN at #{report.broken_at_seq}: {report.reason}"
                warn(f"{t.name}: {report.rows} rows, chain {status}")
                broken += 0 if report.ok else 1
    engine.dispose()
    return 1 if broken else 0


def register(app: typer.Typer) -> None:
    @app.command("intent")
    def intent(
        utterance: str | None = typer.Argument(None, help="The question, e.g. 'overdue invoices over $500'"),
        today: str | None = typer.Option(None, "--today", help="Resolve relative dates against this day"),
        provider: str = typer.Option("offline", "--provider", help="offline | openai"),
        demo: bool = typer.Option(False, "--demo", help="Resolve names against the demo company"),
        from_file: Path | None = typer.Option(None, "--from-file", help="JSON lines {utterance, today}"),
    ) -> None:
        """Print the QboIntent for each question, one JSON object per line."""
        if provider not in ("offline", "openai"):
            raise typer.BadParameter("--provider is offline or openai")
        _intent_lines(_inputs(utterance, from_file, "utterance"), _today(today), provider, demo)

    @app.command("ask")
    def ask(
        question: str | None = typer.Argument(None),
        demo: bool = typer.Option(False, "--demo", help="Answer from the demo company (sandbox QBO)"),
        today: str | None = typer.Option(None, "--today"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per question"),
        from_file: Path | None = typer.Option(
            None, "--from-file", help="JSON lines {question|utterance, today}"
        ),
        provider: str | None = typer.Option(
            None, "--provider", help="offline | openai (default: configured)"
        ),
    ) -> None:
        """Answer questions about the books: language → intent → QBO query → data → answer."""
        rows = _question_rows(question, from_file)
        if not demo:
            warn("no company is connected from the command line; answering from the demo company")
        results = asyncio.run(_ask_all(rows, _today(today), provider))
        for result in results:
            if as_json:
                emit(result)
            else:
                typer.echo(result["answer"])

    @app.command("draft")
    def draft(
        job: str | None = typer.Argument(None),
        demo: bool = typer.Option(False, "--demo"),
        customer: str | None = typer.Option(None, "--customer"),
        today: str | None = typer.Option(None, "--today"),
        as_json: bool = typer.Option(False, "--json"),
        from_file: Path | None = typer.Option(None, "--from-file", help="JSON lines {job, customer, today}"),
    ) -> None:
        """Draft an estimate from a job description against the catalog (nothing is saved)."""
        if not demo:
            warn("drafting against the demo company's catalog")
        for row in _inputs(job, from_file, "job"):
            day = _day(row.get("today")) or _today(today)
            result = _draft_one(row["job"], row.get("customer") or customer, day)
            if as_json:
                emit(result)
            else:
                est = result["estimate"]
                for line in est["lines"]:
                    typer.echo(
                        f"{line['quantity']:>6} × {line['item_name'] or '(note)'} = {line['line_subtotal']}"
                    )
                typer.echo(f"total {est['total']}")
                for w in result["warnings"]:
                    typer.echo(f"warning: {w}")

    @app.command("chat")
    def chat(
        demo: bool = typer.Option(False, "--demo"),
        today: str | None = typer.Option(None, "--today"),
        role: str = typer.Option("owner", "--role", help="owner | admin | office | technician"),
        provider: str | None = typer.Option(None, "--provider"),
    ) -> None:
        """Chat with the assistant in the terminal; writes ask for your approval."""
        if not demo:
            warn("chatting with the demo company")
        asyncio.run(_chat(_today(today), role, provider))

    @app.command("audit")
    def audit(
        verify: bool = typer.Option(False, "--verify", help="Recompute the hash chain"),
        url: str | None = typer.Option(None, "--url", help="Database URL (default: QBO_AGENT_DATABASE_URL)"),
        tenant: str | None = typer.Option(None, "--tenant", help="Tenant id or name"),
        as_json: bool = typer.Option(False, "--json"),
        limit: int = typer.Option(1000, "--limit"),
    ) -> None:
        """List the audit log and (with --verify) check its hash chain; exits 1 when a chain is broken."""
        raise typer.Exit(
            _audit(
                url or os.environ.get("QBO_AGENT_DATABASE_URL") or DEFAULT_DB, tenant, verify, as_json, limit
            )
        )


def _question_rows(question: str | None, from_file: Path | None) -> list[dict[str, Any]]:
    """Question lines may say "question" or "utterance" (the intent evaluation files use the latter)."""
    if from_file is None:
        return _inputs(question, None, "question")
    rows = []
    with from_file.open(encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            row = json.loads(raw)
            text = row if isinstance(row, str) else (row.get("question") or row.get("utterance"))
            if not text:
                raise typer.BadParameter(f"{from_file}:{number} has no question")
            rows.append({"question": text, "today": None if isinstance(row, str) else row.get("today")})
    return rows
