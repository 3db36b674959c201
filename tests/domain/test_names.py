"""Fuzzy name resolution: one clear record, or a question back — never a silent guess."""

from __future__ import annotations

import pytest

from domain.errors import AmbiguousName, UnknownName
from domain.names import NameCandidate, normalize_name, rank_names, resolve_name

CUSTOMERS = [
    NameCandidate("1", "ACME Corp"),
    NameCandidate("2", "Bob's Bakery"),
    NameCandidate("3", "O'Brien Construction", aliases=("O'Brien Construction Inc.",)),
    NameCandidate("4", "Greenfield Apartments LLC"),
    NameCandidate("6", "Riverside School District", aliases=("Riverside Unified School District",)),
    NameCandidate("7", "Jane Cooper"),
    NameCandidate("8", "Carlos Mendez"),
    NameCandidate("11", "Harbor Cafe & Grill"),
    NameCandidate("14", "Dr. Amelia Watson"),
    NameCandidate("15", "Smith & Sons Remodeling"),
    NameCandidate("16", "Old Town Brewing Co."),
    NameCandidate("17", "Westgate Mall (closed)", active=False),
]
VENDORS = [NameCandidate("1", "Ferguson Supply"), NameCandidate("2", "Johnstone Supply")]


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("ACME Corp.", "acme"),
        ("Bob's Bakery", "bob bakery"),
        ("O’Brien Construction, Inc.", "obrien construction"),
        ("Harbor Cafe & Grill", "harbor cafe and grill"),
        ("Dr. Amelia Watson", "amelia watson"),
        ("Westgate Mall (closed)", "westgate mall"),
        ("The Company", "the company"),  # nothing but noise words: keep them rather than nothing
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize_name(text) == normalized


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ACME Corp", "1"),
        ("acme", "1"),
        ("Acme Corporation", "1"),
        ("bobs bakery", "2"),
        ("Bob's", "2"),
        ("OBrien", "3"),
        ("o'brien construction inc", "3"),
        ("Greenfield", "4"),
        ("Greenfield Apartments", "4"),
        ("Grenfield Apartments", "4"),  # a typo
        ("Riverside Unified School District", "6"),  # an alias
        ("cooper", "7"),
        ("Carlos Mendes", "8"),
        ("harbor cafe and grill", "11"),
        ("Harbour Cafe", "11"),
        ("amelia watson", "14"),
        ("Smith and Sons", "15"),
        ("old town brewing company", "16"),
    ],
)
def test_resolves_the_record_people_mean(query: str, expected: str) -> None:
    assert resolve_name(query, CUSTOMERS).id == expected


def test_a_word_the_record_does_not_have_is_not_a_match_but_is_suggested() -> None:
    with pytest.raises(UnknownName) as info:
        resolve_name("ACME Plumbing", CUSTOMERS)
    assert "ACME Corp" in info.value.context["suggestions"]
    assert "Did you mean" in info.value.message


def test_unknown_names_raise_with_no_wild_suggestions() -> None:
    with pytest.raises(UnknownName) as info:
        resolve_name("Zebra Roofing", CUSTOMERS)
    assert info.value.context["suggestions"] == []
    with pytest.raises(UnknownName):
        resolve_name("   ", CUSTOMERS)


def test_inactive_records_are_never_matched() -> None:
    with pytest.raises(UnknownName) as info:
        resolve_name("Westgate Mall", CUSTOMERS)
    assert "active customer" in info.value.message


def test_close_scores_are_a_question_not_a_guess() -> None:
    with pytest.raises(AmbiguousName) as info:
        resolve_name("Supply", VENDORS, kind="vendor")
    assert set(info.value.candidates) == {"Ferguson Supply", "Johnstone Supply"}
    assert "Which one" in info.value.message
    assert resolve_name("Fergusen", VENDORS, kind="vendor").id == "1"


def test_exact_name_wins_over_a_longer_record_containing_it() -> None:
    people = [NameCandidate("a", "ACME Corp"), NameCandidate("b", "ACME Corp West")]
    assert resolve_name("acme corp", people).id == "a"
    with pytest.raises(AmbiguousName):
        resolve_name("acme", [NameCandidate("a", "ACME Corp"), NameCandidate("b", "Acme Inc")])


def test_rank_lists_active_candidates_best_first() -> None:
    ranked = rank_names("greenfield", CUSTOMERS)
    assert ranked[0][0].id == "4" and ranked[0][1] >= 80
    assert all(c.active for c, _ in ranked)
