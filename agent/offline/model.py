"""The offline chat model: deterministic and rule-based, it emits the same tool calls an LLM would.

It serves the demo, the tests and air-gapped installs. Questions go through the intent reader, estimate requests
through the estimate planner, changes through the write-phrasing reader; results come back as plain language.
It says plainly what it did not understand, with examples of what it can do. It never writes anything itself:
its write tool calls are proposals like any model's.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from agent.estimating.planner import plan_estimate
from agent.language.intents import parse_intent
from agent.language.prices import read_price_question
from agent.language.rankings import SHOW_ALL
from agent.language.reports import read_report_request
from agent.language.scope import off_topic, refusal
from agent.offline.actions import read_draft_request, read_write_request
from agent.offline.answers import answer_action, answer_error, answer_query
from agent.offline.followups import read_follow_up, with_references
from agent.offline.report_answers import answer_price, answer_report
from agent.working_set import read_block
from domain.clock import local_today, system_clock
from domain.drafting import CatalogEntry

MODEL_NAME = "qbo-agent-offline"
_TODAY = re.compile(r"Today is (\d{4}-\d{2}-\d{2})")
_SHOW_QUERY = re.compile(
    r"\b(?:show|see|what(?:'s| is| was)?|give|print|display)\b.*\bquer(?:y|ies)\b|"
    r"\bhow did you (?:get|find|look)",
    re.I,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you)\b[\s!.]*$", re.I
)
_THANKS = re.compile(r"^\s*(?:thanks|thank you|thx|ty|cheers)\b[\s!.]*(?:a lot|so much)?[\s!.]*$", re.I)
WRITE_EXAMPLES = (
    "draft an estimate for Jane Cooper: replace a 50 gallon gas water heater, 3.5 hours",
    "turn estimate 5012 into an invoice and send it",
    "record a $500 check from Bob's Bakery for invoice 1042",
    "void invoice 1003",
    "write off the rest of invoice 1010 — customer went bankrupt",
)
_ids = itertools.count(1)
SURE = "offline_sure"  # response metadata: the rules answered this message with confidence (agent.offline.fast_path)


def _sure(text: str) -> AIMessage:
    """A reply the rules are sure of (a refusal, a question back) — as opposed to "I did not understand"."""
    return AIMessage(text, response_metadata={SURE: True})


# A word with the spaces after it: the pieces of a reply join back to exactly the reply.
_WORD = re.compile(r"\S*\s*")


def _call_id() -> str:
    return f"offline_{next(_ids)}"


def _payload(message: ToolMessage) -> dict[str, Any]:
    try:
        data = json.loads(message.content) if isinstance(message.content, str) else {}
    except json.JSONDecodeError:
        return {"error": str(message.content)}
    return data if isinstance(data, dict) else {"value": data}


def stream_chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """A reply as an LLM streams it: word by word, its tool calls (whole) on the last piece."""
    text = message.content if isinstance(message.content, str) else ""
    words = [w for w in _WORD.findall(text) if w] or [""]
    calls = [
        {
            "name": c["name"],
            "args": json.dumps(c["args"]),
            "id": c["id"],
            "index": i,
            "type": "tool_call_chunk",
        }
        for i, c in enumerate(message.tool_calls)
    ]
    for n, word in enumerate(words):
        last = n == len(words) - 1
        yield ChatGenerationChunk(
            message=AIMessageChunk(content=word, tool_call_chunks=calls if last else [])
        )


class OfflineChatModel(BaseChatModel):
    """A ``BaseChatModel`` with ``bind_tools`` whose "reasoning" is the offline readers."""

    catalog: list[CatalogEntry] = Field(default_factory=list)
    today: date | None = None  # used only when the system prompt does not say what today is
    _tools: frozenset[str] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "qbo-agent-offline"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        bound = self.model_copy()
        bound._tools = frozenset(getattr(t, "name", None) or t["function"]["name"] for t in tools)
        return bound

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.reply(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # The rules take microseconds: run them here rather than hop to a worker thread as the default does.
        return self._generate(messages, stop, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from stream_chunks(self.reply(messages))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in stream_chunks(self.reply(messages)):
            yield chunk

    # ---- the rules ------------------------------------------------------------------------------------------

    def reply(self, messages: Sequence[BaseMessage]) -> AIMessage:
        if messages and isinstance(messages[-1], ToolMessage):
            return AIMessage(self._answer_tools(messages))
        human = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
        if human is None:
            return AIMessage("How can I help with the books?")
        return self._read(str(human.content), messages)

    def _today(self, messages: Sequence[BaseMessage]) -> date:
        for m in messages:
            if isinstance(m, SystemMessage):
                found = _TODAY.search(str(m.content))
                if found:
                    return date.fromisoformat(found.group(1))
        return self.today or local_today(system_clock, "UTC")

    def _working_set(self, messages: Sequence[BaseMessage]) -> dict[str, Any]:
        system = next((m for m in messages if isinstance(m, SystemMessage)), None)
        return read_block(str(system.content)) if system is not None else {}

    def _call(self, name: str, args: dict[str, Any], text: str = "") -> AIMessage:
        if self._tools is not None and name not in self._tools:
            return AIMessage(f"I cannot {name.replace('_', ' ')} here.")
        return AIMessage(
            content=text, tool_calls=[{"name": name, "args": args, "id": _call_id(), "type": "tool_call"}]
        )

    def _read(self, text: str, messages: Sequence[BaseMessage]) -> AIMessage:
        if _SHOW_QUERY.search(text):
            return AIMessage(self._last_query(messages))
        if _THANKS.match(text):
            return _sure("You're welcome.")
        if _GREETING.match(text):
            return AIMessage(
                "Hello! Ask me about invoices, estimates, payments or customers, or ask me to "
                "draft an estimate."
            )
        refused = refusal(text)
        if refused is not None:
            return _sure(refused)
        if SHOW_ALL.match(text):
            again = self._last_read_call(messages)
            if again is not None:
                return self._call(again["name"], again["args"])
        draft = read_draft_request(text)
        if draft is not None:
            return self._draft(draft.customer, draft.job)
        working_set = self._working_set(messages)
        write = read_write_request(text)
        if write is not None:
            return self._call(write.name, with_references(write.name, write.args, text, working_set))
        follow_up = read_follow_up(text, working_set, self._today(messages))
        if follow_up is not None:
            if follow_up.tool is None:
                return _sure(follow_up.text)
            return self._call(follow_up.tool, follow_up.args or {})
        item = read_price_question(text)
        if item is not None:
            return self._call("list_items", {"search": item, "limit": 5})
        report = read_report_request(text, self._today(messages))
        if report is not None:
            return self._call("read_report", report)
        parsed = parse_intent(text, self._today(messages))
        if parsed.intent is not None:
            return self._call("query_books", {"intent": parsed.intent.to_json()}, " ".join(parsed.notes))
        elsewhere = off_topic(text)
        if elsewhere is not None:
            return _sure(elsewhere)
        writes = "; ".join(f'"{e}"' for e in WRITE_EXAMPLES)
        return AIMessage(f"{parsed.message} I can also propose changes for your approval, e.g. {writes}.")

    def _draft(self, customer: str | None, job: str) -> AIMessage:
        if not customer:
            return _sure(f'Which customer is this estimate for? Say e.g. "{WRITE_EXAMPLES[0]}".')
        if not self.catalog:
            # No catalog at hand: the draft tool plans the lines against the company's own catalog.
            return self._call("draft_estimate", {"customer": customer, "job_description": job})
        plan = plan_estimate(job, self.catalog)
        if not plan.lines:
            return AIMessage(
                "Nothing in that job matches the catalog, so I cannot draft lines for it. "
                + " ".join(plan.warnings)
            )
        lines = [line.model_dump(mode="json", exclude_none=True) for line in plan.lines]
        args: dict[str, Any] = {"customer": customer, "job_description": job, "lines": lines}
        if plan.discounts:
            args["discounts"] = [d.model_dump(mode="json", exclude_none=True) for d in plan.discounts]
        if plan.warnings:
            args["unpriced"] = plan.warnings
        return self._call("draft_estimate", args)

    @staticmethod
    def _last_read_call(messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
        """The last question asked of the books (query or report), to ask again in full."""
        for m in reversed(messages):
            if isinstance(m, AIMessage):
                for call in reversed(m.tool_calls):
                    if call["name"] in {"query_books", "read_report"}:
                        return {"name": call["name"], "args": call["args"]}
        return None

    def _last_query(self, messages: Sequence[BaseMessage]) -> str:
        for m in reversed(messages):
            if isinstance(m, ToolMessage):
                query = _payload(m).get("query")
                if query:
                    return f"Here is the QuickBooks query I ran:\n{query}"
        return "I have not run a query in this conversation yet."

    def _answer_tools(self, messages: Sequence[BaseMessage]) -> str:
        results: list[ToolMessage] = []
        asked: BaseMessage | None = None
        for m in reversed(messages):
            if not isinstance(m, ToolMessage):
                asked = m
                break
            results.append(m)
        human = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
        show_all = human is not None and SHOW_ALL.match(str(human.content)) is not None
        # What the call said alongside it (a date that could not be applied) is part of the answer.
        parts = [str(asked.content)] if isinstance(asked, AIMessage) and asked.content else []
        for m in reversed(results):
            data = _payload(m)
            if "error" in data and "status" not in data:
                parts.append(answer_error(data))
            elif "status" in data and "approval_id" in data:
                parts.append(answer_action(m.name or "", data))
            elif "best" in data:
                parts.append(answer_price(data))
            elif "report" in data:
                parts.append(answer_report(data, show_all=show_all))
            elif "results" in data:
                parts.append(answer_query(data, show_all=show_all))
            else:
                parts.append(json.dumps(data, default=str))
        return "\n\n".join(parts)
