"""Office shorthand and common typos → the words the readers know ("pmts recvd this qtr" → "payments received
this quarter").

Applied before any reader looks at a message, so every reader (questions, writes, drafts, follow-ups) sees the
same spelled-out text. Only whole words change; names are left as typed except where a token is unmistakably
shorthand (a capitalised "AR" in "our total AR" is receivables, not a customer).
"""

from __future__ import annotations

import re

# Case-insensitive whole-word replacements. Keep each one unambiguous in a bookkeeping office.
_WORDS: dict[str, str] = {
    "est": "estimate",
    "ests": "estimates",
    "estmate": "estimate",
    "estimte": "estimate",
    "esitmate": "estimate",
    "quoet": "quote",
    "inv": "invoice",
    "invs": "invoices",
    "invc": "invoice",
    "invcs": "invoices",
    "invoce": "invoice",
    "invoces": "invoices",
    "invoie": "invoice",
    "invioce": "invoice",
    "invioces": "invoices",
    "inovice": "invoice",
    "inovices": "invoices",
    "pmt": "payment",
    "pmts": "payments",
    "pymt": "payment",
    "pymts": "payments",
    "paymnt": "payment",
    "paymnts": "payments",
    "payemnt": "payment",
    "payemnts": "payments",
    "recvd": "received",
    "rcvd": "received",
    "rec'd": "received",
    "recd": "received",
    "recieved": "received",
    "chk": "check",
    "chq": "check",
    "qtr": "quarter",
    "qtrs": "quarters",
    "yr": "year",
    "yrs": "years",
    "mo": "month",
    "mos": "months",
    "mnth": "month",
    "wk": "week",
    "wks": "weeks",
    "cust": "customer",
    "custs": "customers",
    "custmer": "customer",
    "amt": "amount",
    "bal": "balance",
    "hrs": "hours",
    "hr": "hour",
    "rn": "right now",
    "thru": "through",
    "tmrw": "tomorrow",
    "yday": "yesterday",
    "unpiad": "unpaid",
    "upaid": "unpaid",
    "overdeu": "overdue",
    "ovedue": "overdue",
    "outstnading": "outstanding",
    "custoemr": "customer",
    "ytd": "year to date",
    "mtd": "month to date",
    "qtd": "quarter to date",
    "w/": "with",
    "w/o": "without",
    "hasnt": "hasn't",
    "havent": "haven't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "dont": "don't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "whos": "who's",
    "whats": "what's",
    "thats": "that's",
    "a/r": "receivables",
    "a/p": "payables",
}
# Upper-case only: "AR"/"AP" as written are the ledgers; "ar"/"ap" in lower case are left alone.
_UPPER: dict[str, str] = {"AR": "receivables", "AP": "payables", "WH": "water heater"}

_WORD_RE = re.compile(
    r"(?<![\w'/])("
    + "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True))
    + r")(?!\w|(?<!/)/)",
    re.IGNORECASE,
)
_UPPER_RE = re.compile(r"(?<![\w'/])(" + "|".join(_UPPER) + r")(?![\w/])")
# "40 gal gas heater" is a water heater: gallons only size water heaters and tanks in a trade office.
_GALLON_HEATER = re.compile(
    r"\b(\d+\s*(?:gal(?:lons?)?\.?|g)\s+(?:(?:gas|electric|propane|natural\s+gas|nat\s+gas)\s+)?)heater\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def _replace_word(match: re.Match[str]) -> str:
    word = match.group(1)
    out = _WORDS[word.lower()]
    return out.capitalize() if word[:1].isupper() and word[1:].islower() else out


def expand(text: str) -> str:
    """The message with shorthand spelled out and typographic quotes made plain."""
    cleaned = _SPACES.sub(" ", text.replace("’", "'").replace("‘", "'")).strip()
    cleaned = _UPPER_RE.sub(lambda m: _UPPER[m.group(1)], cleaned)
    cleaned = _WORD_RE.sub(_replace_word, cleaned)
    return _GALLON_HEATER.sub(lambda m: f"{m.group(1)}water heater", cleaned)
