"""The drafting benchmark: its pass/fail rule and its command line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).parent
BENCH = HERE.parents[2] / "bench" / "eval_estimates.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_estimates", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _draft(lines: dict[str | None, float], warnings: list[str] | None = None) -> dict[str, Any]:
    return {
        "estimate": {"lines": [{"item_name": n, "quantity": q} for n, q in lines.items()]},
        "warnings": warnings or [],
    }


EXPECT = {"required": {"Toilet - Standard": 2, "Labor - Standard": 2}, "optional": ["Wax Ring & Bolts"]}


def test_a_matching_draft_passes(bench: ModuleType) -> None:
    draft = _draft({"Toilet - Standard": 2, "Labor - Standard": 2.0, "Wax Ring & Bolts": 1, None: 0})
    assert bench.check(draft, {**EXPECT, "warnings": False}) == []


@pytest.mark.parametrize(
    ("lines", "warnings", "problem"),
    [
        ({"Labor - Standard": 2}, [], "missing Toilet - Standard"),
        ({"Toilet - Standard": 1, "Labor - Standard": 2}, [], "quantity 1, expected 2"),
        ({"Toilet - Standard": 2, "Labor - Standard": 2, "Permit Fee": 1}, [], "unexpected Permit Fee"),
        ({"Toilet - Standard": 2, "Labor - Standard": 2}, ["hm"], "warnings expected=False"),
    ],
)
def test_each_kind_of_miss_is_reported(
    bench: ModuleType, lines: dict[str | None, float], warnings: list[str], problem: str
) -> None:
    problems = bench.check(_draft(lines, warnings), {**EXPECT, "warnings": False})
    assert len(problems) == 1 and problem in problems[0]


def test_the_public_file_scores_full_marks(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--file", str(HERE / "estimates_public.jsonl"), "--min-share", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "11/11 exact (100.0%)" in out and "FAIL" not in out


def test_a_wrong_expectation_fails_the_run(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.jsonl"
    case = {
        "job": "Furnace tune-up",
        "expect": {"required": {"Camera Inspection": 1}, "optional": [], "warnings": False},
    }
    wrong.write_text(json.dumps(case) + "\n")
    assert bench.main(["--file", str(wrong), "--min-share", "1"]) == 1
    out = capsys.readouterr().out
    assert "0/1 exact" in out and "missing Camera Inspection" in out and "unexpected Furnace Tune-up" in out
