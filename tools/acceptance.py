"""Recording a customer's spoken OK on an estimate ("Jane said yes on the phone") — a proposal until approved."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.errors import InvalidTransition
from domain.models import Customer, EstimateStatus
from domain.permissions import Permission
from domain.services import estimates as estimates_svc
from domain.services.common import get_scoped
from tools.base import ProposedAction, ToolEnv, WriteTool
from tools.documents import EstimateRef
from tools.lookup import estimate_summary, find_estimate

ACCEPTABLE = (EstimateStatus.DRAFT, EstimateStatus.SENT, EstimateStatus.VIEWED)


class AcceptArgs(EstimateRef):
    accepted_by: str | None = Field(
        default=None, max_length=200, description="Who said yes; omit for the customer's contact"
    )
    method: Literal["phone", "in person", "email", "text", "verbal"] = Field(
        default="verbal", description="How the customer said yes"
    )


class AcceptEstimate(WriteTool):
    name: str = "accept_estimate"
    description: str = (
        "Propose recording that the customer accepted an estimate (by phone, in person...); needs approval."
    )
    args_schema: type[BaseModel] = AcceptArgs
    permission: Permission = Permission.SEND_DOCUMENTS

    def _who(self, args: AcceptArgs, env: ToolEnv, customer_id: str) -> str:
        if args.accepted_by and args.accepted_by.strip():
            return args.accepted_by.strip()
        customer = get_scoped(env.session, Customer, env.actor.tenant_id, customer_id)
        contact = " ".join(filter(None, [customer.first_name, customer.last_name]))
        return contact or customer.display_name

    def propose(self, args: AcceptArgs, env: ToolEnv) -> ProposedAction:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        if est.status not in ACCEPTABLE:
            raise InvalidTransition("Estimate", args.doc_number, str(est.status), "approved")
        if est.valid_until is not None and est.valid_until < env.today:
            # Said now, not at approval: an expired quote needs a new one, not a yes on the old prices.
            raise InvalidTransition(
                "Estimate", args.doc_number, str(est.status), "approved", f"it expired on {est.valid_until}"
            )
        summary = estimate_summary(env.session, est)
        who = self._who(args, env, est.customer_id)
        said = f"accepted {'by ' + args.method if args.method != 'verbal' else 'verbally'}"
        return self.proposal(
            args,
            f"Record estimate {est.doc_number} ({summary['TotalAmt']}) as {said} by {who}",
            {
                "target": f"Estimate {est.doc_number}",
                "document": summary,
                "changes": {"status": "approved", "accepted_by": who, "accepted": said, "on": env.today},
            },
        )

    def execute(self, args: AcceptArgs, env: ToolEnv) -> dict[str, Any]:
        est = find_estimate(env.session, env.actor.tenant_id, args.doc_number)
        who = self._who(args, env, est.customer_id)
        est = estimates_svc.approve_estimate(
            env.session, env.actor, est.id, signed_by=who, today=env.today, method=args.method
        )
        return {
            "estimate": est.doc_number,
            "status": str(est.status),
            "accepted_by": est.approved_by,
            "method": est.approval_method,
        }
