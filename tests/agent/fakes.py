"""Test doubles for the agent: a scripted tool-calling chat model and two small tools over real services."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, Field, PrivateAttr
from sqlalchemy import select

from domain.errors import UnknownName
from domain.models import Customer
from domain.permissions import Permission
from domain.schemas import CustomerCreate, CustomerUpdate
from domain.services import catalog
from tools.base import BooksTool, ProposedAction, ToolEnv, WriteTool

_ids = itertools.count(1)


def call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}


def says(text: str = "", *calls: dict[str, Any]) -> AIMessage:
    return AIMessage(content=text, tool_calls=list(calls))


class ScriptedModel(BaseChatModel):
    """Replays scripted AI messages in order and records what it was shown (like langgraph's fake model)."""

    script: list[AIMessage]
    _seen: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _bound: list[str] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:
        self._bound = [t.name for t in tools]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._seen.append(list(messages))
        if not self.script:
            raise AssertionError("the scripted model ran out of replies")
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])

    @property
    def seen(self) -> list[list[BaseMessage]]:
        return self._seen


class CustomerQuery(BaseModel):
    name_contains: str = Field(min_length=1, max_length=50)


class FindCustomers(BooksTool):
    name: str = "find_customers"
    description: str = "Find customers whose name contains a text."
    args_schema: type[BaseModel] = CustomerQuery

    async def answer(self, args: CustomerQuery, env: ToolEnv) -> dict[str, Any]:
        if args.name_contains == "crash":
            raise RuntimeError("a bug in the tool")
        rows = env.session.scalars(
            select(Customer).where(
                Customer.tenant_id == env.actor.tenant_id, Customer.display_name.contains(args.name_contains)
            )
        )
        names = sorted(c.display_name for c in rows)
        if not names:
            raise UnknownName("customer", args.name_contains)
        return {"results": [{"DisplayName": n} for n in names], "query": f"contains {args.name_contains}"}


class NewCustomer(BaseModel):
    display_name: str = Field(min_length=2, max_length=40)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")


class AddCustomer(WriteTool):
    name: str = "add_customer"
    description: str = "Propose a new customer."
    args_schema: type[BaseModel] = NewCustomer
    permission: Permission = Permission.MANAGE_CUSTOMERS

    def propose(self, args: NewCustomer, env: ToolEnv) -> ProposedAction:
        return ProposedAction(
            name=self.name,
            args=args.model_dump(),
            description=f"Add customer {args.display_name}",
            preview={"target": "Customer (new)", "changes": {"DisplayName": args.display_name}},
            permission=self.permission,
        )

    def execute(self, args: NewCustomer, env: ToolEnv) -> dict[str, Any]:
        c = catalog.create_customer(
            env.session, env.actor, CustomerCreate(display_name=args.display_name, email=args.email)
        )
        return {"customer_id": c.id, "display_name": c.display_name}


class Deactivate(BaseModel):
    display_name: str


class DeactivateCustomer(WriteTool):
    name: str = "deactivate_customer"
    description: str = "Propose deactivating a customer (destructive)."
    args_schema: type[BaseModel] = Deactivate
    permission: Permission = Permission.DESTRUCTIVE

    def _find(self, env: ToolEnv, name: str) -> Customer:
        found = env.session.scalars(
            select(Customer).where(Customer.tenant_id == env.actor.tenant_id, Customer.display_name == name)
        ).first()
        if found is None:
            raise UnknownName("customer", name)
        return found

    def propose(self, args: Deactivate, env: ToolEnv) -> ProposedAction:
        self._find(env, args.display_name)
        return ProposedAction(
            name=self.name,
            args=args.model_dump(),
            description=f"Deactivate {args.display_name}",
            preview={"target": f"Customer {args.display_name}"},
            permission=self.permission,
        )

    def execute(self, args: Deactivate, env: ToolEnv) -> dict[str, Any]:
        c = catalog.update_customer(
            env.session, env.actor, self._find(env, args.display_name).id, CustomerUpdate(active=False)
        )
        return {"customer_id": c.id, "active": c.active}
