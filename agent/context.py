"""Per-run context: who is talking to the agent, in which company, and what "today" is.

Passed to the graph as ``context=`` on every invoke (``context_schema``); nodes read ``runtime.context``. It is
not checkpointed, so a resumed run carries the *resuming* user's context — which is who decides an approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.clock import Clock, local_today, system_clock
from domain.context import Actor
from domain.models.tenancy import Role

DEFAULT_MARKUP_PERCENT = Decimal("20")


@dataclass(frozen=True, slots=True)
class Context:
    tenant_id: str
    user_id: str | None
    role: Role
    user_name: str
    today: date | None = None
    timezone: str = "America/Los_Angeles"
    company_name: str = ""
    # Extra facts for the system prompt (catalog summary); filled by the runtime, optional in tests.
    catalog_summary: str = field(default="")
    # The company's standard material markup, as the system applies it (the prompt tells the model so).
    markup_percent: Decimal = DEFAULT_MARKUP_PERCENT
    # Where "now" comes from when today is not pinned (a demo pinned to another day shifts it).
    clock: Clock = system_clock

    @property
    def actor(self) -> Actor:
        return Actor(
            tenant_id=self.tenant_id, user_id=self.user_id, role=Role(self.role), name=self.user_name
        )

    def resolved_today(self) -> date:
        """The pinned date, else the current date in the company's timezone."""
        return self.today or local_today(self.clock, self.timezone)
