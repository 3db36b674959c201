"""One entity's ids kept in the order QBO pages them (by Id), plus what the default Active filters need."""

from __future__ import annotations

import bisect
from typing import Any

IdKey = tuple[int, int, str]


def id_key(value: str) -> IdKey:
    """How QBO orders and compares ids and references: numbers by value, anything else after them by text."""
    return (0, int(value), "") if value.isdigit() else (1, 0, value.lower())


def _regular(entity_id: str) -> bool:
    # Two ids with one key ("5" and "05") would tie; their relative order is not the index's to decide.
    return entity_id.isascii() and entity_id.isdigit() and str(int(entity_id)) == entity_id


class IdIndex:
    """Sorted ids of one entity type; the store updates it on every put and remove."""

    def __init__(self) -> None:
        self.keys: list[IdKey] = []
        self.ids: list[str] = []
        self.inactive: set[str] = set()  # Active is False
        self.no_active: set[str] = set()  # no Active value at all
        self.irregular = 0

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def exact(self) -> bool:
        """Whether the index order is the query's order (every id is a plain number)."""
        return self.irregular == 0

    def add(self, entity_id: str, obj: dict[str, Any], known: bool) -> None:
        if not known:
            key = id_key(entity_id)
            at = bisect.bisect_right(self.keys, key)
            self.keys.insert(at, key)
            self.ids.insert(at, entity_id)
            self.irregular += not _regular(entity_id)
        active = obj.get("Active")
        _flag(self.inactive, entity_id, active is False)
        _flag(self.no_active, entity_id, active is None)

    def discard(self, entity_id: str) -> None:
        key = id_key(entity_id)
        lo, hi = bisect.bisect_left(self.keys, key), bisect.bisect_right(self.keys, key)
        for at in range(lo, hi):
            if self.ids[at] == entity_id:
                del self.keys[at], self.ids[at]
                self.irregular -= not _regular(entity_id)
                break
        self.inactive.discard(entity_id)
        self.no_active.discard(entity_id)

    def span(self, op: str, key: IdKey, lo: int, hi: int) -> tuple[int, int]:
        """Narrow the position range [lo, hi) to the ids satisfying ``Id op key``."""
        left, right = bisect.bisect_left(self.keys, key), bisect.bisect_right(self.keys, key)
        if op == "=":
            return max(lo, left), min(hi, right)
        if op == "<":
            return lo, min(hi, left)
        if op == "<=":
            return lo, min(hi, right)
        if op == ">":
            return max(lo, right), hi
        return max(lo, left), hi  # >=


def _flag(members: set[str], entity_id: str, present: bool) -> None:
    if present:
        members.add(entity_id)
    else:
        members.discard(entity_id)
