"""What the lifespan builds once per process and every request shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.chat.turns import TurnGate
from api.cors import OriginRegistry
from api.qbo_wiring import QboServices, build_qbo
from api.settings import Settings
from domain.clock import Clock, system_clock
from domain.db import make_sessionmaker


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    http: httpx.AsyncClient
    qbo: QboServices
    # One turn per chat thread across processes, and a bound on turns in the process.
    turns: TurnGate
    # Every origin some tenant allows, for CORS and the embed pages.
    origins: OriginRegistry
    # The process's one source of "now" (a demo pinned to another day runs on a shifted clock).
    clock: Clock = system_clock
    # The agent runtime (graph + checkpointer); None only while it is being built.
    agent: Any = None


def build_state(
    settings: Settings, engine: Engine, http: httpx.AsyncClient, clock: Clock = system_clock
) -> AppState:
    """Everything a process shares, built once: sessions, the QBO services, the turn gate, the origin list."""
    sessions = make_sessionmaker(engine)
    turns = TurnGate(sessions, settings.max_concurrent_turns, clock=clock)
    return AppState(
        settings=settings,
        engine=engine,
        sessionmaker=sessions,
        http=http,
        qbo=build_qbo(settings, http, sessions),
        turns=turns,
        origins=OriginRegistry(lambda: sessions, settings.allowed_origins),
        clock=clock,
    )
