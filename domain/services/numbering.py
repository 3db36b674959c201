"""Document numbers: the next free number after the highest numeric one the tenant has used."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models.sales import Estimate, Invoice
from domain.services.common import lock_tenant

FIRST_NUMBER = {Estimate: 5001, Invoice: 1001}


def next_doc_number(session: Session, model: type[Estimate] | type[Invoice], tenant_id: str) -> str:
    # Held to commit: a concurrent document of the tenant waits and then sees this one's number.
    lock_tenant(session, tenant_id)
    numbers = session.scalars(
        select(model.doc_number).where(model.tenant_id == tenant_id, model.doc_number.is_not(None))
    )
    highest = max((int(n) for n in numbers if n and n.isdigit()), default=FIRST_NUMBER[model] - 1)
    return str(highest + 1)
