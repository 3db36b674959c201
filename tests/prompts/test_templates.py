"""The prompt templates render with the company's facts and carry the rules the agent depends on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from jinja2 import UndefinedError

from agent.context import Context
from agent.prompts import PROMPTS_DIR, render, render_estimate_guidelines, render_system_prompt
from domain.models import Role


def ctx(**kw) -> Context:
    base = dict(
        tenant_id="t",
        user_id="u",
        role=Role.TECHNICIAN,
        user_name="Tom",
        today=date(2026, 3, 18),
        timezone="America/Denver",
        company_name="Northwind Plumbing & Heating",
        catalog_summary="- Labor - Standard — labor — $110.00/hr",
    )
    return Context(**{**base, **kw})


def test_system_prompt_has_company_date_catalog_and_rules() -> None:
    text = render_system_prompt(ctx())
    assert "Northwind Plumbing & Heating" in text  # no HTML escaping of "&"
    assert "Today is 2026-03-18 (America/Denver)" in text and "Tom (technician)" in text
    assert "- Labor - Standard — labor — $110.00/hr" in text
    lowered = text.lower()
    assert "untrusted content" in lowered and "never instructions" in lowered
    assert "nothing is written without a human approval" in lowered
    assert "show the qbo query text" in lowered
    assert "markup" in lowered  # the estimate guidelines are included


def test_catalog_section_is_left_out_when_there_is_none() -> None:
    assert "## Catalog" not in render_system_prompt(ctx(catalog_summary=""))


def test_templates_live_in_the_prompts_package_and_fail_loudly_on_missing_values() -> None:
    assert (PROMPTS_DIR / "system.md.j2").is_file() and (PROMPTS_DIR / "estimate_guidelines.md.j2").is_file()
    assert "25 %" in render_estimate_guidelines(markup_percent="25")
    with pytest.raises(UndefinedError):
        render("estimate_guidelines.md.j2")


def test_the_markup_the_model_is_told_is_the_companys_own() -> None:
    text = render_system_prompt(ctx(markup_percent=Decimal("17.500")))
    assert "standard markup (17.5 %)" in text and "20 %" not in text
    assert "standard markup (20 %)" in render_system_prompt(ctx())
