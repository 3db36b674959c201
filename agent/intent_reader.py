"""One utterance → one QboIntent, with the offline reader or a chat model forced to call ``query_books``."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from agent.errors import describe_error
from agent.language.intents import parse_intent, resolve_names
from domain.errors import AppError
from domain.intent import QboIntent
from integrations.quickbooks.mapping.lists import name_candidates_from_qbo
from tools.read import QueryBooks


class IntentNotUnderstood(AppError):
    status = 422
    code = "intent_not_understood"
    title = "Question not understood"


def read_offline(utterance: str, today: date) -> QboIntent:
    parsed = parse_intent(utterance, today)
    if parsed.intent is None:
        raise IntentNotUnderstood(parsed.message or "not understood")
    return parsed.intent


async def read_with_model(model: BaseChatModel, utterance: str, today: date, *, timezone: str) -> QboIntent:
    """Ask the model for exactly one ``query_books`` call and validate its intent."""
    bound = model.bind_tools([QueryBooks()], tool_choice="query_books")
    system = (
        f"Turn the user's question about their QuickBooks books into a QboIntent by calling query_books. "
        f"Today is {today.isoformat()} ({timezone}). Resolve relative dates against it; 'last month' is "
        "the whole previous calendar month. Statuses: open, overdue, paid, partial for invoices and bills; "
        "pending, accepted, closed, rejected for estimates. Keep names as the user wrote them. "
        "Read office shorthand: inv = invoice, est = estimate, pmt = payment, recvd = received, qtr = quarter, "
        "yr = year, ytd = year to date (Jan 1 through today), AR / A/R = open invoices, AP = open bills, "
        "rn = right now. 'since Monday' is Monday through today; 'last 30 days' is today-30 through today; "
        "'in oct' is the most recent October not in the future. Never drop a date or a name the user gave."
    )
    reply = await bound.ainvoke([SystemMessage(system), HumanMessage(utterance)])
    calls = getattr(reply, "tool_calls", None) or []
    if not calls:
        raise IntentNotUnderstood(str(reply.content) or "the model did not produce a query")
    try:
        return QboIntent.model_validate(calls[0]["args"].get("intent", calls[0]["args"]))
    except ValidationError as exc:
        raise IntentNotUnderstood(describe_error(exc)) from exc


def resolve_against_company(intent: QboIntent, company: dict[str, Any]) -> QboIntent:
    """Names as the company spells them (raises UnknownName / AmbiguousName rather than guessing)."""
    return resolve_names(
        intent,
        name_candidates_from_qbo(company.get("Customer", [])),
        name_candidates_from_qbo(company.get("Vendor", [])),
    )
