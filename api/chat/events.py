"""The events a chat turn emits, as JSON objects and as Server-Sent Events.

``token`` (a piece of the assistant's text), ``tool_start`` / ``tool_end`` (a tool call and its outcome),
``approval_required`` (an interrupt payload, DESIGN §3.3), ``message`` (a complete assistant message),
``error`` (problem details), ``done`` (the turn ended: ``complete`` or ``awaiting_approval``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

EventName = Literal["token", "tool_start", "tool_end", "approval_required", "message", "error", "done"]


@dataclass(frozen=True, slots=True)
class ChatEvent:
    event: EventName
    data: dict[str, Any]

    def sse(self, event_id: int) -> bytes:
        payload = json.dumps(self.data, default=str, separators=(",", ":"))
        return f"id: {event_id}\nevent: {self.event}\ndata: {payload}\n\n".encode()
