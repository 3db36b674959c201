"""Read tools: answered directly, from live QuickBooks when the company is connected, else the local store."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from domain.errors import ValidationFailed
from domain.intent import QboIntent
from domain.item_match import best_items
from domain.models import Item
from tools.base import BooksSource, BooksTool, ToolEnv
from tools.documents import DocNumber
from tools.lookup import money


class QueryArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: QboIntent = Field(
        description="The question as a QboIntent (operation, filters, aggregate, pagination)"
    )


class DocArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_number: DocNumber


class CustomerArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class ItemArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    search: str | None = Field(default=None, max_length=100, description="Words in the item name or keywords")
    limit: int = Field(default=50, ge=1, le=500)


def _books(env: ToolEnv) -> BooksSource:
    if env.books is None:
        raise ValidationFailed("no books are connected for this company yet")
    return env.books


async def run_query(intent: QboIntent, env: ToolEnv) -> dict[str, Any]:
    out = await _books(env).run_intent(intent, today=env.today)
    results = list(out.get("results") or [])
    return {
        "intent": out.get("intent") or intent.to_json(),
        "query": out.get("query"),
        "results": results,
        "aggregate": out.get("aggregate"),
        "count": len(results),
    }


class QueryBooks(BooksTool):
    name: str = "query_books"
    description: str = (
        "Answer a question about invoices, estimates, payments, bills, customers or items. "
        "Returns matching records, an optional sum/count, and the QBO query text."
    )
    args_schema: type[BaseModel] = QueryArgs

    async def answer(self, args: QueryArgs, env: ToolEnv) -> dict[str, Any]:
        return await run_query(args.intent, env)


class GetInvoice(BooksTool):
    name: str = "get_invoice"
    description: str = "Look up one invoice by its number."
    args_schema: type[BaseModel] = DocArgs

    async def answer(self, args: DocArgs, env: ToolEnv) -> dict[str, Any]:
        intent = QboIntent.model_validate(
            {"operation": "GET_INVOICE", "filters": {"docNumber": args.doc_number}}
        )
        return await run_query(intent, env)


class GetEstimate(BooksTool):
    name: str = "get_estimate"
    description: str = "Look up one estimate by its number."
    args_schema: type[BaseModel] = DocArgs

    async def answer(self, args: DocArgs, env: ToolEnv) -> dict[str, Any]:
        intent = QboIntent.model_validate(
            {"operation": "GET_ESTIMATE", "filters": {"docNumber": args.doc_number}}
        )
        return await run_query(intent, env)


class GetCustomer(BooksTool):
    name: str = "get_customer"
    description: str = "Look up one customer by name (fuzzy; asks back when ambiguous)."
    args_schema: type[BaseModel] = CustomerArgs

    async def answer(self, args: CustomerArgs, env: ToolEnv) -> dict[str, Any]:
        intent = QboIntent.model_validate(
            {"operation": "GET_CUSTOMER", "filters": {"customerName": args.name}}
        )
        return await run_query(intent, env)


class ListItems(BooksTool):
    name: str = "list_items"
    description: str = "List the catalog (labor, materials, fees) with rates; optionally filtered by words."
    args_schema: type[BaseModel] = ItemArgs
    # The catalog is the company's own price list, kept here (QuickBooks has it too, but drafting prices from ours).
    local_only: ClassVar[bool] = True

    async def answer(self, args: ItemArgs, env: ToolEnv) -> dict[str, Any]:
        items = list(
            env.session.scalars(
                select(Item)
                .where(Item.tenant_id == env.actor.tenant_id, Item.active.is_(True))
                .order_by(Item.name)
            )
        )
        best = None
        if args.search:
            # Best catalog match first; a price question is about one item, not a list of them.
            matches = best_items(args.search, items)
            items = [m.item for m in matches]
            if matches and (len(matches) == 1 or matches[0].score > matches[1].score):
                best = matches[0].item
        rows = [
            {
                "Name": i.name,
                "Type": str(i.type),
                "Rate": money(i.rate),
                "Unit": i.unit_of_measure,
                "Taxable": i.taxable,
            }
            for i in items[: args.limit]
        ]
        out: dict[str, Any] = {"results": rows, "count": len(rows), "query": None, "aggregate": None}
        if args.search is not None:
            out.update(search=args.search, best=rows[0] if best is not None else None)
        return out
