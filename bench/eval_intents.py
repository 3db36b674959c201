"""Intent benchmark: read every question of an evaluation file offline and compare with the expected QboIntent.

Each line is ``{"utterance", "today", "expect"}``. The question is parsed, then names are resolved against the
demo company's customers and vendors (as the product does). An ``expect`` value that is a list means "any of";
a key absent from ``expect`` must come out null (or the default). Prints accuracy overall and per operation,
then each failure.

    python bench/eval_intents.py [--file F.jsonl ...] [--today YYYY-MM-DD] [--fixture company.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.language.intents import parse_intent, resolve_names  # noqa: E402
from domain.errors import AppError  # noqa: E402
from integrations.quickbooks.mapping.lists import name_candidates_from_qbo  # noqa: E402

DEFAULT_FIXTURE = ROOT / "integrations" / "quickbooks" / "sandbox" / "fixtures" / "qbo_demo_company.json"
DEFAULT_FILES = [
    ROOT / "tests" / "agent" / "language" / "intents_public.jsonl",
    ROOT / "tests" / "agent" / "language" / "phrasings.jsonl",
    ROOT / "tests" / "agent" / "language" / "rankings.jsonl",
    ROOT / "bench" / "eval" / "intents_office.jsonl",
]
RANKING_KEYS = ("groupBy", "sort", "limit")
FILTER_KEYS = (
    "customerName",
    "vendorName",
    "status",
    "dateFrom",
    "dateTo",
    "minAmount",
    "maxAmount",
    "docNumber",
)


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, list):
        return any(_same(e, got) for e in expected)
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return abs(expected - got) < 1e-9
    return bool(expected == got)


def problems(got: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """How an intent (JSON form) misses its expectation; empty when it matches."""
    out: list[str] = []
    if not _same(expect["operation"], got["operation"]):
        out.append(f"operation {got['operation']} != {expect['operation']}")
    filters = expect.get("filters", {})
    for key in FILTER_KEYS:
        if not _same(filters.get(key), got["filters"].get(key)):
            out.append(f"{key} {got['filters'].get(key)!r} != {filters.get(key)!r}")
    if not _same(expect.get("aggregate"), got.get("aggregate")):
        out.append(f"aggregate {got.get('aggregate')!r} != {expect.get('aggregate')!r}")
    for key in RANKING_KEYS:  # absent from expect = must be absent (or null) in the intent
        if not _same(expect.get(key), got.get(key)):
            out.append(f"{key} {got.get(key)!r} != {expect.get(key)!r}")
    return out


def evaluate(
    cases: list[dict[str, Any]], company: dict[str, Any], today: date | None
) -> list[tuple[dict, list[str]]]:
    customers = name_candidates_from_qbo(company.get("Customer", []))
    vendors = name_candidates_from_qbo(company.get("Vendor", []))
    results = []
    for case in cases:
        day = date.fromisoformat(case["today"]) if case.get("today") else today or date.today()
        parsed = parse_intent(case["utterance"], day)
        if parsed.intent is None:
            results.append((case, [f"not understood: {parsed.message}"]))
            continue
        try:
            intent = resolve_names(parsed.intent, customers, vendors)
        except AppError as exc:
            results.append((case, [f"name: {exc.message}"]))
            continue
        results.append((case, problems(intent.to_json(), case["expect"])))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", action="append", type=Path, help="evaluation JSONL (repeatable)")
    parser.add_argument("--today", type=date.fromisoformat, help="today for lines without their own")
    parser.add_argument("--fixture", type=Path, default=DEFAULT_FIXTURE)
    args = parser.parse_args()
    company = json.loads(args.fixture.read_text())
    ok_all = True
    for path in args.file or DEFAULT_FILES:
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        results = evaluate(cases, company, args.today)
        total, passed = Counter(), Counter()
        for case, issues in results:
            ops = case["expect"]["operation"]
            op = ops[0] if isinstance(ops, list) else ops
            total[op] += 1
            passed[op] += not issues
        n_pass = sum(passed.values())
        print(f"== {path.name}: {n_pass}/{len(results)} ({100 * n_pass / max(len(results), 1):.1f}%)")
        for op in sorted(total):
            print(f"   {op:<16} {passed[op]}/{total[op]}")
        for case, issues in results:
            if issues:
                ok_all = False
                print(f"   FAIL {case['utterance']!r}: {'; '.join(issues)}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
