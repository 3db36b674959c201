"""Whatever people type, the estimator answers with catalog lines and warnings, never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.estimating.catalog import catalog_from_company, load_company
from agent.estimating.planner import draft_estimate

FIXTURE = (
    Path(__file__).parents[3]
    / "integrations"
    / "quickbooks"
    / "sandbox"
    / "fixtures"
    / "qbo_demo_company.json"
)
CATALOG = catalog_from_company(load_company(FIXTURE))
NAMES = {e.name for e in CATALOG}
WORDS = [
    "replace", "install", "a", "the", "two", "0", "1/2", "3/4", "150", "99999999", "2.25", "0.0", "hours", "hour",
    "half", "an", "minutes", "feet", "ft", "'", '"', "gallon", "gas", "electric", "water", "heater", "tankless",
    "toilet", "toilets", "wax", "ring", "each", "for", "plumber", "apprentice", "and", "with", "plus", ",", ";",
    "emergency", "after-hours", "haul", "away", "disposal", "garbage", "pex", "copper", "permit", "camera", "x",
    "(", ")", "-", "&", "199k", "btu", "days", "2-4", "one", "old", "pizza", "oven", "ac", "capacitor", "furnace",
    "tune-up", "snake", "clogged", "is", "no", "½", "—", "x2", "12/2", "k",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join))
def test_word_salad_never_breaks_the_estimator(job: str) -> None:
    draft, plan = draft_estimate(job, CATALOG)
    assert {line.item_name for line in plan.lines} <= NAMES
    assert all(line.item_name in NAMES for line in draft.lines)
    assert draft.totals.total >= 0
    assert 0 <= plan.confidence <= 1
    if not draft.lines:
        assert draft.warnings


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_answered(job: str) -> None:
    draft, _ = draft_estimate(job, CATALOG)
    assert draft.lines or draft.warnings or not job.strip()
