"""How long the event loop stalls while many approved writes execute at once, on the demo company.

Proposes ``--approvals`` estimate drafts one after another, then approves them all concurrently on one event loop
while a ticker coroutine asks to wake every millisecond; prints the wall time of the approvals and how late the
ticker woke (its lag: time the loop was busy with something else, e.g. SQL run on it). The database is a SQLite
file by default (a write transaction holds the database's write lock there), or ``--db-url``.

    python bench/concurrent_approvals.py [--approvals 20] [--db-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.messages import HumanMessage  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.types import Command  # noqa: E402

from agent.graph import build_graph  # noqa: E402
from bench.agent_turn import DRAFT, pct  # noqa: E402
from demo.company import demo_as_of  # noqa: E402
from demo.runtime import open_demo  # noqa: E402
from domain.models import Role  # noqa: E402

TICK_SECONDS = 0.001


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(TICK_SECONDS)
        lags.append((time.perf_counter() - start - TICK_SECONDS) * 1000)


async def main(approvals: int, db_url: str) -> dict[str, Any]:
    async with open_demo(demo_as_of(), db_url=db_url) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        configs = []
        for _ in range(approvals):
            config = {"configurable": {"thread_id": uuid.uuid4().hex}}
            out = await graph.ainvoke(
                {"messages": [HumanMessage(DRAFT)]}, config, context=rt.context(Role.TECHNICIAN)
            )
            assert out.get("__interrupt__"), "the draft should wait for approval"
            configs.append(config)
        lags: list[float] = []
        stop = asyncio.Event()
        ticking = asyncio.create_task(ticker(lags, stop))
        start = time.perf_counter()
        outs = await asyncio.gather(
            *(
                graph.ainvoke(
                    Command(resume={"decisions": [{"type": "approve"}]}), c, context=rt.context(Role.OFFICE)
                )
                for c in configs
            )
        )
        wall = (time.perf_counter() - start) * 1000
        stop.set()
        await ticking
        executed = sum(
            1
            for out in outs
            for m in out["messages"]
            if '"status": "executed"' in str(getattr(m, "content", ""))
        )
        return {"wall_ms": wall, "lags": lags, "executed": executed}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approvals", type=int, default=20)
    parser.add_argument("--db-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        measured = asyncio.run(main(args.approvals, url))
    lags = measured["lags"]
    print(f"{args.approvals} approvals at once on {url.split(':')[0]}: {measured['executed']} executed")
    print(f"  wall time        {measured['wall_ms']:7.1f} ms")
    print(
        f"  ticker lag       p50 {statistics.median(lags):6.2f} ms   p95 {pct(lags, 95):6.2f} ms   "
        f"max {max(lags):6.2f} ms   ({len(lags)} ticks)"
    )
