"""The same intents answered by the QBO sandbox and by the local store (seeded from the same demo company)
return the same records and the same aggregates."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.errors import AppError
from domain.intent import QboIntent
from tools.books import LocalBooks, QboBooks

EVAL = Path(__file__).parent / "language" / "intents_public.jsonl"


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _intents() -> list[tuple[str, QboIntent]]:
    if not EVAL.exists():
        pytest.skip(f"differential test skipped: {EVAL.name} is not in the repository")
    out = []
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expect = row["expect"]
        data = {
            "operation": _first(expect["operation"]),
            "filters": {k: _first(v) for k, v in expect.get("filters", {}).items()},
            "aggregate": expect.get("aggregate"),
            # The whole match set, so ordering ties cannot push different rows onto a page.
            "pagination": {"page": 1, "pageSize": 1000},
        }
        out.append((row["utterance"], QboIntent.model_validate(data)))
    return out


def _key(row: dict[str, Any]) -> tuple[str, str, Decimal, Decimal | None]:
    # A customer's running balance is QBO's own figure; the local list carries the record, not the balance.
    balance = None if "DisplayName" in row else row.get("Balance")
    amount = row.get("TotalAmt", row.get("UnitPrice"))
    return (
        str(row["Id"]),
        str(row.get("DocNumber") or row.get("DisplayName") or row.get("Name")),
        Decimal(str(amount if amount is not None else 0)).quantize(Decimal("0.01")),
        Decimal(str(balance)).quantize(Decimal("0.01")) if balance is not None else None,
    )


def _agg(value: dict[str, Any] | None) -> tuple[str, Decimal] | None:
    return None if value is None else (value["kind"], Decimal(str(value["value"])))


async def test_sandbox_and_local_store_agree_on_every_public_intent() -> None:
    cases = _intents()
    today = demo_as_of()
    async with open_demo(today) as runtime:
        qbo = QboBooks(runtime.client)
        compared = 0
        with runtime.sessionmaker() as session:
            local = LocalBooks(session, runtime.tenant_id)
            for utterance, intent in cases:
                outcomes = []
                for books in (qbo, local):
                    try:
                        outcomes.append(await books.run_intent(intent, today=today))
                    except AppError as exc:
                        outcomes.append({"error": type(exc).__name__})
                remote, mine = outcomes
                if "error" in remote or "error" in mine:
                    assert remote == mine, utterance
                    continue
                assert sorted(map(_key, remote["results"])) == sorted(map(_key, mine["results"])), utterance
                assert _agg(remote["aggregate"]) == _agg(mine["aggregate"]), utterance
                assert (
                    remote["query"] == mine["query"]
                    or intent.filters.customer_name
                    or intent.filters.vendor_name
                ), utterance
                compared += bool(remote["results"]) or remote["aggregate"] is not None
    # Most public questions have answers in the demo company; an empty-vs-empty run proves little.
    assert compared >= len(cases) // 2
