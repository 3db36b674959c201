"""Word lists the estimator reads job descriptions with: plain trade English, no particular catalog."""

from __future__ import annotations

import re

# Words too common in trade talk to name an item on their own; they still help pick between variants.
GENERIC = frozenset({
    "pipe", "line", "tank", "pump", "kit", "heater", "water", "gas", "electric", "fee", "service", "cleaning",
    "inspection", "repair", "install", "installation", "labor", "hour", "kitchen", "bathroom", "removal",
    "heating", "cooling", "ac", "flex", "vent", "main", "new", "old", "standard", "unit", "system", "part",
    "material", "fitting", "valve", "drain", "sewer", "call", "trip", "up", "away", "and", "the", "of", "for",
    "with", "a", "an", "plumber", "helper", "furnace", "weekend", "emergency", "equipment", "charge", "job",
})  # fmt: skip
SIZE_UNITS = frozenset({"gal", "in", "hp", "btu", "ton", "amp", "volt", "v", "watt", "psi"})
# Variants of one kind exclude each other: a job asking for an electric heater does not want the gas one.
VARIANT_CLASSES = (
    frozenset({"gas", "electric", "propane"}),
    frozenset({"standard", "basic", "premium", "deluxe", "economy", "commercial"}),
)
VARIANT_WORDS = frozenset().union(*VARIANT_CLASSES)
LOCATIONS = frozenset({"kitchen", "bathroom", "bath", "lavatory", "lav", "vanity", "laundry", "utility", "bar",
                       "tub", "shower", "outdoor", "garden", "hose", "wall"})  # fmt: skip
PURCHASE = frozenset({
    "install", "replace", "new", "swap", "put", "add", "supply", "provide", "upgrade", "convert", "fit", "mount",
    "hook", "change", "installation", "replacement", "buy",
})  # fmt: skip
PRONOUNS = frozenset(
    {"it", "them", "that", "one", "this", "those", "these", "the", "a", "an", "out", "with", "in"}
)
PROBLEMS = frozenset({
    "clogged", "backing", "backed", "blocked", "burst", "frozen", "running", "dripping", "stuck", "overflowing",
    "smell", "smelly", "noisy", "loud", "broken", "cracked", "leaking", "leaky", "leak", "unclog", "plunge",
    "sluggish", "tripping", "rattling", "humming", "not", "won't", "doesn't", "isn't", "no", "backup", "flood", "flooded", "flooding",
})  # fmt: skip
REPAIRS = frozenset(
    {"fix", "repair", "rebuild", "rework", "reroute", "relocate", "move", "build", "run", "patch"}
)
# Work done on something the customer already has: "repair the disposal" does not sell a disposal.
WORK_ON = frozenset({
    "fix", "repair", "rebuild", "patch", "cap", "move", "relocate", "reroute", "service", "inspect", "check",
    "flush", "adjust", "reset", "diagnose", "troubleshoot", "look", "unclog", "drain", "tighten", "secure",
})  # fmt: skip
PREPOSITIONS = frozenset({"on", "for", "to", "from", "under", "near", "behind", "above", "below", "off", "at",
                          "into", "onto", "inside", "beside", "by", "through", "down", "along", "via"})  # fmt: skip
# Prepositions of place: what follows is where the work happens, not what is bought.
PLACES = frozenset({"on", "under", "near", "behind", "above", "below", "at", "into", "onto", "inside", "beside",
                    "through", "down", "along", "via", "from"})  # fmt: skip
SWAPS = frozenset({"replace", "swap", "convert", "change", "upgrade", "switch"})
CONNECTORS = frozenset({"and", "plus", "with", "also", "then", "but", "or"})
BOUNDARIES = frozenset({",", ";", ".", ":", "!", "?", "(", ")", "|"})
ARTICLES = frozenset(
    {"a", "an", "another", "the", "this", "that", "their", "her", "his", "its", "our", "my", "your"}
)
# Core words too vague to show that a clause is about some other item ("water", "line").
WEAK_OBJECTS = frozenset({
    "water", "line", "main", "service", "call", "fee", "kit", "up", "away", "and", "of", "the", "new", "standard",
    "cleaning", "inspection", "repair", "install", "labor", "hour", "charge", "job", "equipment", "part",
    "material", "unit", "system", "fitting",
})  # fmt: skip

NOT_CONTENT_WORDS = """
a an the this that these those some any all each every both per about around approx roughly maybe just only
and or but so as is are was be been has have had will would should can could need needs want wants please
i we you he she it they them their his her my your our its me us customer client quote estimate job work
install installed installing replace replaced replacing swap swapped put add run do fix fixing repair repairing
check look come go get take make set hook connect reconnect disconnect remove removing new old existing broken
leak leaking leaky bad dead failed failing worn out noisy slow damaged cracked one unit system also plus then
same day today tomorrow asap labor labour hour time on site at in for to of from with by into up down off over
under near behind next inside outside house home garage basement attic crawlspace crawl space upstairs
downstairs office store shop restaurant building apartment suite room bathroom bath hallway yard backyard
front back side area there here again too very more extra additional replacement standard regular normal
morning afternoon evening night week monday tuesday wednesday thursday friday installation service services
required needed necessary included whole entire complete full am pm clean cleanup diagnose diagnosis troubleshoot
inspect look repipe callout customersupplied code figure plan expect allow budget remodel renovation
addition project tenant report rate size me fee charge cost price st street ave avenue rd road blvd dr drive lane ln way apt hot cold tonight now first thing total overall including incl through across along
between via throughout
"""
# Vague objects and symptoms describe the job without naming something to price ("burst pipe", "backed up").
NOT_CONTENT = (
    frozenset(NOT_CONTENT_WORDS.split())
    | PROBLEMS
    | LOCATIONS
    | {
        "pipe",
        "line",
        "water",
        "gas",
        "drain",
        "sewer",
        "main",
        "call",
        "sink",
        "fixture",
        "blockage",
    }
)


def is_content(tok: str) -> bool:
    return bool(re.match(r"^[a-z]", tok)) and tok not in NOT_CONTENT and tok not in SIZE_UNITS and tok != "ft"
