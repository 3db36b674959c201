"""The conversation benchmark: its pass/fail rule, and every conversation in the repository's set played through
the real graph with the offline model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "eval_conversations.py"
CASES = [
    json.loads(line)
    for line in (ROOT / "bench" / "eval" / "conversations.jsonl").read_text().splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_conversations", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_set_is_large_enough_and_multi_turn() -> None:
    assert len(CASES) >= 15 and sum(len(c["turns"]) > 1 for c in CASES) >= 15


def test_each_kind_of_miss_is_reported(bench: ModuleType) -> None:
    action = {"name": "send_invoice", "args": {"doc_number": "1041"}}
    case: dict[str, Any] = {
        "expect": ["1041"],
        "expect_action": {"name": "send_invoice", "args": {"doc_number": "1041"}},
    }
    assert bench.check(case, "send_invoice: Send invoice 1041", action) == []
    assert bench.check(case, "Send invoice 1041", {**action, "args": {"doc_number": "1042"}}) == [
        "args.doc_number = '1042', expected '1041'"
    ]
    assert bench.check(case, "no", None) == [
        "missing '1041'",
        "expected a proposed send_invoice, got a reply",
    ]
    assert bench.check({"expect": [], "expect_no_action": True}, "x", action) == [
        "proposed send_invoice where no action was expected"
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
async def test_each_conversation_meets_its_facts_offline(bench: ModuleType, case: dict[str, Any]) -> None:
    reply, action, transcript = await bench.play(case, "offline")
    assert bench.check(case, reply, action) == [], "\n".join(transcript)
