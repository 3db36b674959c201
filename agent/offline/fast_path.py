"""A fast path in front of an LLM: when the rule-based readers are sure, they answer without an LLM call.

A message the offline model turns into a tool call (a question it parsed, a write or draft it read, a follow-up on
the working set) is answered by it end to end — the call and then the reply to its results; so are its sure
replies (a refusal, a question back). Everything else (a message it did not understand, results of the LLM's own
calls) goes to the LLM. Same tools,
same approvals: the fast path only saves the cost and latency of the easy turns. ``calls`` counts who answered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from agent.offline.model import SURE, OfflineChatModel

FAST = "fast_path"


def _asking(messages: Sequence[BaseMessage]) -> AIMessage | None:
    """The model message whose tool calls the trailing tool results answer, if the turn is at that point."""
    if not messages or not isinstance(messages[-1], ToolMessage):
        return None
    for m in reversed(messages):
        if not isinstance(m, ToolMessage):
            return m if isinstance(m, AIMessage) else None
    return None


class FastPathModel(BaseChatModel):
    """Offline readers first when they are sure; the LLM for everything else."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    llm: Any
    offline: OfflineChatModel
    _calls: Counter[str] = PrivateAttr(default_factory=Counter)

    @property
    def _llm_type(self) -> str:
        return "qbo-agent-fast-path"

    @property
    def calls(self) -> Counter[str]:
        """How many model calls each side answered (shared with the bound copies)."""
        return self._calls

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> FastPathModel:
        bound = FastPathModel(
            llm=self.llm.bind_tools(tools, **kwargs), offline=self.offline.bind_tools(tools)
        )
        bound._calls = self._calls
        return bound

    def _fast(self, messages: list[BaseMessage]) -> AIMessage | None:
        asked = _asking(messages)
        if asked is not None:
            if not asked.response_metadata.get(FAST):
                return None  # the LLM made these calls; it reads their results
            reply = self.offline.reply(messages)
        elif messages and isinstance(messages[-1], HumanMessage):
            reply = self.offline.reply(messages)
            if not reply.tool_calls and not reply.response_metadata.get(SURE):
                return None  # not understood: the LLM may do better
        else:
            return None
        reply.response_metadata = {**reply.response_metadata, FAST: True}
        return reply

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._fast(messages)
        if reply is not None:
            self.calls[FAST] += 1
            return ChatResult(generations=[ChatGeneration(message=reply)])
        self.calls["llm"] += 1
        return ChatResult(generations=[ChatGeneration(message=self.llm.invoke(messages, stop=stop))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._fast(messages)
        if reply is not None:
            self.calls[FAST] += 1
            return ChatResult(generations=[ChatGeneration(message=reply)])
        self.calls["llm"] += 1
        return ChatResult(generations=[ChatGeneration(message=await self.llm.ainvoke(messages, stop=stop))])
