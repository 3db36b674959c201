"""Where read questions are answered: live QuickBooks (``QboBooks``) or the local store (``LocalBooks``).

Both take a validated QboIntent and return the same shape — ``{"query", "results", "aggregate"}`` with QBO field
names — so the agent, the CLI and the differential test cannot tell them apart except by where the data lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.intent import QboIntent
from domain.models import Customer, Vendor
from domain.names import resolve_name
from domain.queries import name_candidates, run_intent_locally
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.query import compile_intent, finish_rows
from integrations.quickbooks.mapping.lists import name_candidates_from_qbo


class LocalBooks:
    """The local mirror of the company (imported from QBO, kept current by sync)."""

    live = False

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _named(self, model: type[Customer] | type[Vendor], name: str, kind: str) -> _Named:
        chosen = resolve_name(name, name_candidates(self.session, self.tenant_id, model), kind=kind)
        qbo_id = self.session.scalar(select(model.qbo_id).where(model.id == chosen.id))
        return _Named(chosen.id, qbo_id or chosen.id, chosen.name)

    def resolve_customer(self, name: str) -> tuple[str, str]:
        """(local id, the company's spelling) of a customer named in a question."""
        chosen = resolve_name(name, name_candidates(self.session, self.tenant_id, Customer), kind="customer")
        return chosen.id, chosen.name

    async def run_intent(self, intent: QboIntent, *, today: date) -> dict[str, Any]:
        # Each name is resolved once, for the local query and for the QBO query shown beside its answer.
        f = intent.filters
        customer = self._named(Customer, f.customer_name, "customer") if f.customer_name else None
        vendor = self._named(Vendor, f.vendor_name, "vendor") if f.vendor_name else None
        result = run_intent_locally(
            self.session,
            self.tenant_id,
            intent,
            today=today,
            customer_id=customer.local_id if customer else None,
            vendor_id=vendor.local_id if vendor else None,
        )
        # The QBO query that asks the same question, so "show me the query" means the same everywhere.
        compiled = compile_intent(
            intent,
            today=today,
            customer_id=customer.ref if customer else None,
            vendor_id=vendor.ref if vendor else None,
        )
        return {
            "intent": _with_names(
                intent,
                (customer.ref, customer.name) if customer else None,
                (vendor.ref, vendor.name) if vendor else None,
            ).to_json(),
            "query": compiled.text,
            "results": result.rows,
            "aggregate": result.aggregate.to_json() if result.aggregate else None,
        }


@dataclass(frozen=True, slots=True)
class _Named:
    """A customer or vendor a question names: its local id, the id QBO knows it by, and its spelling."""

    local_id: str
    ref: str
    name: str


class QboBooks:
    """Live answers: resolve names against QBO's lists, compile, fetch, finish (post filters, paging, sums)."""

    live = True

    def __init__(self, client: QboClient) -> None:
        self.client = client

    async def _resolve(self, entity: str, name: str, kind: str) -> tuple[str, str]:
        records = await self.client.query_all(f"SELECT * FROM {entity}")
        chosen = resolve_name(name, name_candidates_from_qbo(records), kind=kind)
        return chosen.id, chosen.name

    async def resolve_customer(self, name: str) -> tuple[str, str]:
        """(QBO id, QBO's spelling) of a customer named in a question."""
        return await self._resolve("Customer", name, "customer")

    async def run_intent(self, intent: QboIntent, *, today: date) -> dict[str, Any]:
        f = intent.filters
        customer = await self._resolve("Customer", f.customer_name, "customer") if f.customer_name else None
        vendor = await self._resolve("Vendor", f.vendor_name, "vendor") if f.vendor_name else None
        compiled = compile_intent(
            intent,
            customer_id=customer[0] if customer else None,
            vendor_id=vendor[0] if vendor else None,
            today=today,
        )
        # One query: either the requested page, or (sums, counts, post filters) the bounded scan window;
        # a ranking pages through every match, since QBO cannot group or rank.
        if compiled.pull_all:
            rows = await self.client.query_all(compiled.select)
        else:
            response = await self.client.query(compiled.text)
            rows = list(response.get(compiled.entity) or [])
        page, aggregate = finish_rows(rows, compiled, intent, today)
        return {
            "intent": _with_names(intent, customer, vendor).to_json(),
            "query": compiled.text,
            "results": page,
            "aggregate": aggregate.to_json() if aggregate else None,
        }


def _with_names(
    intent: QboIntent, customer: tuple[str, str] | None, vendor: tuple[str, str] | None
) -> QboIntent:
    """The intent as answered: names spelled as the company spells them ("Greenfield" → its full name)."""
    changes: dict[str, str] = {}
    if customer:
        changes["customer_name"] = customer[1]
    if vendor:
        changes["vendor_name"] = vendor[1]
    if not changes:
        return intent
    return intent.model_copy(update={"filters": intent.filters.model_copy(update=changes)})
