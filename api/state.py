"""What the lifespan builds once per process and every request shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings
from domain.clock import Clock, system_clock


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    http: httpx.AsyncClient
    # The process's one source of "now" (a demo pinned to another day runs on a shifted clock).
    clock: Clock = system_clock
    # The agent runtime (graph + checkpointer); None only while it is being built.
    agent: Any = None
    # Objects the lifespan must close on shutdown, newest first.
    extras: dict[str, Any] = field(default_factory=dict)
