"""Price questions about one item: "whats our price on a 50 gal gas heater" → "50 gal gas heater"."""

from __future__ import annotations

import re

PRICE_OF = re.compile(
    r"^\s*(?:(?:what(?:'s|s|\s+is|\s+are)?|tell\s+me|give\s+me)\s+)?(?:our\s+|the\s+|your\s+)?"
    r"(?:price|pricing|rate|charge|cost)s?\s+(?:on|of|for)\s+(?P<a>.+?)[\s?.!]*$|"
    r"^\s*how\s+much\s+(?:do\s+we\s+(?:charge|sell|get)\s+(?:for|on)|is|are|does)\s+(?:an?|one|the)\s+(?P<b>.+?)"
    r"(?:\s+(?:cost|go\s+for|sell\s+for))?[\s?.!]*$|"
    r"^\s*what\s+do\s+we\s+charge\s+(?:for|on)\s+(?P<c>.+?)[\s?.!]*$",
    re.I,
)
_ARTICLE = re.compile(r"^(?:a|an|the|one|our)\s+", re.I)
# "price of everything", "how much is the price list": the whole catalog, not one item.
_GENERIC = re.compile(
    r"^(?:everything|all|items?|products?|services?|parts?|materials?|labor|the\s+list|price\s*list|catalog(?:ue)?)$",
    re.I,
)
# Words that make it a question about the books, not the catalog.
_BOOKS = re.compile(
    r"\b(?:invoices?|estimates?|quotes?|bills?|payments?|owe[sd]?|paid|balance|total|customer|job\s+for)\b",
    re.I,
)


def read_price_question(text: str) -> str | None:
    """The item a price question asks about, or None when it is not one."""
    m = PRICE_OF.match(text.replace("’", "'"))
    if not m:
        return None
    item = _ARTICLE.sub("", (m["a"] or m["b"] or m["c"] or "").strip())
    if not item or _GENERIC.match(item) or _BOOKS.search(item) or len(item) > 80:
        return None
    return item
