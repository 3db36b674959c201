"""How each catalog item can be named: phrases from its name, keywords and description, its sizes and variants.

Every item is described from its own words, so a catalog this code has never seen still works: "Water Heater
50 gal Gas" is named by "water heater", sized 50 gal and varied by gas; "Permit Fee" by "permit".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from agent.estimating.text import normalize, tokenize
from agent.estimating.words import GENERIC, LOCATIONS, SIZE_UNITS, VARIANT_WORDS
from domain.drafting import CatalogEntry

MODIFIER = 1  # strength of a phrase that counts only with a quantity beside it
STOP_DESC = frozenset({"and", "the", "of", "with", "per", "for", "a", "an", "to", "up", "or", "in"})
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
FRACTION = re.compile(r"^\d+/\d+$")


@dataclass(frozen=True, eq=False)  # shared between calls through a cache: never changed after building
class Profile:
    entry: CatalogEntry
    order: int
    tokens: frozenset[str]
    core: tuple[str, ...]
    phrases: dict[tuple[str, ...], int]
    sizes: frozenset[tuple[str, str]]
    variants: frozenset[str]
    support: frozenset[str]


def sizes_in(tokens: Sequence[str]) -> tuple[set[tuple[str, str]], set[int]]:
    """(value, unit) pairs such as ('50', 'gal') and the token positions they occupy."""
    found: set[tuple[str, str]] = set()
    used: set[int] = set()
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if NUMBER.match(tok) and nxt == "x" and i + 2 < len(tokens) and NUMBER.match(tokens[i + 2]):
            found.add((f"{tok}x{tokens[i + 2]}", "dim"))  # "16x25" filters, "4x8" sheets
            used.update({i, i + 1, i + 2})
        elif tok.endswith("k") and NUMBER.match(tok[:-1]):
            found.add((tok, "btu"))
            used.update({i, i + 1} if nxt == "btu" else {i})
        elif (NUMBER.match(tok) or FRACTION.match(tok)) and nxt in SIZE_UNITS:
            found.add((tok, nxt))
            used.update({i, i + 1})
        elif FRACTION.match(tok) and nxt != "ft":
            found.add((tok, "in"))  # "3/4 copper": a bare fraction in the trades is inches
            used.add(i)
    return found, used


def _words(text: str) -> list[str]:
    return tokenize(normalize(text))


def _add_phrase(phrases: dict[tuple[str, ...], int], phrase: Sequence[str], strength: int) -> None:
    """Keep a phrase that can name an item: not bare numbers, not one generic word."""
    key = tuple(phrase)
    if key and not all(NUMBER.match(t) for t in key) and not (len(key) == 1 and key[0] in GENERIC):
        phrases[key] = max(phrases.get(key, 0), strength)


def build_profiles(catalog: Sequence[CatalogEntry]) -> list[Profile]:
    profiles: list[Profile] = []
    for order, entry in enumerate(catalog):
        left, _, variant = entry.name.partition(" - ")
        left_toks = _words(left)
        variant_toks = _words(variant)
        sizes, used = sizes_in(left_toks + variant_toks)
        core = (
            tuple(
                t
                for i, t in enumerate(left_toks)
                if i not in used and t not in VARIANT_WORDS and t not in STOP_DESC and not NUMBER.match(t)
            )
            or tuple(left_toks or variant_toks)
            or ("",)
        )  # ("",) matches no token: a name of only marks
        phrases: dict[tuple[str, ...], int] = {}
        add = partial(_add_phrase, phrases)
        add(left_toks + variant_toks, 4)
        if "and" in left_toks:
            # "Wax Ring & Bolts" is sold as one item but asked for by either part.
            parts = " ".join(left_toks).split(" and ")
            for part in parts:
                add(part.split(), 3)
        if len(core) == 1 and core[0] in GENERIC and core[0] not in STOP_DESC and len(core[0]) > 2:
            phrases[core] = 3  # an item called just "Furnace" is named by the word, generic or not
        else:
            add(core, 4)
        for i in range(1, len(core)):
            add(core[i:], 2)
        if len(core) > 1 and core[-1] in GENERIC:
            # "permit fee", "pex pipe": the word before a generic head names the item.
            for i in range(len(core) - 1):
                add(core[i:-1], 2)
            add(core[:1], 2)  # "a tankless" for "tankless water heater"
        elif len(core) > 1 and core[0] not in LOCATIONS:
            # "60 ft of romex": a lone modifier names the item only next to a stated quantity.
            add(core[:1], MODIFIER)
        if len([t for t in variant_toks if t not in GENERIC]) and len(variant_toks) > 1:
            add(variant_toks, 2)
        support = set(variant_toks) | set(core)
        for kw in entry.keywords:
            kw_toks = _words(kw)
            kw_sizes, kw_used = sizes_in(kw_toks)
            sizes |= kw_sizes
            rest = [t for i, t in enumerate(kw_toks) if i not in kw_used]
            if not rest:
                continue
            if len(rest) == 1 and (rest[0] in GENERIC or rest[0] in VARIANT_WORDS):
                support.add(rest[0])
            else:
                add(rest, 3)
        support |= {t for t in _words(entry.description or "") if t not in STOP_DESC and not NUMBER.match(t)}
        tokens = frozenset(left_toks + variant_toks)
        profiles.append(
            Profile(
                entry=entry,
                order=order,
                tokens=tokens,
                core=core,
                phrases=phrases,
                sizes=frozenset(sizes),
                variants=frozenset(t for t in tokens if t in VARIANT_WORDS),
                support=frozenset(support),
            )
        )
    return profiles
