"""Finding catalog items in a job description: mentions in the text, the best variant, the quantity.

Sizes ("50 gal", "3/4 in"), fuels and rooms disambiguate variants, and a mention that contradicts every
candidate (a 1/2 inch copper pipe when only 3/4 inch is sold) is reported, not forced onto the nearest item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from agent.estimating.profiles import FRACTION, MODIFIER, NUMBER, Profile, sizes_in
from agent.estimating.text import SUPPLIED, singular
from agent.estimating.words import (
    ARTICLES,
    BOUNDARIES,
    CONNECTORS,
    LOCATIONS,
    PLACES,
    PREPOSITIONS,
    PROBLEMS,
    PRONOUNS,
    PURCHASE,
    REPAIRS,
    SIZE_UNITS,
    SWAPS,
    VARIANT_CLASSES,
    WEAK_OBJECTS,
    WORK_ON,
    is_content,
)
from domain.models.catalog import ItemType


@dataclass
class Mention:
    profile: Profile
    start: int
    end: int
    clause: int
    quantity: Decimal | None
    explicit: bool
    plural: bool
    phrase: str
    clause_text: str
    each: bool = False


@dataclass
class Reading:
    mentions: list[Mention] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unmatched_clauses: list[str] = field(default_factory=list)


def _find_spans(tokens: list[str], profiles: Sequence[Profile]) -> list[tuple[int, int, dict[int, int]]]:
    """Non-overlapping spans, longest first, each with {profile index: phrase strength}."""
    hits: dict[tuple[int, int], dict[int, int]] = {}
    for idx, prof in enumerate(profiles):
        for phrase, strength in prof.phrases.items():
            n = len(phrase)
            for start in range(len(tokens) - n + 1):
                if tuple(tokens[start : start + n]) == phrase:
                    slot = hits.setdefault((start, start + n), {})
                    slot[idx] = max(slot.get(idx, 0), strength)
    chosen: list[tuple[int, int, dict[int, int]]] = []
    taken: set[int] = set()
    for (start, end), cands in sorted(hits.items(), key=lambda kv: (kv[0][0] - kv[0][1], kv[0][0])):
        if taken.isdisjoint(range(start, end)):
            chosen.append((start, end, cands))
            taken.update(range(start, end))
    return sorted(chosen, key=lambda c: c[0])


def _clauses(tokens: list[str], spans: Sequence[tuple[int, int, object]]) -> list[int]:
    inside = {i for s, e, _ in spans for i in range(s, e)}
    ids, current = [], 0
    for i, tok in enumerate(tokens):
        if i not in inside and (tok in BOUNDARIES or tok in CONNECTORS):
            current += 1
            ids.append(-1)
        else:
            ids.append(current)
    return ids


def _group(clause_of: list[int]) -> dict[int, list[int]]:
    clauses: dict[int, list[int]] = {}
    for i, c in enumerate(clause_of):
        if c >= 0:
            clauses.setdefault(c, []).append(i)
    return clauses


def _orphans(clause: int, clauses: dict[int, list[int]], with_spans: set[int]) -> list[int]:
    """Neighbouring clauses that name no item of their own, up to the next clause that does."""
    order = sorted(clauses)
    pos = order.index(clause)
    found: list[int] = []
    for step in (-1, 1):
        i = pos + step
        while 0 <= i < len(order) and order[i] not in with_spans:
            found.append(order[i])
            i += step
    return found


def _refers(
    tokens: list[str],
    spans: Sequence[tuple[int, int, dict[int, int]]],
    members: list[int],
    start: int,
    profiles: Sequence[Profile],
    buying: bool,
    material: bool,
) -> bool:
    """Whether an item is named without being asked for.

    "The toilet is clogged" and "repair the disposal" work on what is there; "haul away the old water heater", "connector on the water
    heater" and "camera through the main line" name the thing another line acts on.
    """
    if material and not buying and {tokens[i] for i in members} & (PROBLEMS | WORK_ON):
        return True
    earlier = [cands for s, _, cands in spans if members[0] <= s < start]
    if not earlier:
        return False
    if (
        material
        and not buying
        and any(profiles[i].entry.type is not ItemType.MATERIAL for cands in earlier for i in cands)
    ):
        return True
    i = start - 1
    while i >= members[0] and tokens[i] in ARTICLES | {"old", "existing", "new"}:
        i -= 1
    if i < members[0] or tokens[i] not in PREPOSITIONS:
        return False
    # "service call for drain cleaning" still asks for the cleaning; "camera down the main line" does not.
    return material or tokens[i] in PLACES


def _buying_clauses(tokens: list[str], clauses: dict[int, list[int]]) -> set[int]:
    """Clauses that ask for something to be installed; "leaking heater, replace it" also marks the first."""
    buying = {c for c, members in clauses.items() if any(tokens[i] in PURCHASE for i in members)}
    order = sorted(clauses)
    for pos, c in enumerate(order):
        if pos and c in buying and all(tokens[i] in PURCHASE | PRONOUNS for i in clauses[c]):
            buying.add(order[pos - 1])
    return buying


@dataclass
class _Text:
    raw: list[str]
    tokens: list[str]
    spans: list[tuple[int, int, dict[int, int]]]
    clause_of: list[int]
    clauses: dict[int, list[int]]

    @classmethod
    def read(cls, text: str, profiles: Sequence[Profile]) -> _Text:
        raw = re.findall(
            r"\d+(?:\.\d+)?(?:/\d+)?k?|[a-z]+(?:'[a-z]+)?|[,;.:!?()|]",
            text.replace("&", " and ").replace("-", " "),
        )
        tokens = [singular(t) for t in raw]
        spans = _find_spans(tokens, profiles)
        clause_of = _clauses(tokens, spans)
        return cls(raw, tokens, spans, clause_of, _group(clause_of))

    def opener(self, clause: int) -> str:
        """The connector or mark a clause starts after ("with" in "replace the tank with a tankless")."""
        first = self.clauses[clause][0]
        return self.tokens[first - 1] if first else ""


def read_items(text: str, profiles: Sequence[Profile]) -> Reading:
    """All catalog mentions in normalised, labor-free text, with the variant and quantity each implies."""
    t = _Text.read(text, profiles)
    tokens, raw, clauses, clause_of = t.tokens, t.raw, t.clauses, t.clause_of
    buying = _buying_clauses(tokens, clauses)
    reading = Reading()
    span_tokens = {i for s, e, _ in t.spans for i in range(s, e)}
    span_starts = {s for s, _, _ in t.spans}
    objects = {w for p in profiles for w in p.core if w not in WEAK_OBJECTS} - LOCATIONS
    handled: set[int] = set()
    named: set[str] = set()
    with_spans = {clause_of[s] for s, _, _ in t.spans}
    for start, end, cands in t.spans:
        clause = clause_of[start]
        members = clauses[clause]
        if (
            max(cands.values()) <= MODIFIER
            and not _quantity(tokens, members, start, end, profiles[min(cands)])[1]
        ):
            continue
        handled.add(clause)
        # Details often sit in their own clause: "water heater replacement, 50 gallon gas, 4 hours".
        context = members + [i for c in _orphans(clause, clauses, with_spans) for i in clauses[c]]
        words = {tokens[i] for i in context}
        free = {tokens[i] for i in members if i not in span_tokens}
        sizes, _ = sizes_in([tokens[i] for i in context])
        phrase = " ".join(tokens[start:end])
        clause_text = " ".join(raw[i] for i in members)
        best = _choose([profiles[i] for i in cands], cands, profiles, words, free, sizes, objects)
        if isinstance(best, str):
            reading.warnings.append(f"'{clause_text}': {best}")
            continue
        prof, ambiguous = best
        material = prof.entry.type is ItemType.MATERIAL
        if material and SUPPLIED in words:
            continue  # "install a customer-supplied toilet": labor only, the toilet is not sold
        if _refers(tokens, t.spans, members, start, profiles, clause in buying, material):
            continue
        follower = tokens[end] if end < len(tokens) and clause_of[end] == clause else ""
        if end in span_starts:
            continue  # "water heater expansion tank": the first item only says which tank
        if is_content(follower) and follower not in prof.tokens | prof.support:
            # "toilet flapper", "faucet cartridge": the item names a part of something the catalog sells.
            reading.warnings.append(f"'{phrase} {raw[end]}' is not in the catalog, so it was not priced.")
            continue
        if ambiguous:
            options = ", ".join(p.entry.name for p in ambiguous)
            reading.warnings.append(
                f"'{clause_text}' does not say which one ({options}); drafted {prof.entry.name}, please confirm."
            )
        named |= prof.tokens
        qty, explicit = _quantity(tokens, members, start, end, prof)
        plural = raw[end - 1] != tokens[end - 1]
        each = follower in {"each", "apiece"}
        reading.mentions.append(
            Mention(prof, start, end, clause, qty, explicit, plural, phrase, clause_text, each=each)
        )
    reading.mentions = _replaced(reading.mentions, t)
    for clause, members in clauses.items():
        own = {tokens[i] for i in members}
        if own & PROBLEMS and not own & (PURCHASE | REPAIRS):
            continue  # a symptom ("furnace not heating"); the stated hours cover finding and fixing it
        if clause in handled:
            continue
        # "10 ft of pipe": a length is always material, even when the words for it are too vague to match.
        length = any(
            NUMBER.match(tokens[i]) and i + 1 < len(tokens) and tokens[i + 1] == "ft" for i in members
        )
        if length or any(
            is_content(tokens[i]) and is_content(raw[i]) and tokens[i] not in named for i in members
        ):
            reading.unmatched_clauses.append(" ".join(raw[i] for i in members))
    return reading


def _replaced(mentions: list[Mention], t: _Text) -> list[Mention]:
    """'Replace the 40 gallon tank with a tankless': the first item goes out, the second comes in."""
    kept = list(mentions)
    for old in mentions:
        if not {t.tokens[i] for i in t.clauses[old.clause]} & SWAPS:
            continue
        new = next(
            (
                m
                for m in mentions
                if m.clause > old.clause
                and t.opener(m.clause) in {"with", "for", "to"}
                and m.profile is not old.profile
                and m.profile.core[-1] == old.profile.core[-1]  # a pipe for a pipe, a heater for a heater
                and all(c <= old.clause or c >= m.clause for c in (x.clause for x in mentions))
            ),
            None,
        )
        if new is None:
            continue
        kept.remove(old)
        if old.explicit and not new.explicit:
            # "replace 25 ft of copper with pex": the length carries over to what goes in.
            new.quantity, new.explicit = old.quantity, True
    return kept


def _choose(
    cands: list[Profile],
    strengths: dict[int, int],
    profiles: Sequence[Profile],
    words: set[str],
    free: set[str],
    sizes: set[tuple[str, str]],
    objects: set[str],
) -> tuple[Profile, list[Profile]] | str:
    """The candidate the clause fits best, the ones it ties with, or why none fits."""
    scored: list[tuple[int, Profile]] = []
    rejected: list[str] = []
    strongest_rejected = 0
    sibling_variants = {v for p in cands for v in p.variants}
    sibling_sizes = {z for p in cands for z in p.sizes}
    for prof in cands:
        score = strengths[profiles.index(prof)]
        conflict = ""
        for value, unit in prof.sizes:
            said = {v for v, u in sizes if u == unit}
            if value in said:
                score += 2
            elif said:
                conflict = f"{' or '.join(sorted(said))} {unit} asked, the catalog has {prof.entry.name}"
        score += len(prof.variants & words) - len((sibling_variants - prof.variants) & words)
        for kind in VARIANT_CLASSES:
            said_kind, has_kind = kind & words, kind & prof.variants
            if said_kind and has_kind and not said_kind & has_kind:
                conflict = f"'{sorted(said_kind)[0]}' asked, the catalog has {prof.entry.name}"
        # "199k btu water heater": a size only a sibling has points away from this one.
        score -= 2 * len((sibling_sizes - prof.sizes) & sizes)
        missing = set(prof.core) - words
        if missing and not conflict:
            rooms = (free & LOCATIONS) - prof.tokens
            others = (free & objects) - prof.tokens - prof.support
            if (missing & LOCATIONS and rooms) or others:
                said_word = sorted(rooms or others)[0]
                conflict = f"'{said_word}' does not fit {prof.entry.name}"
        if conflict:
            rejected.append(conflict)
            strongest_rejected = max(strongest_rejected, strengths[profiles.index(prof)])
        else:
            scored.append((score, prof))
    # When the items the words name best all contradict the job, a loosely named one is no answer either.
    scored = [(sc, p) for sc, p in scored if strengths[profiles.index(p)] >= strongest_rejected]
    if not scored:
        return (
            "not in the catalog (" + "; ".join(list(dict.fromkeys(rejected))[:2]) + "), so it was not priced."
        )
    scored.sort(key=lambda sp: (-sp[0], sp[1].order))
    top = scored[0][0]
    ties = [p for s, p in scored if s == top]
    return ties[0], (ties if len(ties) > 1 else [])


def _quantity(
    tokens: list[str], members: list[int], start: int, end: int, prof: Profile
) -> tuple[Decimal | None, bool]:
    """Count or length stated next to a mention: '2 new toilets', '150 ft of 1/2 in pex', 'toilet x2'."""
    lo = members[0]
    by_length = not prof.entry.counted
    i, seen_words = start - 1, 0
    while i >= lo and seen_words < 5:
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if NUMBER.match(tok) and i - 2 >= lo and tokens[i - 1] == "x" and NUMBER.match(tokens[i - 2]):
            i -= 3  # "16 x 25 filters": a dimension, not a count
            continue
        if NUMBER.match(tok):
            if nxt == "ft":
                if by_length:
                    return Decimal(tok), True
            elif nxt not in SIZE_UNITS:
                return Decimal(tok), True
        elif tok in ARTICLES:
            break  # "the air filters (2)", "the copper pipe, 20 ft": a number may still follow
        elif not (FRACTION.match(tok) or tok in SIZE_UNITS or tok in {"ft", "of", "x"} or tok.endswith("k")):
            seen_words += 1
        i -= 1
    after = [t for t in tokens[end : end + 5] if t not in PURCHASE]
    if len(after) >= 2 and after[0] == "x" and NUMBER.match(after[1]):
        return Decimal(after[1]), True
    if len(after) >= 3 and after[0] == "(" and NUMBER.match(after[1]) and after[2] == ")":
        return Decimal(after[1]), True
    if by_length:
        # "pex, 150 ft", "pex 1/2 in x 150 ft": skip sizes and marks to the length.
        rest = [
            t
            for t in tokens[end : end + 8]
            if t not in {",", ":", "of", "x", "-"} and t not in SIZE_UNITS and not FRACTION.match(t)
        ]
        if len(rest) >= 2 and NUMBER.match(rest[0]) and rest[1] == "ft":
            return Decimal(rest[0]), True
        return None, False
    return Decimal(1), False
