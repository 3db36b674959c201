"""Choosing the chat model: an OpenAI-compatible server when configured, else the offline model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent.offline.fast_path import FastPathModel
from agent.offline.model import OfflineChatModel
from domain.drafting import CatalogEntry

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """What selects the model; ``from_env`` reads OPENAI_API_KEY / OPENAI_BASE_URL / QBO_AGENT_MODEL."""

    api_key: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    temperature: float = 0.0
    timeout_s: float = 60.0
    # Let the offline readers answer the turns they are sure of, without an LLM call (agent.offline.fast_path).
    fast_path: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ModelSettings:
        env = os.environ if environ is None else environ
        return cls(
            api_key=env.get("OPENAI_API_KEY") or None,
            base_url=env.get("OPENAI_BASE_URL") or None,
            model=env.get("QBO_AGENT_MODEL") or DEFAULT_MODEL,
            fast_path=(env.get("QBO_AGENT_FAST_PATH") or "").lower() in ("1", "true", "yes", "on"),
        )

    @classmethod
    def from_settings(cls, settings: Any) -> ModelSettings:
        """Adapt the service settings (``openai_api_key`` SecretStr, ``openai_base_url``, ``model``)."""
        key = getattr(settings, "openai_api_key", None)
        if key is not None and hasattr(key, "get_secret_value"):
            key = key.get_secret_value()
        return cls(
            api_key=key or None,
            base_url=getattr(settings, "openai_base_url", None) or None,
            model=getattr(settings, "model", None) or DEFAULT_MODEL,
            fast_path=bool(getattr(settings, "fast_path", False)),
        )

    @property
    def llm_configured(self) -> bool:
        return bool(self.api_key or self.base_url)


def make_chat_model(
    settings: ModelSettings | Any | None = None,
    *,
    catalog: Sequence[CatalogEntry] = (),
    provider: str | None = None,
    http_async_client: Any | None = None,
) -> BaseChatModel:
    """``ChatOpenAI`` when an LLM is configured (or ``provider="openai"``), else the offline model.

    ``http_async_client`` lets the caller share its ``httpx.AsyncClient`` (proxies, test transports).
    """
    if settings is None:
        settings = ModelSettings.from_env()
    elif not isinstance(settings, ModelSettings):
        settings = ModelSettings.from_settings(settings)
    use_openai = provider == "openai" or (provider is None and settings.llm_configured)
    if not use_openai:
        return OfflineChatModel(catalog=list(catalog))
    from langchain_openai import ChatOpenAI

    # Local servers (vLLM, Ollama, llama.cpp) accept any key; the client insists on having one.
    llm = ChatOpenAI(
        model=settings.model,
        api_key=settings.api_key or "not-needed",
        base_url=settings.base_url,
        temperature=settings.temperature,
        timeout=settings.timeout_s,
        max_retries=1,
        http_async_client=http_async_client,
    )
    if settings.fast_path:
        return FastPathModel(llm=llm, offline=OfflineChatModel(catalog=list(catalog)))
    return llm
