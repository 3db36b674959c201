"""Drafting and revising estimates. Saving a draft is itself a proposal: nothing writes without an approval.

Lines name catalog items; the domain validates them against the catalog (unknown work becomes a warning, never
an invented item) and prices them, so the preview's totals are exactly what will be saved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.discounts import DraftDiscount
from domain.drafting import (
    DraftLineRequest,
    EstimateDraft,
    build_draft,
    draft_to_estimate_create,
    draft_to_estimate_lines,
)
from domain.errors import ValidationFailed
from domain.models import Customer, Estimate
from domain.permissions import Permission, can, with_article
from domain.schemas import EstimateUpdate, LineCreate
from domain.services import estimates as estimates_svc
from domain.services.common import get_scoped, get_tenant
from domain.services.lines import price_requested_lines
from tools.base import ProposedAction, ToolEnv, WriteTool
from tools.documents import DocNumber
from tools.lookup import catalog, find_customer, find_estimate, money

AI_MODEL_LABEL = "qbo-agent"


class DraftArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=200, description="The customer, as the user named them")
    job_description: str = Field(min_length=3, max_length=4000)
    lines: list[DraftLineRequest] = Field(
        default_factory=list,
        max_length=100,
        description="Catalog items by exact name with quantity (or hours for labor) and a one-line rationale",
    )
    hours: Decimal | None = Field(
        default=None, gt=0, le=200, description="Labor hours, when not given per line"
    )
    title: str | None = Field(default=None, max_length=200)
    discounts: list[DraftDiscount] = Field(
        default_factory=list,
        max_length=10,
        description="Discounts asked for: percent or amount, off one line (item_name) or the whole estimate",
    )
    unpriced: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Work in the job that no catalog item covers (shown as warnings)",
    )


class UpdateArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_number: DocNumber
    lines: list[DraftLineRequest] | None = Field(default=None, max_length=100)
    discounts: list[DraftDiscount] = Field(
        default_factory=list,
        max_length=10,
        description="Discounts on the new lines: percent or amount, off one line (item_name) or all of them",
    )
    title: str | None = Field(default=None, max_length=200)
    customer_notes: str | None = Field(default=None, max_length=4000)


def _with_hours(lines: list[DraftLineRequest], hours: Decimal | None, env: ToolEnv) -> list[DraftLineRequest]:
    """Put the job's hours on the labor line(s) that do not say how long they take."""
    if hours is None:
        return lines
    hourly = {e.name.lower() for e in catalog(env.session, env.actor.tenant_id) if e.billed_hourly}
    return [
        r.model_copy(update={"hours": hours})
        if r.item_name and r.item_name.lower() in hourly and r.hours is None and r.quantity is None
        else r
        for r in lines
    ]


def _draft(
    lines: list[DraftLineRequest],
    env: ToolEnv,
    customer: Customer,
    notes: list[str] | None = None,
    discounts: list[DraftDiscount] | None = None,
) -> EstimateDraft:
    may_change = can(env.actor.role, Permission.CHANGE_PRICES)
    if not may_change and any(r.unit_price is not None for r in lines):
        raise ValidationFailed(
            f"{with_article(env.actor.role.value)} drafts at catalog prices; drop unit_price"
        )
    notes = list(notes or ())
    if discounts and not may_change:
        # Said, not done: the reviewer sees the discount that someone who may change prices has to add.
        notes += [
            f"{d.label()} was not applied: {with_article(env.actor.role.value)} drafts at catalog prices."
            for d in discounts
        ]
        discounts = []
    tenant = get_tenant(env.session, env.actor.tenant_id)
    return build_draft(
        lines,
        catalog(env.session, env.actor.tenant_id),
        default_markup_percent=tenant.default_markup_percent,
        tax_exempt=customer.tax_exempt,
        allow_price_override=may_change,
        warnings=notes,
        discounts=discounts or (),
    )


def _preview_lines(env: ToolEnv, customer: Customer, lines: list[LineCreate]) -> dict[str, Any]:
    """Price exactly as the service will, so the preview's totals are the saved totals."""
    priced = price_requested_lines(env.session, env.actor, customer, lines)
    return {
        "lines": [
            {
                "item": p.name,
                "type": str(p.type),
                "quantity": str(p.quantity),
                "unit_price": money(p.unit_price),
                "line_subtotal": money(p.line_subtotal),
            }
            for p in priced.lines
        ],
        "subtotal": money(priced.totals.subtotal),
        "discount_total": money(priced.totals.discount_total),
        "tax_total": money(priced.totals.tax_total),
        "total": money(priced.totals.total),
    }


