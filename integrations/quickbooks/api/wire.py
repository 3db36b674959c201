"""QuickBooks bodies on the wire: payloads written with exact numbers, answers read once with Decimal money.

Every answer body is read exactly once (:func:`read_body`): the fault check and the caller share the result.
JSON numbers with a fraction or an exponent become ``Decimal`` (a float cannot hold 0.1, nor 1234567890123.45
after arithmetic), integers stay ``int``; both are exact, so nothing downstream ever sees a float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from domain.exact_json import dumps_exact
from integrations.quickbooks.api.errors import QboProtocolError

_UNIT = Decimal(1)


def wire_decimal(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly; ``1e2`` is 100, never ``1E+2`` in a message."""
    value = Decimal(text)
    return value.quantize(_UNIT) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def decode_json(content: bytes | str) -> Any:
    """Decode JSON text with Decimal numbers; raises ``ValueError`` when it is not JSON."""
    return json.loads(content, parse_float=wire_decimal)


@dataclass(frozen=True, slots=True)
class WireBody:
    """One answer body, read once: the JSON value, or the text of an XML body, or neither."""

    data: Any = None
    is_json: bool = False
    # QBO's gateway answers throttling and some failures in XML even when JSON was asked for.
    xml: str | None = None


def read_body(content: bytes | str) -> WireBody:
    raw = content.encode() if isinstance(content, str) else content
    stripped = raw.lstrip()
    if not stripped:
        return WireBody()
    if stripped.startswith(b"<"):
        return WireBody(xml=stripped.decode("utf-8", "replace"))
    try:
        return WireBody(data=decode_json(stripped), is_json=True)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return WireBody()


def json_object(response: httpx.Response, body: WireBody) -> dict[str, Any]:
    """The JSON object a successful answer must be; a clear protocol error otherwise."""
    tid = response.headers.get("intuit_tid")
    if not body.is_json:
        raise QboProtocolError(
            "QuickBooks answered with something that is not JSON",
            http_status=response.status_code,
            intuit_tid=tid,
        )
    if not isinstance(body.data, dict):
        raise QboProtocolError(
            "QuickBooks answer is not a JSON object", http_status=response.status_code, intuit_tid=tid
        )
    return body.data


def _wire_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to QuickBooks")


def encode_payload(body: Any) -> bytes:
    """Payloads carry ``Decimal`` money; QBO gets them as JSON numbers with every digit as written."""
    return dumps_exact(body, separators=(",", ":"), default=_wire_value).encode()


def entity_key(data: dict[str, Any], entity: str) -> Any:
    """``data[entity]``, matching the key case-insensitively (QBO is not consistent about the case)."""
    if entity in data:
        return data[entity]
    lowered = entity.lower()
    for key, value in data.items():
        if key.lower() == lowered:
            return value
    return None


__all__ = [
    "WireBody",
    "decode_json",
    "encode_payload",
    "entity_key",
    "json_object",
    "read_body",
    "wire_decimal",
]
