"""The QuickBooks Online v3 Accounting API client.

One instance talks to one realm over an injected ``httpx.AsyncClient``; the base URL decides whether that is
production, Intuit's sandbox or our emulator. Every write carries a ``requestid`` that is reused on retries, so
QBO answers a repeated request from its cache instead of executing it twice (reference §7.1).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import datetime
from typing import Any, Protocol

import httpx

from integrations.quickbooks.api.batch import BATCH_MAX_ITEMS, BatchOp, BatchResult, parse_batch_response
from integrations.quickbooks.api.errors import (
    QboAuthError,
    QboError,
    QboNetworkError,
    QboProtocolError,
    QboRateLimited,
)
from integrations.quickbooks.api.faults import error_from_response
from integrations.quickbooks.api.ratelimit import Limiter, Sleep
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.api.wire import WireBody, encode_payload, entity_key, json_object, read_body

DEFAULT_MINOR_VERSION = 75
MAX_PAGE_SIZE = 1000
_FROM_RE = re.compile(r"\bfrom\s+(\w+)", re.IGNORECASE)
_PAGING_RE = re.compile(r"\b(startposition|maxresults)\b", re.IGNORECASE)
# Payment-like entities are voided through a sparse update; an invoice has its own operation (reference §1.2).
_VOID_BY_UPDATE = frozenset({"payment", "salesreceipt", "billpayment"})


class TokenProvider(Protocol):
    """Returns a valid access token; ``force_refresh`` asks for a new one after QBO rejected the current."""

    def __call__(self, *, force_refresh: bool = False) -> Awaitable[str]: ...


def api_base(base_url: str) -> str:
    """Accept either ``https://host`` or ``https://host/v3``; return the ``/v3`` form."""
    base = base_url.rstrip("/")
    return base if base.endswith("/v3") else f"{base}/v3"


def new_request_id() -> str:
    return str(uuid.uuid4())


