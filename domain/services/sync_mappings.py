"""Account mappings: which QBO account an item or cost code books to, per profile (seed 003 §2).

One-to-one or many-to-one (several codes may name one account). Versioned: saving a mapping retires the
active row and adds the next version, so what was synced under the old one stays as it was. A record whose
code has no mapping is held in the review queue; mapping the code releases what it held.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import utcnow
from domain.errors import ValidationFailed
from domain.models.catalog import Item
from domain.models.sync import AccountMapping, MappingReview, SyncJob, SyncJobStatus
from domain.permissions import Permission, require
from domain.services.audit import record_audit

# bad_debt: the expense account write-offs book to in QBO (a default mapping; no per-item codes).
PROFILES = ("revenue", "expense", "asset", "liability", "bad_debt")
SOURCE_KINDS = ("item", "cost_code", "default")
DEFAULT_KEY = "*"


@dataclass(frozen=True, slots=True)
class MappingIn:
    profile: str
    source_kind: str
    source_key: str
    account_qbo_id: str
    account_name: str | None = None


def _active(session: Session, tenant_id: str, profile: str, kind: str, key: str) -> AccountMapping | None:
    return session.scalars(
        select(AccountMapping).where(
            AccountMapping.tenant_id == tenant_id,
            AccountMapping.profile == profile,
            AccountMapping.source_kind == kind,
            AccountMapping.source_key == key,
            AccountMapping.active.is_(True),
        )
    ).first()


def save_mappings(session: Session, actor: Actor, mappings: list[MappingIn]) -> list[AccountMapping]:
    """Bulk save (the PUT of the mappings API); unchanged rows keep their version."""
    require(actor, Permission.MANAGE_INTEGRATION)
    saved: list[AccountMapping] = []
    for m in mappings:
        if m.profile not in PROFILES or m.source_kind not in SOURCE_KINDS:
            raise ValidationFailed(
                f"profile must be one of {PROFILES} and source_kind one of {SOURCE_KINDS}",
                profile=m.profile,
                source_kind=m.source_kind,
            )
        key = DEFAULT_KEY if m.source_kind == "default" else m.source_key
        current = _active(session, actor.tenant_id, m.profile, m.source_kind, key)
        if current is not None and current.account_qbo_id == m.account_qbo_id:
            saved.append(current)
            continue
        version = 1
        if current is not None:
            current.active = False
            current.retired_at = utcnow()
            version = current.version + 1
        row = AccountMapping(
            tenant_id=actor.tenant_id,
            profile=m.profile,
            source_kind=m.source_kind,
            source_key=key,
            account_qbo_id=m.account_qbo_id,
            account_name=m.account_name,
            version=version,
            created_by=actor.label,
        )
        session.add(row)
        session.flush()
        record_audit(
            session,
            actor,
            "sync.mapping.saved",
            "account_mapping",
            row.id,
            before={"account": current.account_qbo_id, "version": current.version} if current else None,
            after={"account": row.account_qbo_id, "version": row.version, "key": key, "profile": m.profile},
        )
        release_reviews(session, actor.tenant_id, m.profile, m.source_kind, key)
        saved.append(row)
    return saved


def list_mappings(session: Session, tenant_id: str, *, include_retired: bool = False) -> list[AccountMapping]:
    query = select(AccountMapping).where(AccountMapping.tenant_id == tenant_id)
    if not include_retired:
        query = query.where(AccountMapping.active.is_(True))
    return list(
        session.scalars(
            query.order_by(
                AccountMapping.profile,
                AccountMapping.source_kind,
                AccountMapping.source_key,
                AccountMapping.version,
            )
        )
    )


def account_for_item(session: Session, tenant_id: str, item: Item, profile: str = "revenue") -> str | None:
    """The item's own account, else its mapping, else its cost code's, else the profile's default."""
    own = item.income_account_ref if profile == "revenue" else item.expense_account_ref
    if own:
        return own
    for kind, key in (("item", item.id), ("cost_code", item.cost_code), ("default", DEFAULT_KEY)):
        if key:
            found = _active(session, tenant_id, profile, kind, key)
            if found is not None:
                return found.account_qbo_id
    return None


def default_account(session: Session, tenant_id: str, profile: str) -> str | None:
    """The profile's default mapping (what a write-off's bad-debt account comes from)."""
    found = _active(session, tenant_id, profile, "default", DEFAULT_KEY)
    return found.account_qbo_id if found is not None else None


def hold_for_review(
    session: Session,
    tenant_id: str,
    *,
    entity: str,
    entity_id: str,
    profile: str,
    item: Item | None,
    job_id: str | None,
) -> MappingReview:
    """Hold a record until its item's (or cost code's) mapping exists; ``item=None``: the profile's default."""
    if item is None:
        kind, key = "default", DEFAULT_KEY
    else:
        kind, key = ("cost_code", item.cost_code) if item.cost_code else ("item", item.id)
    existing = session.scalars(
        select(MappingReview).where(
            MappingReview.tenant_id == tenant_id,
            MappingReview.entity == entity,
            MappingReview.entity_id == entity_id,
            MappingReview.status == "open",
        )
    ).first()
    if existing is not None:
        return existing
    review = MappingReview(
        tenant_id=tenant_id,
        entity=entity,
        entity_id=entity_id,
        profile=profile,
        source_kind=kind,
        source_key=key,
        job_id=job_id,
    )
    session.add(review)
    session.flush()
    return review


def release_reviews(session: Session, tenant_id: str, profile: str, kind: str, key: str) -> int:
    """A mapping arrived: the records it held go back in the queue."""
    query = select(MappingReview).where(
        MappingReview.tenant_id == tenant_id, MappingReview.status == "open", MappingReview.profile == profile
    )
    if kind != "default":
        query = query.where(MappingReview.source_kind == kind, MappingReview.source_key == key)
    released = 0
    for review in session.scalars(query):
        review.status = "released"
        review.released_at = utcnow()
        if review.job_id:
            job = session.get(SyncJob, review.job_id)
            if job is not None and job.status in (SyncJobStatus.FAILED, SyncJobStatus.DEAD):
                job.status = SyncJobStatus.PENDING
                job.next_attempt_at = utcnow()
                job.attempts = 0
        released += 1
    session.flush()
    return released


def list_reviews(session: Session, tenant_id: str) -> list[MappingReview]:
    return list(
        session.scalars(
            select(MappingReview)
            .where(MappingReview.tenant_id == tenant_id, MappingReview.status == "open")
            .order_by(MappingReview.created_at)
        )
    )


def unmapped_codes(session: Session, tenant_id: str, profile: str = "revenue") -> list[str]:
    """Cost codes in the catalog with no mapping of their own (the flags on the mapping screen)."""
    codes = session.scalars(
        select(func.distinct(Item.cost_code)).where(Item.tenant_id == tenant_id, Item.cost_code.is_not(None))
    )
    return sorted(c for c in codes if c and _active(session, tenant_id, profile, "cost_code", c) is None)


__all__ = [
    "DEFAULT_KEY",
    "PROFILES",
    "SOURCE_KINDS",
    "MappingIn",
    "account_for_item",
    "default_account",
    "hold_for_review",
    "list_mappings",
    "list_reviews",
    "release_reviews",
    "save_mappings",
    "unmapped_codes",
]
