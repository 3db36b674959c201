"""Fuzzy customer / vendor name resolution: what people type → exactly one record, or a question back.

People write "ACME", "acme corp.", "Bobs Bakery", "Greenfield Apartments", "Harbor Cafe and Grill",
"OBrien" or a small misspelling. We normalise both sides (case, punctuation, "'s", "&"/"and", legal suffixes,
titles), then score with rapidfuzz. A clear winner resolves; several close scores raise AmbiguousName; nothing
close enough raises UnknownName with suggestions. Never a silent guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from domain.errors import AmbiguousName, UnknownName

# Words that do not tell two businesses apart; "ACME Corp" and "ACME Corporation" are the same customer.
_NOISE = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "the",
        "dr",
        "mr",
        "mrs",
        "ms",
        "plc",
        "pllc",
        "pc",
    }
)
ACCEPT_SCORE = 80.0  # below this a name is not a match at all
SUGGEST_SCORE = 55.0  # ...but still worth offering as "did you mean"
AMBIGUITY_MARGIN = 6.0  # a runner-up this close to the best makes the answer a question
TOKEN_MATCH = 80.0  # how alike two words must be to count as the same word with a typo
# Names whose normal form is remembered (a large company's customers and vendors, and what people type).
NORMALIZED_NAMES_KEPT = 65_536


@dataclass(frozen=True, slots=True)
class NameCandidate:
    """One customer or vendor: its id, the display name, other names it goes by, and whether it is active."""

    id: str
    name: str
    aliases: tuple[str, ...] = field(default_factory=tuple)
    active: bool = True


@lru_cache(maxsize=NORMALIZED_NAMES_KEPT)
def normalize_name(text: str) -> str:
    """Lower-case words without punctuation, possessives, legal suffixes or titles.

    Remembered: every question that names a customer compares it with every customer's name, so the same few
    thousand names are normalised on every turn otherwise.
    """
    # Accents go ("Ölaf" = "Olaf"), but letters of other scripts stay: dropping them made "李 Plumbing" match
    # any plumber.
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"\([^)]*\)", " ", folded)  # "(closed)" style notes are not part of the name
    folded = folded.replace("&", " and ").replace("+", " and ")
    folded = re.sub(r"\\?['’`]s\b", "", folded)  # Bob's → bob
    folded = re.sub(r"\\?['’`]", "", folded)  # O'Brien → obrien; an escaped O\'Brien too
    words = re.sub(r"[\W_]+", " ", folded).split()
    kept = [w for w in words if w not in _NOISE]
    return " ".join(kept or words)


def _words_score(query: str, target: str) -> float:
    """How well every query word finds a (possibly misspelt) word in the target; missing words are allowed."""
    q_words = [w for w in query.split() if w != "and"] or query.split()
    t_words = target.split()
    if not q_words or not t_words:
        return 0.0
    best_per_word = [max(fuzz.ratio(q, t) for t in t_words) for q in q_words]
    if min(best_per_word) < TOKEN_MATCH:
        return 0.0
    return sum(best_per_word) / len(best_per_word)


def score_name(query: str, candidate: str) -> float:
    """0..100 similarity of two already-normalised names."""
    if not query or not candidate:
        return 0.0
    if query == candidate:
        return 100.0
    # Not token_set_ratio / WRatio: they score "ACME Plumbing" 100 against "ACME", but a word the record does
    # not have means a different business. Missing words are fine; extra ones are not.
    return max(
        _words_score(query, candidate),
        fuzz.ratio(query, candidate),
        fuzz.ratio(query.replace(" ", ""), candidate.replace(" ", "")),
    )


@dataclass(frozen=True, slots=True)
class _Scored:
    candidate: NameCandidate
    score: float
    exact: bool
    coverage: float  # share of the candidate's words the query mentions: breaks ties toward the fuller match


def _score(query: str, candidate: NameCandidate) -> _Scored:
    best = _Scored(candidate, 0.0, False, 0.0)
    for name in (candidate.name, *candidate.aliases):
        target = normalize_name(name)
        score = score_name(query, target)
        q_words, t_words = set(query.split()), set(target.split())
        coverage = len(q_words & t_words) / len(t_words) if t_words else 0.0
        scored = _Scored(candidate, score, query == target, coverage)
        if (scored.exact, scored.score, scored.coverage) > (best.exact, best.score, best.coverage):
            best = scored
    return best


def rank_names(query: str, candidates: Iterable[NameCandidate]) -> list[tuple[NameCandidate, float]]:
    """Active candidates with their scores, best first (for suggestions and debugging)."""
    normalized = normalize_name(query)
    scored = [_score(normalized, c) for c in candidates if c.active]
    scored.sort(key=lambda s: (s.exact, s.score, s.coverage), reverse=True)
    return [(s.candidate, s.score) for s in scored]


def _suggestions(query: str, scored: list[_Scored]) -> list[str]:
    """Near misses, including records sharing a word with the query ("ACME Plumbing" → "ACME Corp")."""

    def hint(s: _Scored) -> float:
        names = (s.candidate.name, *s.candidate.aliases)
        shared = max(fuzz.token_set_ratio(query, normalize_name(n)) for n in names)
        return max(s.score, shared - 15)

    ranked = sorted(scored, key=hint, reverse=True)
    return [s.candidate.name for s in ranked[:3] if hint(s) >= SUGGEST_SCORE]


def resolve_name(query: str, candidates: Sequence[NameCandidate], *, kind: str = "customer") -> NameCandidate:
    """The one active record *query* means; raises UnknownName or AmbiguousName otherwise."""
    normalized = normalize_name(query)
    if not normalized:
        raise UnknownName(kind, query)
    scored = [_score(normalized, c) for c in candidates if c.active]
    scored.sort(key=lambda s: (s.exact, s.score, s.coverage), reverse=True)
    exact = [s for s in scored if s.exact]
    if len(exact) == 1:
        return exact[0].candidate
    if len(exact) > 1:
        raise AmbiguousName(kind, query, [s.candidate.name for s in exact])
    if not scored or scored[0].score < ACCEPT_SCORE:
        suggestions = _suggestions(normalized, scored)
        inactive = [c.name for c in candidates if not c.active and normalize_name(c.name) == normalized]
        if inactive:
            raise UnknownName(f"active {kind}", query, suggestions) from None
        raise UnknownName(kind, query, suggestions)
    best = scored[0]
    close = [s for s in scored if s.score >= ACCEPT_SCORE and best.score - s.score < AMBIGUITY_MARGIN]
    if len(close) > 1:
        # Equal scores but one candidate is a much fuller match ("Smith & Sons" vs "Smith Family"): take it.
        if close[0].coverage > close[1].coverage and close[0].score > close[1].score:
            return close[0].candidate
        raise AmbiguousName(kind, query, [s.candidate.name for s in close])
    return best.candidate