def derived_request_id(request_id: str, part: int) -> str:
    """A stable id per chunk of a split request: a retried job sends exactly the same ids again."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-request:{request_id}:{part}"))


class QboClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        token_provider: TokenProvider,
        realm_id: str,
        base_url: str,
        minor_version: int = DEFAULT_MINOR_VERSION,
        limiter: Limiter | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._token_provider = token_provider
        self.realm_id = realm_id
        self.base_url = f"{api_base(base_url)}/company/{realm_id}"
        self.minor_version = minor_version
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.surfaced_rate_limits = 0

    # ---- entity operations -------------------------------------------------------------------------------

    async def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        data = await self._json("GET", f"/{entity.lower()}/{entity_id}")
        return self._unwrap(data, entity)

    async def create(
        self, entity: str, payload: dict[str, Any], *, request_id: str | None = None
    ) -> dict[str, Any]:
        if payload.get("Id"):
            raise ValueError("create takes a payload without Id; use update")
        data = await self._json("POST", f"/{entity.lower()}", body=payload, write=True, request_id=request_id)
        return self._unwrap(data, entity)

    async def update(
        self, entity: str, payload: dict[str, Any], *, request_id: str | None = None
    ) -> dict[str, Any]:
        """Full update: QBO nulls every writable field left out, so send the whole entity."""
        self._require_version(payload)
        body = {**payload, "sparse": False}
        data = await self._json("POST", f"/{entity.lower()}", body=body, write=True, request_id=request_id)
        return self._unwrap(data, entity)

    async def sparse_update(
        self,
        entity: str,
        entity_id: str,
        sync_token: str,
        changes: dict[str, Any],
        *,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        body = {**changes, "Id": entity_id, "SyncToken": sync_token, "sparse": True}
        data = await self._json("POST", f"/{entity.lower()}", body=body, write=True, request_id=request_id)
        return self._unwrap(data, entity)

    async def delete(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str | None = None
    ) -> dict[str, Any]:
        body = {"Id": entity_id, "SyncToken": sync_token}
        data = await self._json(
            "POST",
            f"/{entity.lower()}",
            body=body,
            params={"operation": "delete"},
            write=True,
            request_id=request_id,
        )
        return self._unwrap(data, entity)

    async def void(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str | None = None
    ) -> dict[str, Any]:
        name = entity.lower()
        body: dict[str, Any] = {"Id": entity_id, "SyncToken": sync_token}
        if name in _VOID_BY_UPDATE:
            params = {"operation": "update", "include": "void"}
            body["sparse"] = True
        else:
            params = {"operation": "void"}
        data = await self._json(
            "POST", f"/{name}", body=body, params=params, write=True, request_id=request_id
        )
        return self._unwrap(data, entity)

    async def send(
        self, entity: str, entity_id: str, email: str | None = None, *, request_id: str | None = None
    ) -> dict[str, Any]:
        params = {"sendTo": email} if email else {}
        answer = await self._request(
            "POST",
            f"/{entity.lower()}/{entity_id}/send",
            params=params,
            content=b"",
            content_type="application/octet-stream",
            write=True,
            request_id=request_id,
        )
        return self._unwrap(json_object(*answer), entity)

    async def pdf(self, entity: str, entity_id: str) -> bytes:
        response, _ = await self._request(
            "GET", f"/{entity.lower()}/{entity_id}/pdf", accept="application/pdf"
        )
        return response.content

    # ---- reports -------------------------------------------------------------------------------------------

    async def report(self, name: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One Reports API report (``AgedReceivables``, ``ProfitAndLoss``…) as QBO's Header/Columns/Rows JSON."""
        if not name.isalnum():
            raise ValueError(f"not a report name: {name!r}")
        data = await self._json("GET", f"/reports/{name}", params=params)
        if not isinstance(data.get("Header"), dict):
            raise QboProtocolError(f"QuickBooks report {name} has no Header")
        return data

    # ---- queries -------------------------------------------------------------------------------------------

    async def query(self, text: str) -> dict[str, Any]:
        """Run one query; returns the ``QueryResponse`` object (entity list, startPosition, maxResults...)."""
        response, body = await self._request(
            "POST", "/query", content=text.encode(), content_type="application/text"
        )
        data = json_object(response, body)
        result = entity_key(data, "QueryResponse")
        if not isinstance(result, dict):
            raise QboProtocolError(
                "QuickBooks query answer has no QueryResponse", http_status=response.status_code
            )
        return result

    async def query_pages(
        self, select: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield pages of ``select`` (no STARTPOSITION/MAXRESULTS of its own) until a short page ends it."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        if _PAGING_RE.search(select):
            raise ValueError("query_pages adds STARTPOSITION/MAXRESULTS itself")
        entity = self._query_entity(select)
        start = 1
        while True:
            result = await self.query(f"{select.rstrip()} STARTPOSITION {start} MAXRESULTS {page_size}")
            rows = entity_key(result, entity) or []
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            start += page_size

    async def query_all(self, select: str, *, page_size: int = MAX_PAGE_SIZE) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.query_pages(select, page_size=page_size):
            rows.extend(page)
        return rows

    async def count(self, entity: str, where: str | None = None) -> int:
        text = f"SELECT COUNT(*) FROM {entity}" + (f" WHERE {where}" if where else "")
        result = await self.query(text)
        total = entity_key(result, "totalCount")
        return int(total or 0)

    async def cdc(self, entities: Sequence[str], changed_since: datetime) -> dict[str, list[dict[str, Any]]]:
        """Changes since ``changed_since`` (≤ 30 days back), per entity; deletions come as ``status: Deleted``."""
        if changed_since.tzinfo is None:
            raise ValueError("changed_since must be timezone-aware")
        data = await self._json(
            "GET", "/cdc", params={"entities": ",".join(entities), "changedSince": changed_since.isoformat()}
        )
        changes: dict[str, list[dict[str, Any]]] = {name: [] for name in entities}
        for block in entity_key(data, "CDCResponse") or []:
            for response in entity_key(block, "QueryResponse") or []:
                for name in entities:
                    rows = entity_key(response, name)
                    if rows:
                        changes[name].extend(rows)
        return changes

    async def batch(self, ops: Sequence[BatchOp], *, request_id: str | None = None) -> list[BatchResult]:
        """Run ``ops`` in chunks of 30; results come back in the order of ``ops``, correlated by ``bId``."""
        ops = [op if op.bid else op.with_bid(str(i)) for i, op in enumerate(ops)]
        bids = [op.bid for op in ops]
        if len(set(bids)) != len(bids):
            raise ValueError("batch bIds must be unique")
        results: list[BatchResult] = []
        for part, start in enumerate(range(0, len(ops), BATCH_MAX_ITEMS)):
            chunk = ops[start : start + BATCH_MAX_ITEMS]
            # QBO caps a batch requestid at 36 characters: a uuid, derived so a re-run job repeats it.
            chunk_id = derived_request_id(request_id, part) if request_id else new_request_id()
            body = {"BatchItemRequest": [op.to_request() for op in chunk]}
            data = await self._json("POST", "/batch", body=body, write=True, request_id=chunk_id, batch=True)
            results.extend(parse_batch_response(data, chunk, intuit_tid=None))
        return results

    # ---- plumbing ------------------------------------------------------------------------------------------

    @staticmethod
    def _query_entity(select: str) -> str:
        match = _FROM_RE.search(select)
        if not match:
            raise ValueError(f"not a QBO query: {select!r}")
        return match.group(1)

    @staticmethod
    def _require_version(payload: dict[str, Any]) -> None:
        if not payload.get("Id") or payload.get("SyncToken") is None:
            raise ValueError("an update needs Id and the latest SyncToken")

    @staticmethod
    def _unwrap(data: dict[str, Any], entity: str) -> dict[str, Any]:
        value = entity_key(data, entity)
        if not isinstance(value, dict):
            raise QboProtocolError(f"QuickBooks answer has no {entity} object")
        return value

    async def _json(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        write: bool = False,
        request_id: str | None = None,
        batch: bool = False,
    ) -> dict[str, Any]:
        content = encode_payload(body) if body is not None else None
        answer = await self._request(
            method,
            path,
            params=params,
            content=content,
            content_type="application/json" if body is not None else None,
            write=write,
            request_id=request_id,
            batch=batch,
        )
        return json_object(*answer)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        write: bool = False,
        request_id: str | None = None,
        batch: bool = False,
    ) -> tuple[httpx.Response, WireBody]:
        """The response and its body, read once (the fault check and the caller share it)."""
        query: dict[str, str] = dict(params or {})
        query["minorversion"] = str(self.minor_version)
        if write:
            # Fixed once, before the first attempt: every retry repeats it so QBO executes the write once.
            query["requestid"] = request_id or new_request_id()
        url = f"{self.base_url}{path}"
        attempt = 1
        refreshed = False
        token = await self._token_provider(force_refresh=False)
        while True:
            headers = {"Authorization": f"Bearer {token}", "Accept": accept}
            if content_type:
                headers["Content-Type"] = content_type
            error: QboError | None
            try:
                if self.limiter is not None:
                    async with self.limiter.slot(batch=batch):
                        response = await self._http.request(
                            method, url, params=query, content=content, headers=headers
                        )
                else:
                    response = await self._http.request(
                        method, url, params=query, content=content, headers=headers
                    )
                body = read_body(response.content)
                error = error_from_response(response.status_code, body, dict(response.headers))
            except httpx.TransportError as exc:
                error = QboNetworkError(f"could not reach QuickBooks: {exc.__class__.__name__}: {exc}")
            if error is None:
                return response, body
            if isinstance(error, QboAuthError) and not refreshed:
                # The access token may have been revoked or rotated elsewhere: one forced refresh, then retry.
                refreshed = True
                token = await self._token_provider(force_refresh=True)
                continue
            if isinstance(error, QboRateLimited) and self.limiter is not None:
                self.limiter.pause(error.retry_after or self.retry.delay(error, attempt))
            if not self.retry.should_retry(error, attempt):
                if isinstance(error, QboRateLimited):
                    self.surfaced_rate_limits += 1
                raise error
            await self._sleep(self.retry.delay(error, attempt))
            attempt += 1


__all__ = [
    "DEFAULT_MINOR_VERSION",
    "QboClient",
    "TokenProvider",
    "api_base",
    "derived_request_id",
    "encode_payload",
    "new_request_id",
]
