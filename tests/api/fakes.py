"""A chat model that always answers politely and never calls tools (for fuzzing the chat routes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class ParrotModel(BaseChatModel):
    reply: str = "I can help with that."

    @property
    def _llm_type(self) -> str:
        return "parrot"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ParrotModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.reply))])
