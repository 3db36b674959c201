"""Settings of the QBO emulator: who may connect, where webhooks go, which limits and faults apply."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

QBO_RETRY_SCHEDULE_S: tuple[float, ...] = (10, 20, 30, 300, 1200, 7200, 14400, 21600)


def _server_errors() -> list[Literal[429, 500, 503]]:
    return [500, 503]


class OAuthClient(BaseModel):
    """An app registered with the emulator (what the developer portal holds for a real app)."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = Field(default_factory=list)


class RateLimits(BaseModel):
    """QBO's per-realm throttles; ``time_compression`` shrinks the one-minute window for benchmarks."""

    model_config = ConfigDict(validate_assignment=True)

    per_minute: int = Field(default=500, ge=1)
    # QBO also documents 10 requests/second; off by default so bulk sync benchmarks measure the minute limit.
    per_second: int | None = Field(default=None, ge=1)
    concurrent: int = Field(default=10, ge=1)
    batch_per_minute: int = Field(default=40, ge=1)
    batch_max_items: int = Field(default=30, ge=1)
    time_compression: float = Field(default=1.0, gt=0)


class FaultConfig(BaseModel):
    """Fault knobs, changeable at runtime; the RNG is seeded so a failing run can be replayed."""

    model_config = ConfigDict(validate_assignment=True)

    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_statuses: list[Literal[429, 500, 503]] = Field(default_factory=lambda: _server_errors())
    latency_ms: float = Field(default=0.0, ge=0)
    force_status: Literal[429, 500, 503] | None = None
    # How many requests the forced status applies to (None: until cleared).
    force_count: int | None = Field(default=None, ge=0)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    stale_synctoken_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int | None = None


class WebhookConfig(BaseModel):
    url: str | None = None
    verifier_token: str = "sandbox-verifier-token"
    format: Literal["legacy", "cloudevents"] = "legacy"
    # Events within this window go out in one POST, as QBO aggregates them.
    batch_window_s: float = Field(default=0.2, ge=0)
    # QBO's documented retry schedule; tests shorten it.
    retry_delays_s: list[float] = Field(default_factory=lambda: list(QBO_RETRY_SCHEDULE_S))
    timeout_s: float = Field(default=3.0, gt=0)


class TokenLifetimes(BaseModel):
    access_s: int = Field(default=3600, ge=1)
    refresh_s: int = Field(default=8_726_400, ge=1)  # 100 days, rolling
    refresh_hard_s: int = Field(default=5 * 365 * 86400, ge=1)  # 5-year cap from the original consent
    auth_code_s: int = Field(default=300, ge=1)
    # QBO hands out a new refresh token value about once a day; the previous one keeps working ~24 h.
    rotate_refresh_after_s: int = Field(default=86400, ge=0)
    old_refresh_grace_s: int = Field(default=86400, ge=0)


class RealmSeed(BaseModel):
    realm_id: str | None = None  # None: the fixture's realmId
    source: Literal["fixture", "empty"] = "fixture"
    company_name: str | None = None


def _default_clients() -> list[OAuthClient]:
    return [
        OAuthClient(
            client_id="sandbox-client-id",
            client_secret="sandbox-client-secret",
            redirect_uris=[
                "http://127.0.0.1:8000/oauth/callback",
                "http://localhost:8000/oauth/callback",
                "http://127.0.0.1:8000/api/qbo/oauth/callback",
                "http://localhost:8000/api/qbo/oauth/callback",
            ],
        )
    ]


class SandboxConfig(BaseModel):
    clients: list[OAuthClient] = Field(default_factory=_default_clients)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    realms: list[RealmSeed] = Field(default_factory=lambda: [RealmSeed()])
    today: date | None = None  # None: the real date; the fixture is shifted so its asOf is this day
    limits: RateLimits = Field(default_factory=RateLimits)
    faults: FaultConfig = Field(default_factory=FaultConfig)
    auto_approve: bool = True
    tokens: TokenLifetimes = Field(default_factory=TokenLifetimes)
    utc_offset_minutes: int = -480  # the company's timezone offset used in MetaData and `time`
    max_query_results: int = 1000
