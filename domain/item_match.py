"""Which catalog item a few words mean ("50 gal gas heater" → "Water Heater 50 gal Gas"): best match first.

Words in the item's name count double those in its keywords or description; unit spellings are folded ("gallon",
"gallons" → "gal"), so sizes match as written. A match must cover at least half the words asked about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.models import Item

_UNITS = {
    "gallon": "gal",
    "gallons": "gal",
    "gal.": "gal",
    "gals": "gal",
    "inch": "in",
    "inches": "in",
    '"': "in",
    "feet": "ft",
    "foot": "ft",
    "horsepower": "hp",
    "heaters": "heater",
    "faucets": "faucet",
    "toilets": "toilet",
}
# Question words, not item words.
_IGNORE = frozenset(
    [
        "a",
        "an",
        "the",
        "our",
        "your",
        "my",
        "we",
        "us",
        "is",
        "are",
        "of",
        "on",
        "for",
        "to",
        "what",
        "whats",
        "what's",
        "how",
        "much",
        "do",
        "does",
        "charge",
        "charges",
        "cost",
        "costs",
        "price",
        "prices",
        "pricing",
        "rate",
        "rates",
        "sell",
        "per",
        "one",
        "each",
        "new",
        "please",
        "quote",
        "get",
    ]
)


def words(text: str) -> list[str]:
    raw = re.findall(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?", text.lower().replace("-", " "))
    return [_UNITS.get(w, w) for w in raw if w not in _IGNORE]


@dataclass(frozen=True, slots=True)
class ItemMatch:
    item: Item
    score: int
    covered: int


def best_items(query: str, items: Sequence[Item]) -> list[ItemMatch]:
    """Items ranked by how well they match *query* (only those covering at least half its words)."""
    wanted = list(dict.fromkeys(words(query)))
    if not wanted:
        return []
    out: list[ItemMatch] = []
    for item in items:
        name = set(words(item.name))
        extra = set(words(" ".join([*(item.keywords or []), item.description or ""])))
        score = sum(2 if w in name else 1 if w in extra else 0 for w in wanted)
        covered = sum(1 for w in wanted if w in name or w in extra)
        if covered * 2 >= len(wanted) and score:
            out.append(ItemMatch(item, score, covered))
    out.sort(key=lambda m: (-m.score, -m.covered, len(m.item.name), m.item.name))
    return out
