"""The emulator's state behind ``app.state.sandbox``: realms, tokens, faults, stats, webhooks.

Besides serving the HTTP API, :class:`Sandbox` lets tests and benchmarks act as a user inside QuickBooks
(``create``/``update``/``delete``/``void``/``merge``; ``get``/``list_entities`` to look): those changes bump SyncTokens and emit CDC entries and
webhooks exactly as API writes do.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from domain.clock import Clock, system_clock
from integrations.quickbooks.sandbox import faults, lifecycle
from integrations.quickbooks.sandbox.config import FaultConfig, SandboxConfig
from integrations.quickbooks.sandbox.fixture import load_demo_company
from integrations.quickbooks.sandbox.rules import Books
from integrations.quickbooks.sandbox.store import Entity, RealmStore, canonical_entity
from integrations.quickbooks.sandbox.synthetic import generate_records
from integrations.quickbooks.sandbox.throttle import Throttle
from integrations.quickbooks.sandbox.tokens import TokenStore
from integrations.quickbooks.sandbox.webhooks import WebhookDispatcher
from integrations.quickbooks.sandbox.wire import SandboxClock

T = TypeVar("T")


@dataclass
class Stats:
    requests: int = 0
    requests_by_realm: dict[str, int] = field(default_factory=dict)
    throttled: int = 0  # 429s returned because a limit was hit
    injected: dict[str, int] = field(default_factory=dict)  # faults injected, by kind
    replays: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_by_realm": dict(self.requests_by_realm),
            "throttled_429": self.throttled,
            "injected_faults": dict(self.injected),
            "replays": self.replays,
            "webhooks_delivered": self.webhooks_delivered,
            "webhooks_failed": self.webhooks_failed,
        }


@dataclass
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    signature: bytes  # method and path of the original request


def present(obj: Entity) -> Entity:
    """An entity as the API returns it (every entity carries ``domain`` and ``sparse``)."""
    return {**obj, "domain": "QBO", "sparse": False}


class Sandbox:
    def __init__(self, config: SandboxConfig, *, clock: Clock = system_clock) -> None:
        self.config = config
        self.clock = SandboxClock(config.today, config.utc_offset_minutes, clock)
        # Each fixture company as it was seeded, so a caller mirroring it locally gets the same shifted data.
        self.seeded: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()
        self.realms: dict[str, RealmStore] = {}
        self.stats = Stats()
        # A copy: runtime knob changes must not alter the configuration that ``reset`` returns to.
        self.faults = config.faults.model_copy(deep=True)
        self.rng = random.Random(config.faults.seed)
        self.throttle = Throttle(config.limits)
        self.tokens = TokenStore(config.clients, config.tokens, self.clock)
        self.webhooks = WebhookDispatcher(config.webhook, on_result=self._webhook_result)
        self.replay_cache: dict[tuple[str, str], CachedResponse] = {}
        for seed in config.realms:
            self.seed_realm(seed.realm_id, source=seed.source, company_name=seed.company_name)

    # ---- realms ------------------------------------------------------------------------------------------
    @property
    def default_realm_id(self) -> str:
        return next(iter(self.realms))

    def realm(self, realm_id: str) -> RealmStore:
        store = self.realms.get(realm_id)
        if store is None:
            raise faults.authorization_failed(f"Company {realm_id} is not known to this app")
        return store

    def seed_realm(
        self, realm_id: str | None = None, *, source: str = "fixture", company_name: str | None = None
    ) -> str:
        """Create (or replace) a company, empty or loaded from the demo fixture with dates shifted to today."""
        company = load_demo_company(self.clock.today(), now=self.clock.now()) if source == "fixture" else None
        realm_id = realm_id or (
            company["realmId"] if company else f"{9130000000000000 + len(self.realms) + 1}"
        )
        store = RealmStore(realm_id, self.clock.tz)
        if company is not None:
            store.load(company)
        else:
            now = self.clock.now().replace(microsecond=0).isoformat()
            store.load(_empty_company(company_name or f"Sandbox Company {realm_id}", now))
        if company_name and company is not None:
            store.entities["CompanyInfo"]["1"]["CompanyName"] = company_name
        with self.lock:
            self.realms[realm_id] = store
            if company is not None:
                self.seeded[realm_id] = company
            self.replay_cache = {k: v for k, v in self.replay_cache.items() if k[0] != realm_id}
        return realm_id

    def reset(self) -> None:
        """Back to the configured companies, with no tokens, counters or cached responses."""
        with self.lock:
            self.realms.clear()
            self.replay_cache.clear()
            self.stats = Stats()
            self.set_faults(**self.config.faults.model_dump())
            self.throttle.reset()
            self.tokens = TokenStore(self.config.clients, self.config.tokens, self.clock)
            for seed in self.config.realms:
                self.seed_realm(seed.realm_id, source=seed.source, company_name=seed.company_name)

    # ---- running writes ----------------------------------------------------------------------------------
    def run(
        self, realm_id: str, action: Callable[[Books], T], *, allow_duplicate_doc_number: bool = False
    ) -> T:
        """Run ``action`` against one realm under the lock, then publish what it changed."""
        with self.lock:
            books = Books(
                self.realm(realm_id), self.clock, allow_duplicate_doc_number=allow_duplicate_doc_number
            )
            try:
                result = action(books)
            finally:
                # Writes that happened before a fault stay (QBO is not transactional across side effects).
                books.finish()
                changes = list(books.changes)
        self.webhooks.publish(realm_id, changes)
        return result

    def maybe_user_edit(self, realm_id: str, entity: str, body: Entity) -> None:
        """Fault knob: as if a user had just saved this record in QBO, making the caller's SyncToken stale."""
        rate = self.faults.stale_synctoken_rate
        if rate <= 0 or not body.get("Id") or self.rng.random() >= rate:
            return
        with self.lock:
            if self.realm(realm_id).get(entity, str(body["Id"])) is None:
                return
            self.count_injected("stale_synctoken")
        self.run(realm_id, lambda books: books.touch(entity, str(body["Id"])))

    # ---- acting as a user inside QBO (tests, benchmarks, control endpoints) ------------------------------
    def _entity(self, name: str) -> str:
        entity = canonical_entity(name)
        if entity is None:
            raise ValueError(f"unknown QBO entity {name!r}")
        return entity

    def get(self, realm_id: str, entity: str, entity_id: str) -> Entity | None:
        with self.lock:
            obj = self.realm(realm_id).get(self._entity(entity), str(entity_id))
            return present(copy.deepcopy(obj)) if obj is not None else None

    def list_entities(self, realm_id: str, entity: str) -> list[Entity]:
        with self.lock:
            return [present(copy.deepcopy(o)) for o in self.realm(realm_id).all(self._entity(entity))]

    def create(self, realm_id: str, entity: str, body: Entity) -> Entity:
        name = self._entity(entity)
        return present(copy.deepcopy(self.run(realm_id, lambda books: books.create(name, body))))

    def update(self, realm_id: str, entity: str, changes: Entity, *, sparse: bool = True) -> Entity:
        """Edit a record as a user would: no SyncToken needed, the latest version is what gets changed."""
        name = self._entity(entity)

        def edit(books: Books) -> Entity:
            current = books.read(name, str(changes["Id"]))
            body = {**changes, "SyncToken": current.get("SyncToken", "0"), "sparse": sparse}
            return books.update(name, body)

        return present(copy.deepcopy(self.run(realm_id, edit)))

    def delete(self, realm_id: str, entity: str, entity_id: str) -> Entity:
        name = self._entity(entity)

        def remove(books: Books) -> Entity:
            current = books.read(name, str(entity_id))
            return lifecycle.delete(
                books, name, {"Id": current["Id"], "SyncToken": current.get("SyncToken", "0")}
            )

        return self.run(realm_id, remove)

    def void(self, realm_id: str, entity: str, entity_id: str) -> Entity:
        name = self._entity(entity)

        def void(books: Books) -> Entity:
            current = books.read(name, str(entity_id))
            return lifecycle.void(
                books, name, {"Id": current["Id"], "SyncToken": current.get("SyncToken", "0")}
            )

        return present(copy.deepcopy(self.run(realm_id, void)))

    def merge(self, realm_id: str, entity: str, survivor_id: str, merged_id: str) -> Entity:
        name = self._entity(entity)
        return present(
            copy.deepcopy(
                self.run(realm_id, lambda books: lifecycle.merge(books, name, survivor_id, merged_id))
            )
        )

    def generate(
        self, realm_id: str, entity: str, count: int, *, seed: int | None = None, emit: bool = False
    ) -> list[str]:
        """Add ``count`` synthetic records (benchmarks); webhooks only when ``emit``."""
        name = self._entity(entity)
        rng = random.Random(seed)
        with self.lock:
            books = Books(self.realm(realm_id), self.clock)
            ids = generate_records(books, name, count, rng)
            books.finish()
            changes = list(books.changes)
        if emit:
            self.webhooks.publish(realm_id, changes)
        return ids

    def issue_tokens(
        self,
        realm_id: str | None = None,
        client_id: str | None = None,
        scope: str = "com.intuit.quickbooks.accounting",
    ) -> dict[str, Any]:
        """A token response for ``realm_id`` as if the user had just connected the app."""
        with self.lock:
            realm = realm_id or self.default_realm_id
            self.realm(realm)
            return self.tokens.issue_for(client_id or self.config.clients[0].client_id, realm, scope)

    # ---- faults and stats --------------------------------------------------------------------------------
    def set_faults(self, **changes: Any) -> FaultConfig:
        """Change fault knobs at runtime (validated); a new ``seed`` reseeds the RNG."""
        with self.lock:
            merged = FaultConfig.model_validate({**self.faults.model_dump(), **changes})
            for key in changes:
                setattr(self.faults, key, getattr(merged, key))
            if "seed" in changes:
                self.rng = random.Random(merged.seed)
            return self.faults

    def clear_faults(self) -> FaultConfig:
        return self.set_faults(**FaultConfig().model_dump())

    def count_injected(self, kind: str) -> None:
        self.stats.injected[kind] = self.stats.injected.get(kind, 0) + 1

    def _webhook_result(self, delivered: bool) -> None:
        if delivered:
            self.stats.webhooks_delivered += 1
        else:
            self.stats.webhooks_failed += 1

    def close(self) -> None:
        self.webhooks.flush(timeout=1.0)
        self.webhooks.close()