class DraftEstimate(WriteTool):
    name: str = "draft_estimate"
    description: str = (
        "Draft an estimate for a job from catalog items; saving the draft needs approval. "
        "Technicians may draft at catalog prices."
    )
    args_schema: type[BaseModel] = DraftArgs
    permission: Permission = Permission.DRAFT_ESTIMATE

    def _build(self, args: DraftArgs, env: ToolEnv) -> tuple[Customer, EstimateDraft]:
        lines, notes, discounts = list(args.lines), list(args.unpriced), list(args.discounts)
        if not lines and env.planner is not None:
            planned, said = env.planner(args.job_description, catalog(env.session, env.actor.tenant_id))
            lines = [p for p in planned if isinstance(p, DraftLineRequest)]
            discounts = discounts or [p for p in planned if isinstance(p, DraftDiscount)]
            notes += said
        if not lines:
            raise ValidationFailed(
                "list the catalog items for this job in 'lines' (item_name, quantity or hours)"
            )
        customer = find_customer(env.session, env.actor.tenant_id, args.customer)
        return customer, _draft(_with_hours(lines, args.hours, env), env, customer, notes, discounts)

    def propose(self, args: DraftArgs, env: ToolEnv) -> ProposedAction:
        customer, draft = self._build(args, env)
        if not draft.lines:
            raise ValidationFailed("none of the lines matched the catalog: " + "; ".join(draft.warnings))
        preview = _preview_lines(env, customer, draft_to_estimate_lines(draft, keep_prices=True))
        preview.update(
            {
                "target": "Estimate (new draft)",
                "customer": customer.display_name,
                "warnings": draft.warnings,
                "explanations": draft.to_dict()["explanations"],
            }
        )
        return self.proposal(
            args, f"Save a draft estimate for {customer.display_name}: {preview['total']}", preview
        )

    def execute(self, args: DraftArgs, env: ToolEnv) -> dict[str, Any]:
        customer, draft = self._build(args, env)
        data = draft_to_estimate_create(
            draft,
            customer_id=customer.id,
            prompt=args.job_description,
            model=AI_MODEL_LABEL,
            confidence=0.5 if draft.warnings else 0.8,
            keep_prices=can(env.actor.role, Permission.CHANGE_PRICES),
            title=args.title,
        )
        est = estimates_svc.create_estimate(env.session, env.actor, data, today=env.today)
        return {
            "estimate": est.doc_number,
            "status": str(est.status),
            "total": money(est.total),
            "warnings": draft.warnings,
        }


class UpdateEstimate(WriteTool):
    name: str = "update_estimate"
    description: str = "Propose changing a draft or sent estimate's lines, title or notes (needs approval)."
    args_schema: type[BaseModel] = UpdateArgs
    permission: Permission = Permission.DRAFT_ESTIMATE

    def _lines(
        self, args: UpdateArgs, env: ToolEnv, est: Estimate
    ) -> tuple[list[LineCreate] | None, list[str]]:
        if args.lines is None:
            if args.discounts:
                raise ValidationFailed("a discount goes with the estimate's lines; give 'lines' too")
            return None, []
        customer = get_scoped(env.session, Customer, env.actor.tenant_id, est.customer_id)
        draft = _draft(args.lines, env, customer, discounts=list(args.discounts))
        if not draft.lines:
            raise ValidationFailed("none of the lines matched the catalog: " + "; ".join(draft.warnings))
        return draft_to_estimate_lines(
            draft, keep_prices=can(env.actor.role, Permission.CHANGE_PRICES)
        ), draft.warnings

    def propose(self, args: UpdateArgs, env: ToolEnv) -> ProposedAction:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        if est.status not in estimates_svc.EDITABLE_STATES:
            raise ValidationFailed(f"estimate {est.doc_number} is {est.status} and can no longer be edited")
        lines, warnings = self._lines(args, env, est)
        preview: dict[str, Any] = {
            "target": f"Estimate {est.doc_number}",
            "before_total": money(est.total),
            "warnings": warnings,
        }
        if lines is not None:
            customer = get_scoped(env.session, Customer, env.actor.tenant_id, est.customer_id)
            preview.update(_preview_lines(env, customer, lines))
        changes = {k: v for k, v in (("title", args.title), ("customer_notes", args.customer_notes)) if v}
        preview["changes"] = changes
        return self.proposal(args, f"Update estimate {est.doc_number}", preview)

    def execute(self, args: UpdateArgs, env: ToolEnv) -> dict[str, Any]:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        lines, warnings = self._lines(args, env, est)
        fields: dict[str, Any] = {
            k: v
            for k, v in (("title", args.title), ("customer_notes", args.customer_notes), ("lines", lines))
            if v is not None
        }
        est = estimates_svc.update_estimate(env.session, env.actor, est.id, EstimateUpdate(**fields))
        return {
            "estimate": est.doc_number,
            "total": money(est.total),
            "status": str(est.status),
            "warnings": warnings,
        }
