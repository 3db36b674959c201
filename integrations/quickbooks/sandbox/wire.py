"""The wire format: JSON with exact decimals, QBO timestamps, and the emulator's clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

from domain.clock import Clock, system_clock


def loads(raw: bytes | str) -> Any:
    """Parse JSON keeping every non-integer number a ``Decimal``, so amounts stay exact."""
    return json.loads(raw, parse_float=Decimal)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A JSON number written from the exact decimal; never routed through float.
        return orjson.Fragment(format(value, "f"))
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """JSON with decimals written exactly, in C: a page of a thousand documents is not the emulator's bottleneck."""
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    )


class QboJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def format_qbo_datetime(moment: datetime) -> str:
    """``2015-07-24T10:33:39-07:00``: seconds precision with the company offset, as MetaData shows it."""
    return moment.replace(microsecond=0).isoformat()


def format_response_time(moment: datetime) -> str:
    """``2015-07-24T10:48:27.082-07:00``: the envelope's ``time`` carries milliseconds."""
    return moment.isoformat(timespec="milliseconds")


def parse_qbo_datetime(text: str, tz: timezone) -> datetime:
    """Parse a QBO date or date-time; a bare date is the start of that day in the company's zone."""
    value = text.strip()
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
    # Intuit examples also write offsets without a colon: 2011-08-10T10:20:30-0700.
    if len(value) >= 5 and value[-5] in "+-" and value[-4:].isdigit() and "T" in value:
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


class SandboxClock:
    """The emulator's time: an injected clock, moved by whole days so the emulator's *today* is the pinned day.

    The time of day is the source clock's, so a running sandbox ticks like QBO does; tests hand in a
    :class:`~domain.clock.ManualClock` to stand at any instant, and may advance the sandbox without sleeping.
    """

    def __init__(self, today: date | None, utc_offset_minutes: int, source: Clock = system_clock) -> None:
        self.tz = timezone(timedelta(minutes=utc_offset_minutes))
        self._source = source
        self._skew = timedelta(0)
        if today is not None:
            self._skew = timedelta(days=(today - source().astimezone(self.tz).date()).days)

    def now(self) -> datetime:
        return self._source().astimezone(self.tz) + self._skew

    def now_utc(self) -> datetime:
        return self.now().astimezone(UTC)

    def today(self) -> date:
        return self.now().date()

    def advance(self, delta: timedelta) -> None:
        """Move the emulator's time forward (token expiry, CDC windows) without sleeping."""
        self._skew += delta

    def timestamp(self) -> float:
        return self.now().timestamp()
