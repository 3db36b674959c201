"""What the app tells the agent about the company: the context is built from the tenant's own settings."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from agent.prompts import render_system_prompt
from api.agent_wiring import AgentHandle
from tests.factories import make_actor, make_tenant


def test_the_agent_hears_the_companys_markup_timezone_and_name(session: Session) -> None:
    tenant = make_tenant(session, name="Markup Heavy Mechanical")
    tenant.default_markup_percent = Decimal("32.5")
    tenant.timezone = "America/Chicago"
    session.flush()
    context = AgentHandle(graph=None).context_for(session, make_actor(session, tenant))
    assert context.markup_percent == Decimal("32.5")
    assert (context.company_name, context.timezone) == ("Markup Heavy Mechanical", "America/Chicago")
    assert "standard markup (32.5 %)" in render_system_prompt(context)
