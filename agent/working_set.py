"""The thread working set: what a follow-up ("which of those…", "send it", "make it 4 hours") refers to.

It is folded from the turn's own messages — the model's tool calls and the tool results — into the graph
state (so it is checkpointed with the thread), and shown to the model in the system prompt, to an LLM and to
the offline model alike. Plain JSON only.

    {"last_query": {"intent": {...}, "count": 3, "doc_numbers": ["1086", ...]},
     "customer": "Bob's Bakery",
     "document": {"kind": "invoice", "doc_number": "1086"},
     "draft": {"customer", "job_description", "lines", "unpriced", "status": "proposed|saved|rejected",
               "estimate": "5035"}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

WorkingSet = dict[str, Any]
MAX_DOC_NUMBERS = 50
_BLOCK = re.compile(r"```json thread-working-set\n(?P<json>.*?)\n```", re.S)
_DOC_TOOLS = {
    "get_invoice": "invoice",
    "send_invoice": "invoice",
    "void_invoice": "invoice",
    "write_off_invoice": "invoice",
    "get_estimate": "estimate",
    "send_estimate": "estimate",
    "convert_estimate_to_invoice": "estimate",
    "update_estimate": "estimate",
}
_KIND_BY_OPERATION = {
    "LIST_INVOICES": "invoice",
    "GET_INVOICE": "invoice",
    "LIST_ESTIMATES": "estimate",
    "GET_ESTIMATE": "estimate",
    "LIST_BILLS": "bill",
}


def _payload(message: ToolMessage) -> dict[str, Any]:
    if isinstance(message.artifact, dict):
        return message.artifact
    try:
        data = json.loads(message.content) if isinstance(message.content, str) else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _unseen(messages: Sequence[BaseMessage], seen: str | None) -> list[BaseMessage]:
    """The messages after the last one already folded (all of them when that one is not found)."""
    if seen:
        for index in range(len(messages) - 1, -1, -1):
            if messages[index].id == seen:
                return list(messages[index + 1 :])
    return list(messages)


def _note_call(ws: WorkingSet, call: dict[str, Any]) -> None:
    name, args = call.get("name") or "", call.get("args") or {}
    if name == "draft_estimate":
        keep = ("customer", "job_description", "lines", "hours", "unpriced")
        ws["draft"] = {
            **{k: args[k] for k in keep if k in args},
            "status": "proposed",
            "call_id": call.get("id"),
        }
    draft = ws.get("draft")
    if (
        name == "update_estimate"
        and draft
        and args.get("lines")
        and draft.get("estimate") == args.get("doc_number")
    ):
        draft.update({"lines": args["lines"], "status": "proposed"})
    if name in _DOC_TOOLS and args.get("doc_number"):
        ws["document"] = {"kind": _DOC_TOOLS[name], "doc_number": str(args["doc_number"]).lstrip("#")}
    if isinstance(args.get("customer"), str):
        ws["customer"] = args["customer"]


def _note_query(ws: WorkingSet, data: dict[str, Any]) -> None:
    intent = data.get("intent") or {}
    rows = [r for r in data.get("results") or [] if isinstance(r, dict)]
    docs = [str(r["DocNumber"]) for r in rows if r.get("DocNumber")][:MAX_DOC_NUMBERS]
    ws["last_query"] = {"intent": intent, "count": len(rows), "doc_numbers": docs}
    kind = _KIND_BY_OPERATION.get(str(intent.get("operation")))
    if kind and len(docs) == 1:
        ws["document"] = {"kind": kind, "doc_number": docs[0]}
    filters = intent.get("filters") or {}
    parties = {
        str((r.get("CustomerRef") or {}).get("name") or r.get("DisplayName") or "")
        for r in rows
        if isinstance(r.get("CustomerRef"), dict) or r.get("DisplayName")
    }
    if filters.get("customerName"):
        ws["customer"] = filters["customerName"]
    elif len(parties) == 1 and "" not in parties:
        ws["customer"] = parties.pop()


def _note_outcome(ws: WorkingSet, message: ToolMessage, data: dict[str, Any]) -> None:
    status, result = data.get("status"), data.get("result") or {}
    draft = ws.get("draft")
    if message.name == "draft_estimate" and draft and draft.get("call_id") == message.tool_call_id:
        if status == "executed" and result.get("estimate"):
            draft.update({"status": "saved", "estimate": str(result["estimate"])})
            ws["document"] = {"kind": "estimate", "doc_number": str(result["estimate"])}
        elif status in ("rejected", "failed"):
            draft["status"] = status
    if message.name == "update_estimate" and status == "executed" and draft:
        draft["status"] = "saved"
    if message.name == "convert_estimate_to_invoice" and status == "executed" and result.get("invoice"):
        ws["document"] = {"kind": "invoice", "doc_number": str(result["invoice"])}


def fold(previous: WorkingSet | None, messages: Sequence[BaseMessage]) -> WorkingSet:
    """The working set after the messages not folded yet (a turn that ended in an approval is folded next time)."""
    ws: WorkingSet = json.loads(json.dumps(previous or {}, default=str))
    for message in _unseen(messages, ws.pop("seen", None)):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                _note_call(ws, dict(call))
        elif isinstance(message, ToolMessage) and message.status != "error":
            data = _payload(message)
            if "results" in data and "intent" in data:
                _note_query(ws, data)
            elif "status" in data:
                _note_outcome(ws, message, data)
    if messages and messages[-1].id:
        ws["seen"] = messages[-1].id
    return ws


def render_block(ws: WorkingSet) -> str:
    """The machine-readable block the system prompt carries (the offline model reads it back)."""
    shown = {k: v for k, v in ws.items() if k != "seen"}
    return "```json thread-working-set\n" + json.dumps(shown, sort_keys=True, default=str) + "\n```"


def read_block(text: str) -> WorkingSet:
    """The working set from a system prompt, or {} when it has none."""
    found = _BLOCK.search(text)
    if not found:
        return {}
    try:
        data = json.loads(found.group("json"))
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
