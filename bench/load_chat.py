"""Load on the chat endpoints of the demo (offline model): N concurrent sessions, a bounded number of turns.

Prints requests/s, p50/p95/p99 latency of ``POST /api/chat``, errors, and the time to the first Server-Sent
Event of ``POST /api/chat/stream``. Starts the demo on loopback ports itself (SQLite in a temp dir, the QBO
sandbox, the production agent wiring), or targets ``--base http://127.0.0.1:PORT`` with ``--key``.

    python bench/load_chat.py --sessions 8 --turns 4
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = (
    "How many open invoices do we have?",
    "What is the total of overdue invoices?",
    "List unpaid invoices for Jane Cooper",
    "Show estimates from last month",
    "What do we charge for a 50 gallon gas water heater?",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(app: Any, port: int) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def demo_server() -> Iterator[tuple[str, str]]:
    from api.app import create_app
    from api.qbo_wiring import callback_url
    from api.settings import Settings
    from demo.serve import DemoStartup, demo_sandbox, demo_settings
    from domain.models import Role

    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(var_dir=Path(tmp) / "var", base_url=f"http://127.0.0.1:{port}", run_worker=False)
        with demo_sandbox(base, callback=callback_url(base), today=None) as sandbox_url:
            settings = demo_settings(base, host="127.0.0.1", port=port, sandbox_url=sandbox_url)
            app = create_app(
                settings, startup=(startup := DemoStartup(lambda _line: None)), create_schema=True
            )
            with _serve(app, port) as url:
                yield url, startup.info.keys[Role.OWNER]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _session(
    client: httpx.AsyncClient, key: str, n: int, turns: int, out: dict[str, list[Any]]
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    thread_id: str | None = None
    for turn in range(turns):
        question = QUESTIONS[(n + turn) % len(QUESTIONS)]
        body: dict[str, Any] = {"message": question, **({"thread_id": thread_id} if thread_id else {})}
        started = time.perf_counter()
        try:
            response = await client.post("/api/chat", json=body, headers=headers)
            out["latency"].append(time.perf_counter() - started)
            if response.status_code != 200:
                out["errors"].append(f"chat {response.status_code}: {response.text[:120]}")
            else:
                thread_id = response.json()["thread_id"]
        except httpx.HTTPError as exc:
            out["errors"].append(f"chat {type(exc).__name__}")
        started = time.perf_counter()
        try:
            async with client.stream(
                "POST", "/api/chat/stream", json={"message": question}, headers=headers
            ) as r:
                first = None
                async for line in r.aiter_lines():
                    if first is None and line.startswith("event:"):
                        first = time.perf_counter() - started
                out["ttfe"].append(first if first is not None else float("nan"))
                out["stream"].append(time.perf_counter() - started)
                if r.status_code != 200:
                    out["errors"].append(f"stream {r.status_code}")
        except httpx.HTTPError as exc:
            out["errors"].append(f"stream {type(exc).__name__}")


async def run(base: str, key: str, sessions: int, turns: int) -> dict[str, Any]:
    out: dict[str, list[Any]] = {"latency": [], "ttfe": [], "stream": [], "errors": []}
    limits = httpx.Limits(max_connections=sessions * 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*[_session(client, key, n, turns, out) for n in range(sessions)])
        elapsed = time.perf_counter() - started
    requests = len(out["latency"]) + len(out["stream"])
    return {"elapsed": elapsed, "requests": requests, **out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--base", help="an already running server (loopback only)")
    parser.add_argument("--key", help="API key for --base")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 200 or not 1 <= args.turns <= 50:
        parser.error("keep it bounded: 1..200 sessions, 1..50 turns")

    def report(result: dict[str, Any]) -> None:
        lat, ttfe = result["latency"], [t for t in result["ttfe"] if t == t]
        print(
            f"sessions={args.sessions} turns={args.turns} requests={result['requests']} "
            f"elapsed={result['elapsed']:.2f}s"
        )
        print(f"requests/s       {result['requests'] / result['elapsed']:.1f}")
        print(
            f"chat latency     p50={_pct(lat, 0.5) * 1000:.0f}ms p95={_pct(lat, 0.95) * 1000:.0f}ms "
            f"p99={_pct(lat, 0.99) * 1000:.0f}ms mean={statistics.fmean(lat) * 1000 if lat else float('nan'):.0f}ms"
        )
        print(
            f"SSE first event  p50={_pct(ttfe, 0.5) * 1000:.0f}ms p95={_pct(ttfe, 0.95) * 1000:.0f}ms "
            f"p99={_pct(ttfe, 0.99) * 1000:.0f}ms"
        )
        print(f"errors           {len(result['errors'])}")
        for line in result["errors"][:5]:
            print(f"  {line}")

    if args.base:
        if urlsplit(args.base).hostname not in ("127.0.0.1", "localhost", "::1") or not args.key:
            parser.error("--base must be a loopback URL and needs --key")
        report(asyncio.run(run(args.base, args.key, args.sessions, args.turns)))
        return
    with demo_server() as (base, key):
        report(asyncio.run(run(base, key, args.sessions, args.turns)))


if __name__ == "__main__":
    main()
