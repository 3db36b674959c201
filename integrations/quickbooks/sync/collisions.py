"""A record from QBO whose unique name or number a different record already holds here.

QBO keeps customer, vendor and item names unique, and usually document numbers; so do we. When a pulled record
carries a name a different local record holds, either QBO renamed that other record and we have not heard yet
(pull it first, then this one goes through), or the two really clash: a local rename not pushed yet, or
duplicate document numbers QBO was allowed to accept. Only a person can settle a clash, so the message names
both records and what to do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.services.outbox import enqueue_pull
from integrations.quickbooks.entity_specs import EntitySpec
from integrations.quickbooks.sync.claim import has_open_push
from integrations.quickbooks.sync.failures import DependencyNotReady, NameCollision

# How many times a pull waits for the other record's refresh before calling it a clash.
MAX_REFRESH_WAITS = 3
_WHAT = {"DisplayName": "name", "Name": "name", "DocNumber": "number"}


def check_unique_key(
    session: Session, tenant_id: str, spec: EntitySpec, remote: dict[str, Any], *, waits: int
) -> None:
    """Raise ``DependencyNotReady`` (after queueing the other record's pull) or ``NameCollision``."""
    if spec.natural_key is None:
        return
    attr, field = spec.natural_key
    value = remote.get(field)
    if not value:
        return
    model: Any = spec.model
    qbo_id = str(remote["Id"])
    holder = session.scalars(
        select(model).where(
            model.tenant_id == tenant_id,
            getattr(model, attr) == value,
            model.qbo_id.is_distinct_from(qbo_id),
        )
    ).first()
    if holder is None:
        return
    linked_here = session.scalar(select(model.id).where(model.tenant_id == tenant_id, model.qbo_id == qbo_id))
    if holder.qbo_id is None and linked_here is None:
        return  # the same record typed in on both sides: the upsert links it
    what = _WHAT.get(field, field)
    noun = spec.name
    local_pending = has_open_push(session, tenant_id, spec.name, holder.id)
    if holder.qbo_id is not None and not local_pending and waits < MAX_REFRESH_WAITS:
        enqueue_pull(session, tenant_id, spec.name, holder.qbo_id)
        session.commit()
        raise DependencyNotReady(
            f"{noun} {what} '{value}' is held here by the {noun} linked to QuickBooks id {holder.qbo_id}; "
            "refreshing that one first (QuickBooks has probably renamed it)"
        )
    where = (
        f"linked to QuickBooks id {holder.qbo_id}" if holder.qbo_id is not None else "not in QuickBooks yet"
    )
    pending = " and has a change of its own waiting to go to QuickBooks" if local_pending else ""
    raise NameCollision(
        f"QuickBooks {noun} '{value}' (QuickBooks id {qbo_id}) has the same {what} as a different {noun} here "
        f"(id {holder.id}, {where}){pending}. A {what} must be unique: rename one of the two, here or in "
        "QuickBooks, then retry this job",
        entity=noun,
        local_id=holder.id,
        qbo_id=qbo_id,
    )


__all__ = ["MAX_REFRESH_WAITS", "check_unique_key"]
