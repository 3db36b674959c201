"""Service settings, read from the environment (``QBO_AGENT_*``, plus the usual ``OPENAI_*``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed key is acceptable only for the demo and tests; `serve` refuses it outside --demo.
DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QBO_AGENT_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/qbo_agent.sqlite"
    # Signs embed tokens (per-tenant keys are derived from it), public links and OAuth state.
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # Fernet key for OAuth tokens at rest; derived from secret_key when unset.
    token_encryption_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    qbo_environment: str = "sandbox"
    qbo_client_id: str = "demo-client"
    qbo_client_secret: SecretStr = SecretStr("demo-secret")
    # Where QuickBooks lives: the real hosts, or the embedded sandbox's base URL in the demo.
    qbo_api_base: str | None = None
    qbo_oauth_base: str | None = None
    # The app's webhook verifier token from the developer portal; webhooks are refused without it.
    qbo_webhook_verifier_token: SecretStr | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "QBO_AGENT_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "QBO_AGENT_OPENAI_BASE_URL")
    )
    model: str = Field(default="gpt-4o-mini", validation_alias=AliasChoices("QBO_AGENT_MODEL", "model"))
    demo: bool = False
    # Pin "today" (the demo's --today, tests); None: the company's current date.
    today: date | None = None
    var_dir: Path = Path("./var")
    # Origins allowed for every tenant (console on another host); tenants add their own for the widget.
    allowed_origins: list[str] = []
    max_body_bytes: int = 1024 * 1024
    # Agent turns running at once in one process (each thread still runs one turn at a time).
    max_concurrent_turns: int = 32
    embed_token_ttl_seconds: int = 15 * 60
    public_link_ttl_days: int = 30
    run_worker: bool = True
    log_level: str = "INFO"

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def secret(self) -> bytes:
        return self.secret_key.get_secret_value().encode()
