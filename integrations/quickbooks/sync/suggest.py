"""Default account-mapping suggestions: fuzzy name similarity between codes/items and the chart of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models.catalog import Account, Item
from domain.services.sync_mappings import DEFAULT_KEY, account_for_item, default_account

# Which QBO account types can take each profile's postings.
PROFILE_TYPES = {
    "revenue": ("Income", "Other Income"),
    "expense": ("Cost of Goods Sold", "Expense", "Other Expense"),
    "asset": ("Other Current Asset", "Fixed Asset", "Other Asset"),
    "liability": ("Other Current Liability", "Long Term Liability"),
    "bad_debt": ("Expense", "Other Expense"),
}
MIN_SCORE = 40.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    source_kind: str
    source_key: str
    label: str
    profile: str
    account_qbo_id: str
    account_name: str
    score: float


def suggest(
    session: Session, tenant_id: str, *, profile: str = "revenue", limit: int = 3
) -> list[Suggestion]:
    """For every item without a mapped account (grouped by cost code when it has one), the closest accounts."""
    accounts = [
        a
        for a in session.scalars(
            select(Account).where(Account.tenant_id == tenant_id, Account.active.is_(True))
        )
        if a.qbo_id and a.account_type in PROFILE_TYPES.get(profile, ())
    ]
    if not accounts:
        return []
    names = {a.qbo_id: a.name for a in accounts if a.qbo_id}
    if profile == "bad_debt":
        return _bad_debt(session, tenant_id, names, limit)
    out: list[Suggestion] = []
    seen_codes: set[str] = set()
    items = session.scalars(
        select(Item).where(Item.tenant_id == tenant_id, Item.active.is_(True)).order_by(Item.name)
    )
    for item in items:
        if account_for_item(session, tenant_id, item, profile) is not None:
            continue
        if item.cost_code:
            if item.cost_code in seen_codes:
                continue
            seen_codes.add(item.cost_code)
            kind, key, label = "cost_code", item.cost_code, f"{item.cost_code} {item.name}"
        else:
            kind, key, label = "item", item.id, item.name
        # The item's kind (labor, material) helps: "Labor" matches "Services" and "Installation Income" less
        # than "Labor Income", so it is part of what is compared.
        query = f"{label} {item.type.value if hasattr(item.type, 'value') else item.type}"
        # With a dict of choices rapidfuzz answers (choice, score, key).
        for name, score, qbo_id in process.extract(
            query, names, scorer=fuzz.token_set_ratio, processor=utils.default_process, limit=limit
        ):
            if score >= MIN_SCORE:
                out.append(
                    Suggestion(kind, key, label, profile, str(qbo_id), str(name), round(float(score), 1))
                )
    return out


def _bad_debt(session: Session, tenant_id: str, names: dict[str, str], limit: int) -> list[Suggestion]:
    """Write-offs book to one account for the whole company: suggest the expense accounts named like it."""
    if default_account(session, tenant_id, "bad_debt") is not None:
        return []
    return [
        Suggestion(
            "default", DEFAULT_KEY, "Write-offs", "bad_debt", str(qbo_id), str(name), round(float(score), 1)
        )
        for name, score, qbo_id in process.extract(
            "bad debts", names, scorer=fuzz.token_set_ratio, processor=utils.default_process, limit=limit
        )
        if score >= MIN_SCORE
    ]


__all__ = ["PROFILE_TYPES", "Suggestion", "suggest"]
