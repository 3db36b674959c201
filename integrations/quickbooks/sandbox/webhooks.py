"""Webhook delivery as QBO does it: aggregated, signed with ``intuit-signature``, retried with backoff.

Legacy ``eventNotifications`` bodies and the newer CloudEvents arrays are both produced. A single background
thread delivers in order; while one POST is being retried, later events wait and go out in the next one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.quickbooks.sandbox.config import WebhookConfig
from integrations.quickbooks.sandbox.rules import Change

_PAST = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Emailed": "emailed",
    "Merge": "merged",
}


def sign(verifier_token: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


def _utc(last_updated: str) -> datetime:
    return datetime.fromisoformat(last_updated.replace("Z", "+00:00")).astimezone(UTC)


def legacy_body(events: list[tuple[str, Change]]) -> dict[str, Any]:
    by_realm: dict[str, list[dict[str, str]]] = {}
    for realm_id, change in events:
        entity = {
            "name": change.entity,
            "id": change.entity_id,
            "operation": change.operation,
            "lastUpdated": _utc(change.last_updated).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        if change.deleted_id is not None:
            entity["deletedId"] = change.deleted_id
        by_realm.setdefault(realm_id, []).append(entity)
    return {
        "eventNotifications": [
            {"realmId": realm_id, "dataChangeEvent": {"entities": entities}}
            for realm_id, entities in by_realm.items()
        ]
    }


def cloudevents_body(events: list[tuple[str, Change]]) -> list[dict[str, Any]]:
    body = []
    for realm_id, change in events:
        data: dict[str, str] = {} if change.deleted_id is None else {"deletedid": change.deleted_id}
        body.append(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "intuit.sandbox",
                "type": f"qbo.{change.entity.lower()}.{_PAST[change.operation]}.v1",
                "datacontenttype": "application/json",
                "time": _utc(change.last_updated).isoformat().replace("+00:00", "Z"),
                "intuitentityid": change.entity_id,
                "intuitaccountid": realm_id,
                "data": data,
            }
        )
    return body


@dataclass
class Delivery:
    body: bytes
    signature: str
    attempts: int
    delivered: bool


class WebhookDispatcher:
    """Queue changes and deliver them from one daemon thread; ``close()`` stops it."""

    def __init__(
        self,
        config: WebhookConfig,
        on_result: Callable[[bool], None] | None = None,
        client_factory: Callable[[], httpx.Client] | None = None,
    ) -> None:
        self.config = config
        self.deliveries: deque[Delivery] = deque(maxlen=1000)  # the latest attempts, for tests and stats
        self._on_result = on_result
        self._client_factory = client_factory or (lambda: httpx.Client(timeout=self.config.timeout_s))
        self._pending: list[tuple[str, Change]] = []
        self._busy = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, realm_id: str, changes: list[Change]) -> None:
        if not changes or not self.config.url:
            return
        with self._cond:
            self._pending.extend((realm_id, change) for change in changes)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="qbo-sandbox-webhooks", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was delivered or given up on (tests and shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        with self._client_factory() as client:
            while not self._stop.is_set():
                with self._cond:
                    self._cond.wait_for(lambda: bool(self._pending) or self._stop.is_set())
                    if self._stop.is_set():
                        return
                    self._busy = True
                # Let near-simultaneous changes join this POST, as QBO aggregates notifications.
                self._stop.wait(self.config.batch_window_s)
                with self._cond:
                    batch, self._pending = self._pending, []
                try:
                    self._deliver(client, batch)
                finally:
                    with self._cond:
                        self._busy = False
                        self._cond.notify_all()

    def _deliver(self, client: httpx.Client, batch: list[tuple[str, Change]]) -> None:
        config = self.config
        payload: Any = cloudevents_body(batch) if config.format == "cloudevents" else legacy_body(batch)
        body = json.dumps(payload, separators=(",", ":")).encode()
        signature = sign(config.verifier_token, body)
        headers = {"content-type": "application/json", "intuit-signature": signature}
        attempts = 0
        delivered = False
        while not self._stop.is_set():
            attempts += 1
            try:
                response = client.post(str(config.url), content=body, headers=headers)
                delivered = 200 <= response.status_code < 300
            except httpx.HTTPError:
                delivered = False
            if delivered or attempts > len(config.retry_delays_s):
                break
            self._stop.wait(config.retry_delays_s[attempts - 1])
        self.deliveries.append(Delivery(body, signature, attempts, delivered))
        if self._on_result is not None:
            self._on_result(delivered)
