"""JSON text with ``Decimal`` numbers written digit for digit.

``json.dumps`` can only write a ``Decimal`` by turning it into a float first, which loses digits past the
fifteenth and turns 1140.00 into 1140.0; walking the tree keeps every digit as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Default = Callable[[Any], Any]


def dumps_exact(
    value: Any, *, separators: tuple[str, str] = (", ", ": "), default: Default | None = None
) -> str:
    """``json.dumps`` for trees holding ``Decimal``: each one is written as a plain number (never 1E+2)."""
    item_sep, key_sep = separators

    def encode(node: Any) -> str:
        if isinstance(node, Decimal):
            if not node.is_finite():
                raise ValueError(f"{node} is not a JSON number")
            return format(node, "f")
        if isinstance(node, dict):
            return (
                "{"
                + item_sep.join(f"{json.dumps(str(k))}{key_sep}{encode(v)}" for k, v in node.items())
                + "}"
            )
        if isinstance(node, list | tuple):
            return "[" + item_sep.join(encode(v) for v in node) + "]"
        if node is None or isinstance(node, str | int | float | bool) or default is None:
            return json.dumps(node)
        return encode(default(node))

    return encode(value)


__all__ = ["dumps_exact"]
