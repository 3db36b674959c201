"""Reading a job description: normalised text, tokens, and the labor hours it states.

Language knowledge only (number words, units, trade synonyms, how people state hours); nothing here knows a
particular company's catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

NUM = r"\d+(?:\.\d+)?"
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "eighteen": 18, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100,
}  # fmt: skip

SUPPLIED = "customersupplied"  # one token marking materials the customer provides

# Trade phrasing rewritten to the words catalogs use. Order matters: longer, more specific phrases first.
_SYNONYMS: list[tuple[str, str]] = [
    (r"\ba/c\b|\bair condition(?:er|ing)\b", "ac"),
    (r"\bhot water (?:heater|tank)\b|\bwater tank heater\b|\bhwt\b|\bwh\b", "water heater"),
    (r"\bwhs\b", "water heaters"),
    (r"\bon demand\b|\binstant(?:aneous)? hot water\b", "tankless"),
    (r"\b(?:trip|truck|dispatch) (?:charge|fee)\b|\bservice (?:visit|fee)\b", "service call"),
    (r"\b(?:haul|cart|take|carry)(?:ed|ing|s)? (?:it |them |(?:the |that |this )?old (?:[a-z]+ ){0,2})?(?:off|away)\b",
     "haul away"),
    (r"\b(?:remove|removal|haul away)(?: and|,| &)? dispos(?:e|al)(?: of)?\b", "haul away"),
    (r"\bdispos(?:e|ing) of\b|\bdisposal of (?:the )?old\b", "haul away"),
    (r"\b(?:garbage|food waste|food|sink) dispos(?:al|er)s?\b|\bdisposer\b|\binsinkerator\b", "garbage disposal"),
    (r"\bre pip(?:e|ed|ing)\b", "repipe"),
    (r"\b(?:customer|owner|client|homeowner)(?:'s)? (?:supplied|provided|furnished|owned)\b"
     r"|\b(?:supplied|provided|furnished|bought) by (?:the )?(?:customer|owner|client|homeowner)\b"
     r"|\b(?:customer|owner|client|homeowner)(?:'s)? own\b|\btheir own\b", SUPPLIED),
    (r"\bcall outs?\b", "callout"),
    (r"\bhaul (?:away |off |out )?(?:the |all )?(?:debris|trash|junk|rubbish)\b", "haul away"),
    (r"\b(?:gas )?flex (?:lines?|hoses?|connectors?)\b|\bgas flex\b", "flex connector"),
    (r"\b(?:vent|venting|flue)(?: pipe| kit)? (?:for|on|to) (?:the |a )?water heater\b", "water heater vent"),
    (r"\bpull(?:ing)? (?:a |the )?permits?\b|\bpermits\b|\bpermitting\b", "permit"),
    (r"\b(?:video|sewer camera|camera) (?:inspection|scope)\b|\bscope the (?:line|sewer|drain)\b", "camera inspection"),
    (r"\b(?:clear|clean|snake|unclog|unblock|rod|auger|cable|jet|hydro ?jet)(?:ing|ed)?(?: out)?"
     r"(?: the| a)?(?: main)?(?: sewer| drain| waste)?(?: lines?| drains?| stoppages?| clogs?| sewer)\b",
     "drain cleaning"),
    (r"\b(?:clogged|backed up|blocked|slow) (?:main |sewer |drain )*(?:lines?|drains?|sewer)\b", "drain cleaning"),
    (r"\b(?:main |sewer )*(?:lines?|drains?|sewer) (?:is |are |was |keeps )?(?:clogged|backed up|backing up|blocked)\b",
     "drain cleaning"),
    (r"\b(?:snake|snaking|snaked|rooter|hydro ?jet(?:ting)?|auger(?:ing)?)\b(?: (?:it|them|out|the (?:main|line|drain|sewer)))?",
     "drain cleaning"),
    (r"\b(?:clear|unclog|unblock|clean out)(?:ed|ing)? (?:it|them)\b", "drain cleaning"),
    (r"\b(?:furnace|heating|heater) (?:maintenance|service|servicing|check ?up|cleaning|safety (?:inspection|check)"
     r"|inspection|tune ?up)\b", "furnace tune up"),
    (r"\bservice (?:the|a|their|his|her) furnace\b", "furnace tune up"),
    (r"\b(?:maintenance|servicing|tune ?up|check ?up|cleaning|safety check)(?: on| of| for)?"
     r"(?: the| a| their| his| her)? furnace\b", "furnace tune up"),
    (r"\btune ?ups?\b|\btuneups?\b", "tune up"),
    (r"\bcommodes?\b", "toilet"),
    (r"\bt[- ]?stats?\b", "thermostat"),
    (r"\bcu\b", "copper"),
    (r"\belec\b", "electric"),
    (r"\bexp(?:\.|ansion)? tanks?\b", "expansion tank"),
    (r"\bcap swap\b|\bswap (?:the |a )?cap\b|\b(?:ac|run|dual|start) cap\b", "capacitor"),
    (r"\bdrain clean(?:ing|out)?\b", "drain cleaning"),
]  # fmt: skip

EMERGENCY = re.compile(
    r"\b(?:emergency|emergencies|after[- ]hours?|afterhours|overnight|weekend|saturday|sunday|holiday|"
    r"middle of the night|at night|midnight|urgent(?:ly)?|24/7|off[- ]hours|outside (?:of )?business hours|"
    r"overtime)\b"
)
_STD = (
    r"(?:licensed |senior |lead |master |journeyman )?(?:plumbers?|journeyman|journeymen|techs?|technicians?|"
    r"installers?|(?:man|person) crew|guys|men|workers)"
)
_APP = r"(?:apprentices?|helpers?|assistants?|laborers?|trainees?)"
_ROLE = rf"(?:(?:a|an|the|one|1|my|our|his|her|their) )?(?:{_STD}|{_APP})"
_ROLES = rf"{_ROLE}(?:\s*(?:,|and|&|plus)\s*{_ROLE})+"
_LEAD = r"(?:(?:about|around|approximately|approx|roughly|maybe|estimated|est|plus|and|with|for|~)\s+)*"


@dataclass(frozen=True, slots=True)
class LaborAsk:
    """Hours stated for one kind of worker: ``role`` is standard, apprentice or None (not said)."""

    hours: Decimal
    role: str | None
    phrase: str
    each: bool = False


def role_of(text: str) -> str:
    return "apprentice" if re.search(_APP, text) else "standard"


def _num(value: str) -> Decimal:
    return Decimal(value)


_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "½": " 1/2", "¾": " 3/4", "¼": " 1/4"}
)


def normalize(text: str) -> str:
    """Lower-case text with units, numbers, hours and trade synonyms in one spelling."""
    t = text.lower()
    t = t.translate(_TYPOGRAPHY)
    t = re.sub(r"(?<=[a-z0-9])-(?=[a-z])", " ", t)
    t = t.replace("+", " and ")
    # Dates and clock times are not quantities or pipe sizes: "on 3/18 at 2 pm, replace 2 toilets".
    t = re.sub(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:on|by|before|after|for|due) \d{1,2}/\d{2}\b", " ", t)
    t = re.sub(r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|o'clock)(?=\W|$)", " ", t)
    t = re.sub(r"(\d),(\d{3})\b", r"\1\2", t)
    t = re.sub(r"\b(\d+)\s*000\s*btus?\b", r"\1k btu", t)
    t = re.sub(r"\b(\d+)\s*k\b", r"\1k", t)
    t = re.sub(r"\bhalf (?:a )?dozen\b", "6", t)
    t = re.sub(r"\bboth(?: of)?(?: the| their| our)? (?=[a-z]+s\b)", "2 ", t)
    t = re.sub(r"\b(?:a )?dozen\b", "12", t)
    t = re.sub(r"\b(?:a )?(?:couple|pair)(?: of)?\b", "2", t)
    # "one" is a number only before the thing counted: "one toilet", not "haul away the old one".
    t = re.sub(
        r"\bone\b(?=\s+(?!(?:of|and|or|with|away|for|to|in|on|at|that|which|is|was|too|more)\b)[a-z0-9])",
        "1",
        t,
    )
    t = re.sub(
        r"\b("
        + "|".join(w for w in _NUMBER_WORDS if w != "one")
        + r")\b(?!\s+(?:of (?:them|those|these)|more))",
        lambda m: str(_NUMBER_WORDS[m.group(1)]),
        t,
    )
    t = re.sub(r'(\d)\s*(?:"|inch(?:es)?\b|in\.)', r"\1 in", t)
    t = re.sub(r"(\d)\s*-\s*in\b", r"\1 in", t)
    t = re.sub(r"(\d)\s*(?:'|feet\b|foot\b|ft\b\.?|lf\b|linear (?:feet|ft)\b)", r"\1 ft", t)
    t = re.sub(r"(\d)\s*-?\s*(?:gallons?|gal\b\.?|g\b)", r"\1 gal", t)
    t = re.sub(r"(\d)\s*-?\s*(?:horsepower|hp\b)", r"\1 hp", t)
    # Hours in one spelling, "N hours", before anything else reads the numbers.
    t = re.sub(r"\b(?:an|one|1) hour and (?:a )?half\b|\bhour and a half\b|\b1 1/2 hours?\b", "1.5 hours", t)
    t = re.sub(
        r"\b(\d+) and (?:a )?half hours?\b|\b(\d+) 1/2 hours?\b",
        lambda m: f"{m.group(1) or m.group(2)}.5 hours",
        t,
    )
    t = re.sub(r"\b(\d+) hours? and (?:a )?half\b", r"\1.5 hours", t)
    t = re.sub(r"\bhalf (?:an |a )?hour\b|\b1/2 (?:an )?hour\b|\bhalf-hour\b", "0.5 hours", t)
    t = re.sub(r"\b(?:an|a single) hour\b", "1 hours", t)
    t = re.sub(rf"\b({NUM})\s*(?:-|to|or)\s*({NUM})\s*(hours?|hrs?\b|h\b|days?)", r"\2 \3", t)
    t = re.sub(rf"\b({NUM})\s*(?:hours?|hrs?\b\.?|h\b)", r"\1 hours", t)
    t = re.sub(rf"\b({NUM})\s*(?:minutes?|mins?\b)", lambda m: f"{_num(m.group(1)) / 60:.4f} hours", t)
    t = re.sub(r"\b(?:half a|a half|half) day\b", "4 hours", t)
    t = re.sub(r"\b(?:a|1|one) (?:full |whole )?day\b|\ball day\b", "8 hours", t)
    t = re.sub(rf"\b({NUM}) (?:full )?days?\b", lambda m: f"{_num(m.group(1)) * 8} hours", t)
    for pattern, replacement in _SYNONYMS:
        t = re.sub(pattern, replacement, t)
    return " ".join(t.split())


def extract_labor(text: str) -> tuple[list[LaborAsk], str]:
    """Find stated hours in normalised text; return them and the text with those phrases blanked out."""
    asks: list[LaborAsk] = []

    def cut(pattern: str, build: Callable[[re.Match[str]], list[LaborAsk]]) -> None:
        nonlocal text
        while True:
            m = re.search(pattern, text)
            if m is None:
                return
            asks.extend(build(m))
            text = text[: m.start()] + " , " + text[m.end() :]

    def each_role(m: re.Match[str]) -> list[LaborAsk]:
        roles = re.split(r"\s*(?:,|\band\b|&|\bplus\b)\s*", m.group("roles"))
        return [LaborAsk(_num(m.group("h")), role_of(r), m.group(0)) for r in roles if r.strip()]

    def crew(m: re.Match[str]) -> list[LaborAsk]:
        count = _num(m.group("n")) if m.group("n") else Decimal(1)
        return [LaborAsk(count * _num(m.group("h")), role_of(m.group("role")), m.group(0))]

    def one(m: re.Match[str]) -> list[LaborAsk]:
        return [LaborAsk(_num(m.group("h")), role_of(m.group("role")), m.group(0))]

    def plain(m: re.Match[str]) -> list[LaborAsk]:
        return [LaborAsk(_num(m.group("h")), None, m.group(0).strip(), each=bool(m.group("each")))]

    cut(rf"{_LEAD}(?P<h>{NUM}) hours each (?:for |of )?(?P<roles>{_ROLES})", each_role)
    cut(rf"(?P<roles>{_ROLES})(?: for| at|,|:)? {_LEAD}(?P<h>{NUM}) hours(?: each| apiece)?", each_role)
    cut(
        rf"(?P<n>\d+) (?P<role>{_STD}|{_APP})(?: for| at|,|:)? {_LEAD}(?P<h>{NUM}) hours(?: each| apiece)?",
        crew,
    )
    cut(rf"{_LEAD}(?P<h>{NUM}) hours (?:of |for )?(?P<role>{_ROLE})(?:'s)?(?: time| labou?r| work)?", one)
    cut(rf"{_LEAD}(?P<h>{NUM}) (?P<role>{_STD}|{_APP}) hours", one)
    # "8 hours for me and 8 for my apprentice": the unit is said once for both.
    cut(rf"(?<![/\d.])(?P<h>{NUM}) (?:for|to) (?P<role>{_ROLE})\b", one)
    cut(rf"(?P<role>{_ROLE})(?:'s)?(?: time| labou?r)?(?: for| at|,|:)? {_LEAD}(?P<h>{NUM}) hours", one)
    cut(
        rf"{_LEAD}(?P<h>{NUM}) hours(?P<each> each| apiece)?(?: of)?"
        r"(?: (?:labou?r|work|time|install(?:ation)?|on site|onsite))*",
        plain,
    )
    return asks, text


def strip_emergency(text: str) -> tuple[bool, str]:
    """Whether the work is out of hours (priced at the emergency rate) and the text without those words."""
    found = EMERGENCY.search(text) is not None
    return found, EMERGENCY.sub(" ", text)


_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:/\d+)?k?|[a-z]+(?:'[a-z]+)?|[,;.:!?()|]")
_NOT_PLURAL = frozenset({"gas", "plus", "this", "bus", "us", "was", "has", "is", "its", "his", "hers", "yes", "less",
                         "glass", "brass", "series", "btus", "ss", "lbs"})  # fmt: skip


_STEMS = {"venting": "vent", "vents": "vent", "tuneup": "tune", "pipes": "pipe", "disposer": "disposal"}


def singular(word: str) -> str:
    if len(word) <= 3 or word in _NOT_PLURAL or word.endswith(("ss", "us", "is")):
        return word
    if word in _STEMS:
        return _STEMS[word]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("shes", "ches", "xes", "sses")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def tokenize(text: str) -> list[str]:
    """Word, number and punctuation tokens; '&' reads as 'and', hyphens split words, plurals are singular."""
    text = text.replace("&", " and ").replace("-", " ")
    return [singular(tok) for tok in _TOKEN.findall(text)]
