"""Renders the prompt templates in ``prompts/`` (Jinja2), found relative to the installed package."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from agent.context import Context
from agent.working_set import render_block
from domain.drafting import CatalogEntry

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Plain text prompts: no HTML escaping, but undefined variables fail loudly instead of vanishing.
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


def render_system_prompt(ctx: Context) -> str:
    return render(
        "system.md.j2",
        company_name=ctx.company_name or "the company",
        today=ctx.resolved_today().isoformat(),
        timezone=ctx.timezone,
        user_name=ctx.user_name,
        role=str(ctx.role),
        catalog_summary=ctx.catalog_summary,
        estimate_guidelines=render_estimate_guidelines(markup_percent=_percent(ctx.markup_percent)),
    )


def render_working_set(ws: dict[str, Any]) -> str:
    """The system prompt's section on the thread working set; empty while the thread has none."""
    return render("working_set.md.j2", block=render_block(ws)) if ws else ""


def _percent(value: Decimal) -> str:
    """17.500 -> "17.5", 20.000 -> "20": how a person writes a percentage."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def render_estimate_guidelines(*, markup_percent: str) -> str:
    return render("estimate_guidelines.md.j2", markup_percent=markup_percent)


def catalog_summary(entries: list[CatalogEntry], limit: int = 80) -> str:
    """The catalog as the system prompt lists it: one active item a line, with its rate."""
    lines = [
        f"- {e.name} — {e.type.value} — ${e.rate:,.2f}{'/' + e.unit if e.unit else ''}"
        for e in entries[:limit]
        if e.active
    ]
    return "\n".join(lines)
