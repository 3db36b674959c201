"""Chat turns over real HTTP (uvicorn on loopback), on SQLite and PostgreSQL with the durable checkpointer:
turns on different threads run at the same time, two turns on one thread never overlap, and the thread's lease
serializes turns across processes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr
from sqlalchemy import Engine

from agent.checkpoint import make_checkpointer
from agent.graph import build_graph
from api.agent_wiring import AgentHandle
from api.app import create_app
from api.chat.turns import LEASE_TTL, TurnGate
from domain.clock import ManualClock
from domain.db import make_sessionmaker
from domain.errors import Conflict
from domain.services import turn_leases
from tests.api.conftest import make_settings, seed_tenant
from tests.api.live import serve
from tests.security.race import Call, race
from tools.base import Toolbox, ToolDeps

PARALLEL = 8


class MeetingModel(BaseChatModel):
    """Answers only once ``meet`` turns are inside it at once (or after ``hold`` seconds when ``meet`` is 1),
    and records the most turns it ever saw at the same time."""

    meet: int = 1
    hold: float = 0.0
    _inside: int = PrivateAttr(default=0)
    _most: int = PrivateAttr(default=0)
    _barrier: asyncio.Barrier | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "meeting"

    def bind_tools(self, tools: Any, **kwargs: Any) -> MeetingModel:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, **kwargs: Any) -> ChatResult:
        raise AssertionError("the chat endpoints call the model asynchronously")

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None, **kwargs: Any) -> ChatResult:
        self._inside += 1
        self._most = max(self._most, self._inside)
        try:
            if self.meet > 1:
                if self._barrier is None:
                    self._barrier = asyncio.Barrier(self.meet)
                # Serialized turns never all arrive: the barrier times out and the turn fails.
                await asyncio.wait_for(self._barrier.wait(), timeout=30)
            else:
                await asyncio.sleep(self.hold)
        finally:
            self._inside -= 1
        return ChatResult(generations=[ChatGeneration(message=AIMessage("done"))])

    @property
    def most_at_once(self) -> int:
        return self._most


def _checkpoint_url(engine: Engine, tmp_path: Any) -> str:
    if engine.dialect.name == "sqlite":
        return f"sqlite:///{tmp_path / 'checkpoints.sqlite'}"
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture()
def live_chat(engine: Engine, tmp_path: Any) -> Iterator[Any]:
    """Serve the chat API with a given model; yields ``start(model) -> (base url, owner headers)``."""
    settings = make_settings()
    tenant = seed_tenant(engine, f"Concurrent Plumbing {uuid.uuid4().hex[:6]}", settings)
    served: list[Any] = []

    def start(model: MeetingModel) -> tuple[str, dict[str, str]]:
        async def factory(state: Any) -> AgentHandle:
            handle = AgentHandle(graph=None)
            checkpointer = await handle.stack.enter_async_context(
                make_checkpointer(_checkpoint_url(engine, tmp_path))
            )
            toolbox = Toolbox(tools=[], deps=ToolDeps(sessionmaker=state.sessionmaker))
            handle.graph = build_graph(model, toolbox, checkpointer)
            return handle

        app = create_app(settings, engine=engine, agent_factory=factory, worker=None)
        context = serve(app)
        served.append(context)
        return context.__enter__(), tenant.headers()

    yield start
    for context in served:
        context.__exit__(None, None, None)


def _ask(headers: dict[str, str], thread_id: str | None = None, path: str = "/api/chat") -> Call:
    body: dict[str, Any] = {"message": "how many open invoices?"}
    if thread_id is not None:
        body["thread_id"] = thread_id

    def call(client: httpx.Client) -> httpx.Response:
        return client.post(path, json=body, headers=headers)

    return call


def test_turns_on_different_threads_run_at_the_same_time(live_chat: Any) -> None:
    model = MeetingModel(meet=PARALLEL)
    base, owner = live_chat(model)
    calls = [_ask(owner, path="/api/chat" if n % 2 else "/api/chat/stream") for n in range(PARALLEL)]
    responses = race(base, calls, timeout=60)
    assert [r.status_code for r in responses] == [200] * PARALLEL
    assert all('"status":"error"' not in r.text.replace(" ", "") for r in responses)
    assert model.most_at_once == PARALLEL


def test_two_turns_on_one_thread_never_overlap(live_chat: Any) -> None:
    model = MeetingModel(hold=0.3)
    base, owner = live_chat(model)
    with httpx.Client(base_url=base, timeout=30) as client:
        first = client.post("/api/chat", json={"message": "hello"}, headers=owner)
    assert first.status_code == 200
    thread_id = first.json()["thread_id"]
    responses = race(base, [_ask(owner, thread_id), _ask(owner, thread_id)], timeout=60)
    assert [r.status_code for r in responses] == [200, 200]
    assert model.most_at_once == 1


def test_the_lease_serializes_one_thread_across_processes(engine: Engine) -> None:
    """Two gates are two processes: they share nothing but the database."""
    sessions = make_sessionmaker(engine)
    clock = ManualClock(datetime(2026, 3, 18, 12, tzinfo=UTC))
    one, other = TurnGate(sessions, 4, clock=clock), TurnGate(sessions, 4, clock=clock, wait_for=0.2)
    thread_id = uuid.uuid4().hex

    async def scenario() -> None:
        async with one.turn(thread_id):
            with pytest.raises(Conflict):
                async with other.turn(thread_id):
                    pass
            async with other.turn(uuid.uuid4().hex):  # another thread is not held up
                pass
        async with other.turn(thread_id):  # released: the other process may go
            pass

    asyncio.run(scenario())


def test_a_dead_processes_lease_is_taken_over_after_it_expires(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    now = datetime(2026, 3, 18, 12, tzinfo=UTC)
    thread_id = uuid.uuid4().hex
    assert turn_leases.claim(sessions, thread_id, "dead", now, LEASE_TTL)
    assert not turn_leases.claim(
        sessions, thread_id, "alive", now + LEASE_TTL - timedelta(seconds=1), LEASE_TTL
    )
    assert turn_leases.claim(sessions, thread_id, "alive", now + LEASE_TTL, LEASE_TTL)
    turn_leases.release(sessions, thread_id, "dead")  # the late release of the dead holder frees nothing
    assert not turn_leases.claim(sessions, thread_id, "third", now + LEASE_TTL, LEASE_TTL)
    turn_leases.release(sessions, thread_id, "alive")
    assert turn_leases.claim(sessions, thread_id, "third", now + LEASE_TTL, LEASE_TTL)
