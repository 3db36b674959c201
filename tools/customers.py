"""Adding a customer — a proposal the office approves."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import Conflict
from domain.fields import DisplayName
from domain.models import Customer
from domain.permissions import Permission
from domain.schemas import Address, CustomerCreate
from domain.services import catalog as catalog_svc
from tools.base import ProposedAction, ToolEnv, WriteTool


class CustomerArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName
    company_name: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(
        default=None, max_length=200, description="The person to deal with there, first and last name"
    )
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)
    address: Address | None = None


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """ "Maria de la Cruz" → ("Maria", "de la Cruz"): QBO keeps a contact as GivenName and FamilyName."""
    words = (full or "").split()
    if not words:
        return None, None
    return words[0][:100], (" ".join(words[1:])[:100] or None)


class CreateCustomer(WriteTool):
    name: str = "create_customer"
    description: str = "Propose adding a new customer (needs approval)."
    args_schema: type[BaseModel] = CustomerArgs
    permission: Permission = Permission.MANAGE_CUSTOMERS

    def propose(self, args: CustomerArgs, env: ToolEnv) -> ProposedAction:
        if catalog_svc.name_taken(env.session, Customer, env.actor.tenant_id, args.display_name):
            raise Conflict(f"A customer named '{args.display_name}' already exists")
        fields = {k: v for k, v in args.model_dump(exclude_none=True).items()}
        return self.proposal(
            args, f"Add customer {args.display_name}", {"target": "Customer (new)", "changes": fields}
        )

    def execute(self, args: CustomerArgs, env: ToolEnv) -> dict[str, Any]:
        address = args.address or Address()
        first, last = split_name(args.contact_name)
        customer = catalog_svc.create_customer(
            env.session,
            env.actor,
            CustomerCreate(
                display_name=args.display_name,
                company_name=args.company_name,
                first_name=first,
                last_name=last,
                email=args.email,
                phone=args.phone,
                billing_address=address,
                shipping_address=address,
            ),
        )
        return {"customer_id": customer.id, "display_name": customer.display_name}
