"""A small rule-following chat model that streams its answers word by word and calls the real tools.

It stands in for an LLM in the browser tests: what it says is scripted by keyword, but the tool calls go
through the real graph, real tools, real approvals and the real domain.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

_ids = itertools.count(1)

DRAFT_ARGS = {
    "customer": "Jane Cooper",
    "job_description": "Replace a 50 gallon gas water heater, about 3 hours",
    "lines": [
        {"item_name": "Water Heater 50 gal Gas", "quantity": "1", "rationale": "the new heater"},
        {"item_name": "Labor - Standard", "hours": "3", "rationale": "swap and test"},
    ],
    "title": "Water heater replacement",
}


def _reply(messages: list[BaseMessage]) -> AIMessage:
    last = messages[-1]
    if isinstance(last, ToolMessage):
        data = json.loads(str(last.content))
        if last.name == "list_items":
            items = data.get("items") or data.get("results") or []
            names = ", ".join(
                f"{i.get('name') or i.get('Name')} at {i.get('Rate') or i.get('rate')}" for i in items[:3]
            )
            return AIMessage(f"Here is what the catalog has: {names}.")
        if data.get("status") == "executed":
            result = data.get("result", {})
            return AIMessage(f"Saved estimate {result.get('estimate')} for {result.get('total')}.")
        return AIMessage(f"Nothing was saved ({data.get('status', 'unknown')}).")
    question = str(last.content).lower() if isinstance(last, HumanMessage) else ""
    if "estimate" in question:
        return AIMessage(
            "",
            tool_calls=[
                {
                    "name": "draft_estimate",
                    "args": DRAFT_ARGS,
                    "id": f"call_{next(_ids)}",
                    "type": "tool_call",
                }
            ],
        )
    if "water heater" in question or "catalog" in question:
        return AIMessage(
            "",
            tool_calls=[
                {
                    "name": "list_items",
                    "args": {"search": "water heater", "limit": 5},
                    "id": f"call_{next(_ids)}",
                    "type": "tool_call",
                }
            ],
        )
    return AIMessage("I can look up catalog prices and draft estimates.")


class RuleModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "rule-model"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> RuleModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=_reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = _reply(messages)
        if reply.tool_calls:
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": i,
                            "type": "tool_call_chunk",
                        }
                        for i, c in enumerate(reply.tool_calls)
                    ],
                )
            )
            return
        words = str(reply.content).split(" ")
        for n, word in enumerate(words):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word if n == 0 else " " + word))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
