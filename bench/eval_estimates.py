"""Estimate drafting benchmark: plan and price every job of an evaluation file against the demo catalog.

A draft passes when it holds every required catalog line with the required quantity, nothing outside the
required and optional lines, and a warning exactly when one is due. Prints the pass share and each failure.

    python bench/eval_estimates.py [--file F.jsonl ...] [--fixture company.json] [--min-share 1]
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.estimating.catalog import catalog_from_company, company_tax_rate, load_company  # noqa: E402
from agent.estimating.planner import draft_estimate  # noqa: E402

DEFAULT_FIXTURE = ROOT / "integrations" / "quickbooks" / "sandbox" / "fixtures" / "qbo_demo_company.json"
JOBS = ROOT / "tests" / "agent" / "estimating"
DEFAULT_FILES = [JOBS / "estimates_public.jsonl", JOBS / "estimate_jobs.jsonl"]


def check(draft_json: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """Why a draft misses its expectation; an empty list means it passes."""
    problems: list[str] = []
    got: dict[str, Decimal] = {}
    for line in draft_json["estimate"]["lines"]:
        if line["item_name"] is not None:
            got[line["item_name"]] = got.get(line["item_name"], Decimal(0)) + Decimal(str(line["quantity"]))
    required = {name: Decimal(str(q)) for name, q in expect.get("required", {}).items()}
    allowed = set(required) | set(expect.get("optional", []))
    for name, quantity in required.items():
        if name not in got:
            problems.append(f"missing {name} x{quantity}")
        elif got[name] != quantity:
            problems.append(f"{name}: quantity {got[name]}, expected {quantity}")
    problems += [f"unexpected {name} x{got[name]}" for name in got if name not in allowed]
    if bool(draft_json["warnings"]) != bool(expect.get("warnings", False)):
        problems.append(f"warnings expected={bool(expect.get('warnings'))}, got {draft_json['warnings']}")
    return problems


def run(cases: list[dict[str, Any]], company: dict[str, Any]) -> tuple[int, list[tuple[str, list[str]]]]:
    catalog = catalog_from_company(company)
    exempt = {c["DisplayName"]: not c.get("Taxable", True) for c in company.get("Customer", [])}
    tax = company_tax_rate(company)
    failures: list[tuple[str, list[str]]] = []
    for case in cases:
        draft, _ = draft_estimate(
            case["job"],
            catalog,
            tax_rate_percent=tax,
            tax_exempt=exempt.get(case.get("customer") or "", False),
        )
        problems = check(json.loads(draft.to_json()), case["expect"])
        if problems:
            failures.append((case["job"], problems))
    return len(cases) - len(failures), failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--file", type=Path, action="append", help="JSONL of jobs (repeatable)")
    parser.add_argument("--fixture", type=Path, default=DEFAULT_FIXTURE)
    parser.add_argument(
        "--min-share", type=float, default=0.0, help="exit 1 when a file's pass share is lower"
    )
    args = parser.parse_args(argv)
    company = load_company(args.fixture)
    worst = 1.0
    for path in args.file or DEFAULT_FILES:
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        passed, failures = run(cases, company)
        share = passed / len(cases) if cases else 0.0
        worst = min(worst, share)
        print(f"estimate drafts: {passed}/{len(cases)} exact ({share:.1%}) on {path.name}")
        for job, problems in failures:
            print(f"FAIL {job!r}: " + "; ".join(problems))
    return 0 if worst >= args.min_share else 1


if __name__ == "__main__":
    raise SystemExit(main())