def _empty_company(name: str, now: str) -> dict[str, Any]:
    """A new QBO company: company info, the accounts and tax codes QBO creates, no customers or sales."""
    meta = {"CreateTime": now, "LastUpdatedTime": now}

    def account(i: str, acct_name: str, acct_type: str, classification: str) -> Entity:
        return {
            "Id": i,
            "SyncToken": "0",
            "Name": acct_name,
            "FullyQualifiedName": acct_name,
            "AccountType": acct_type,
            "Classification": classification,
            "Active": True,
            "CurrentBalance": 0,
            "MetaData": meta,
        }

    return {
        "CompanyInfo": [
            {
                "Id": "1",
                "SyncToken": "0",
                "CompanyName": name,
                "LegalName": name,
                "Country": "US",
                "FiscalYearStartMonth": "January",
                "MetaData": meta,
            }
        ],
        "Account": [
            account("1", "Checking", "Bank", "Asset"),
            account("2", "Undeposited Funds", "Other Current Asset", "Asset"),
            account("3", "Accounts Receivable (A/R)", "Accounts Receivable", "Asset"),
            account("4", "Accounts Payable (A/P)", "Accounts Payable", "Liability"),
            account("5", "Services", "Income", "Revenue"),
            account("6", "Cost of Goods Sold", "Cost of Goods Sold", "Expense"),
        ],
        "Term": [
            {"Id": "1", "SyncToken": "0", "Name": "Net 30", "Active": True, "Type": "STANDARD", "DueDays": 30}
        ],
        "TaxCode": [
            {"Id": "TAX", "Name": "TAX", "Description": "Taxable", "Taxable": True, "Active": True},
            {"Id": "NON", "Name": "NON", "Description": "Non-taxable", "Taxable": False, "Active": True},
        ],
    }
