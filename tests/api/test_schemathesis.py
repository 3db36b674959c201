"""Property-based fuzzing of every operation in the OpenAPI spec over real HTTP: no input may cause a 5xx.

Bounded on purpose (a few examples per operation, generation phase only) so it stays well under a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import build_graph
from api.agent_wiring import AgentHandle
from api.app import create_app
from domain.db import Base, make_engine
from domain.models import Role
from tests.agent.fakes import AddCustomer, FindCustomers
from tests.api.conftest import make_settings, seed_tenant
from tests.api.fakes import ParrotModel
from tests.api.live import free_port, serve
from tools.base import Toolbox, ToolDeps

MAX_EXAMPLES = 8
BUDGET_SECONDS = 50


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite'}")
    Base.metadata.create_all(engine)
    port = free_port()
    settings = make_settings(base_url=f"http://127.0.0.1:{port}")
    tenant = seed_tenant(engine, "Fuzz Plumbing", settings)

    async def agent(state: Any) -> AgentHandle:
        toolbox = Toolbox(
            tools=[FindCustomers(), AddCustomer()], deps=ToolDeps(sessionmaker=state.sessionmaker)
        )
        return AgentHandle(graph=build_graph(ParrotModel(), toolbox, InMemorySaver()))

    app = create_app(settings, engine=engine, agent_factory=agent)
    with serve(app, port) as base:
        yield base, tenant.headers(Role.OWNER)
    engine.dispose()


def test_no_operation_answers_5xx(live: tuple[str, dict[str, str]]) -> None:
    base, headers = live
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    started = time.monotonic()
    failures: list[str] = []
    checked = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        if time.monotonic() - started > BUDGET_SECONDS:
            break

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(base_url=base, headers=headers, timeout=10)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )
            elif response.status_code >= 400 and response.status_code != 405:
                raw_type = response.headers.get("content-type", [""])
                content_type = raw_type[0] if isinstance(raw_type, list) else raw_type
                assert content_type.startswith(("application/problem+json", "text/html")), (
                    case.method,
                    case.formatted_path,
                    content_type,
                )

        check()
        checked += 1
    assert not failures, "\n".join(failures[:20])
    assert checked == len(operations), f"only {checked} of {len(operations)} operations ran within the budget"
