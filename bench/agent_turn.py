"""Per-turn overhead of the agent, excluding model time, on the demo company.

Runs a read question and an estimate draft (proposal, then approval) through the whole graph — tools, books,
approvals, audit, checkpoints, checkpointed as the chat API does — with the offline model, and subtracts the
time spent inside the model. Prints p50 / p95 wall time and p50 CPU time in milliseconds per kind of turn.
``--books local`` (the default) answers from the local books; ``--books qbo`` from the QBO emulator, which runs
in this process, so its own work is counted too.

    python bench/agent_turn.py [--turns 30] [--books local|qbo] [--max-p95-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import BaseMessage, HumanMessage  # noqa: E402
from langchain_core.outputs import ChatResult  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.types import Command  # noqa: E402
from pydantic import ConfigDict  # noqa: E402

from agent.graph import build_graph  # noqa: E402
from api.chat.runner import durability_for  # noqa: E402
from demo.company import demo_as_of  # noqa: E402
from demo.runtime import open_demo  # noqa: E402
from domain.models import Role  # noqa: E402

READ = "what invoices does Bob's Bakery have open?"
DRAFT = (
    "draft an estimate for Jane Cooper: replace a 50 gallon gas water heater, about 3.5 hours of labor, "
    "haul away the old one"
)


class TimedModel(BaseChatModel):
    """Delegates to a chat model and adds up the wall and CPU time spent inside it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    inner: Any
    clock: list[float]  # [wall seconds, CPU seconds] inside the model

    @property
    def _llm_type(self) -> str:
        return "timed"

    def bind_tools(self, tools: Any, **kwargs: Any) -> TimedModel:
        return TimedModel(inner=self.inner.bind_tools(tools, **kwargs), clock=self.clock)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self.inner._generate(messages, stop=stop, **kwargs)
        finally:
            self.clock[0] += time.perf_counter() - wall
            self.clock[1] += time.process_time() - cpu

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        # In the loop, as the offline model itself answers: no worker-thread hop the product does not make.
        return self._generate(messages, stop, run_manager, **kwargs)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(turns: int, books: str) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {"read": [], "draft (propose)": [], "draft (approve)": []}
    async with open_demo(demo_as_of(), books=books) as rt:  # type: ignore[arg-type]
        clock = [0.0, 0.0]
        graph = build_graph(TimedModel(inner=rt.model(), clock=clock), rt.toolbox, InMemorySaver())

        async def timed(kind: str, payload: Any, config: dict[str, Any], role: Role) -> Any:
            clock[0] = clock[1] = 0.0
            wall, cpu = time.perf_counter(), time.process_time()
            # Checkpointed as the chat API does it: a message turn once at its end, a decision at every step.
            durability = durability_for(None if isinstance(payload, dict) else {})
            out = await graph.ainvoke(payload, config, context=rt.context(role), durability=durability)
            results[kind].append(
                (
                    (time.perf_counter() - wall - clock[0]) * 1000,
                    (time.process_time() - cpu - clock[1]) * 1000,
                )
            )
            return out

        for _ in range(2):  # warm-up: imports, first queries
            await graph.ainvoke(
                {"messages": [HumanMessage(READ)]},
                {"configurable": {"thread_id": uuid.uuid4().hex}},
                context=rt.context(),
            )
        for _ in range(turns):
            await timed(
                "read",
                {"messages": [HumanMessage(READ)]},
                {"configurable": {"thread_id": uuid.uuid4().hex}},
                Role.OFFICE,
            )
            config = {"configurable": {"thread_id": uuid.uuid4().hex}}
            out = await timed("draft (propose)", {"messages": [HumanMessage(DRAFT)]}, config, Role.TECHNICIAN)
            assert out.get("__interrupt__"), "the draft should wait for approval"
            await timed(
                "draft (approve)", Command(resume={"decisions": [{"type": "approve"}]}), config, Role.OFFICE
            )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument(
        "--books",
        choices=("local", "qbo"),
        default="local",
        help="answer from the local books, or from the QBO emulator (it runs in this process, so its own "
        "work is counted as overhead too)",
    )
    parser.add_argument(
        "--max-p95-ms", type=float, default=0.0, help="fail when any p95 is above this (0: off)"
    )
    args = parser.parse_args()
    measured = asyncio.run(main(args.turns, args.books))
    worst = 0.0
    print(f"agent turn overhead, model time excluded ({args.turns} turns each, {args.books} books)")
    for kind, values in measured.items():
        walls = [w for w, _ in values]
        cpus = [c for _, c in values]
        p50, p95 = statistics.median(walls), pct(walls, 95)
        worst = max(worst, p95)
        print(
            f"  {kind:<16} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   CPU p50 {statistics.median(cpus):7.1f} ms"
        )
    if args.max_p95_ms and worst > args.max_p95_ms:
        print(f"FAIL: p95 {worst:.1f} ms is over {args.max_p95_ms} ms")
        sys.exit(1)
