"""Load on the chat endpoints of the demo (offline model): N concurrent sessions, a bounded number of turns.

Prints a table per session count: read turns/s, p50/p99 latency of every turn (``POST /api/chat`` and the
whole of ``POST /api/chat/stream``), the time to the first Server-Sent Event, the server's CPU per turn, and
errors. Starts the demo on loopback ports itself (SQLite in a temp dir, or a scratch database on the
``--database-url`` PostgreSQL server; the QBO sandbox; the production agent wiring), or targets
``--base http://127.0.0.1:PORT`` with ``--key``.

With ``--workers N`` the demo is bootstrapped here and then served by ``qbo-agent serve --workers N``, as a
deployment runs it, so the load generator does not share the server's interpreter; ``--books local``
disconnects the company from QuickBooks so questions are answered from the local books (live reads are bound
by QBO's 10 requests/s per company).

    python bench/load_chat.py [--sessions 1,8,16,32] [--turns 4] [--database-url postgresql+psycopg://...]
                              [--books qbo|local] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
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
def _database(url: str | None) -> Iterator[str | None]:
    if url is None or url.startswith("sqlite"):
        yield url
        return
    from domain.db import scratch_database

    with scratch_database(url, "qbo_agent_bench") as scratch:
        yield scratch


def _bootstrap_settings(tmp: str, port: int) -> Any:
    import secrets

    from pydantic import SecretStr

    from api.settings import Settings

    # A secret of the run's own: worker processes are a deployment, which refuses the development key.
    return Settings(
        var_dir=Path(tmp) / "var",
        base_url=f"http://127.0.0.1:{port}",
        run_worker=False,
        secret_key=SecretStr(secrets.token_urlsafe(32)),
    )


def _worker_env(settings: Any) -> dict[str, str]:
    """The demo's settings as the environment a deployment's ``serve --workers N`` reads them from."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("QBO_AGENT_")}
    values = {
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "BASE_URL": settings.base_url,
        "VAR_DIR": str(settings.var_dir),
        "QBO_ENVIRONMENT": settings.qbo_environment,
        "QBO_OAUTH_BASE": settings.qbo_oauth_base or "",
        "QBO_API_BASE": settings.qbo_api_base or "",
        "QBO_WEBHOOK_VERIFIER_TOKEN": settings.qbo_webhook_verifier_token.get_secret_value(),
        "RUN_WORKER": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.update({f"QBO_AGENT_{k}": v for k, v in values.items() if v})
    return env


def _answer_from_local_books(settings: Any) -> None:
    """Disconnect the demo company from QuickBooks: the assistant then answers from the local books."""
    from sqlalchemy import update

    from domain.db import make_engine, make_sessionmaker, transaction
    from domain.models import ConnectionStatus, QboConnection

    engine = make_engine(settings.database_url)
    with transaction(make_sessionmaker(engine)) as session:
        session.execute(update(QboConnection).values(status=ConnectionStatus.DISCONNECTED.value))
    engine.dispose()


@contextmanager
def _worker_processes(settings: Any, port: int, workers: int) -> Iterator[list[int]]:
    """``qbo-agent serve --workers N`` on the demo's database, as a deployment runs it; yields the pids."""
    import subprocess

    cli = Path(sys.executable).with_name("qbo-agent")
    proc = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=_worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                raise RuntimeError(f"serve --workers exited with {proc.returncode}: {err}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve --workers did not answer in 90 s")
            time.sleep(0.2)
        yield [proc.pid, *_children(proc.pid)]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the server processes have used so far (Linux /proc); 0 where it cannot be read."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


@contextmanager
def demo_server(
    database_url: str | None = None, books: str = "qbo", workers: int = 0
) -> Iterator[tuple[str, str, list[int]]]:
    """The demo on loopback: in this process (``workers=0``), or bootstrapped here and then served by
    ``qbo-agent serve --workers N`` processes; yields the base URL, an owner key and the serving pids."""
    import os

    from api.app import create_app
    from api.qbo_wiring import callback_url
    from demo.company import demo_clock
    from demo.serve import DemoStartup, demo_sandbox, demo_settings
    from domain.models import Role

    port = _free_port()
    clock = demo_clock()
    with tempfile.TemporaryDirectory() as tmp, _database(database_url) as db_url:
        base = _bootstrap_settings(tmp, port)
        with demo_sandbox(base, callback=callback_url(base), clock=clock) as sandbox_url:
            settings = demo_settings(base, host="127.0.0.1", port=port, sandbox_url=sandbox_url)
            if db_url is not None:
                settings = settings.model_copy(update={"database_url": db_url})
            startup = DemoStartup(lambda _line: None)
            app = create_app(settings, startup=startup, create_schema=True, clock=clock)
            with _serve(app, port) as url:
                assert startup.info is not None
                key = startup.info.keys[Role.OWNER]
                if books == "local":
                    _answer_from_local_books(settings)
                if not workers:
                    yield url, key, [os.getpid()]
                    return
            with _worker_processes(settings, port, workers) as pids:
                yield f"http://127.0.0.1:{port}", key, pids


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


def _ms(values: list[float], q: float) -> str:
    return f"{_pct(values, q) * 1000:.0f} ms"


def report(sessions: int, turns: int, result: dict[str, Any], server_cpu: float | None) -> str:
    """One table row: every chat and stream request is one read turn."""
    lat = result["latency"] + result["stream"]
    ttfe = [t for t in result["ttfe"] if t == t]
    cpu = f"{server_cpu / result['requests'] * 1000:.1f} ms" if server_cpu is not None else "n/a"
    return (
        f"| {sessions} | {turns} | {result['requests']} | {result['requests'] / result['elapsed']:.1f} "
        f"| {_ms(lat, 0.5)} | {_ms(lat, 0.99)} | {_ms(ttfe, 0.5)} | {cpu} | {len(result['errors'])} |"
    )


def _sessions(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or not all(1 <= n <= 200 for n in counts):
        raise argparse.ArgumentTypeError("session counts between 1 and 200, e.g. 1,8,16,32")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=_sessions, default=[1, 8, 16, 32], help="e.g. 1,8,16,32")
    parser.add_argument("--turns", type=int, default=4, help="chat + stream pairs per session")
    parser.add_argument(
        "--database-url", help="PostgreSQL server to make a scratch database on (default SQLite)"
    )
    parser.add_argument(
        "--books",
        choices=("qbo", "local"),
        default="qbo",
        help="answer from the QBO sandbox (bound by QBO's 10 requests/s per company) or the local store",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="serve with `qbo-agent serve --workers N` processes (0: in this process, beside the load)",
    )
    parser.add_argument("--base", help="an already running server (loopback only)")
    parser.add_argument("--key", help="API key for --base")
    args = parser.parse_args()
    if not 1 <= args.turns <= 50:
        parser.error("keep it bounded: 1..50 turns")
    if not 0 <= args.workers <= 16:
        parser.error("--workers: 0..16")

    def measure(base: str, key: str, pids: list[int] | None) -> None:
        asyncio.run(run(base, key, 1, 1))  # warm-up: imports, first queries, caches
        # Server CPU per turn is only separable when the server runs in processes of its own.
        own = pids is not None and args.workers > 0
        print(
            "| sessions | turns | requests | read turns/s | p50 | p99 | SSE first event p50 "
            "| server CPU per turn | errors |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        errors: list[str] = []
        for sessions in args.sessions:
            before = cpu_seconds(pids) if own and pids else 0.0
            result = asyncio.run(run(base, key, sessions, args.turns))
            used = cpu_seconds(pids) - before if own and pids else None
            print(report(sessions, args.turns, result, used), flush=True)
            errors += result["errors"]
        for line in errors[:5]:
            print(f"  {line}")

    if args.base:
        if urlsplit(args.base).hostname not in ("127.0.0.1", "localhost", "::1") or not args.key:
            parser.error("--base must be a loopback URL and needs --key")
        measure(args.base, args.key, None)
        return
    with demo_server(args.database_url, args.books, args.workers) as (base, key, pids):
        postgres = args.database_url and not args.database_url.startswith("sqlite")
        where = f"{args.workers} `serve --workers` processes" if args.workers else "this process"
        print(f"database: {'PostgreSQL' if postgres else 'SQLite'}; books: {args.books}; served by {where}")
        measure(base, key, pids)


if __name__ == "__main__":
    main()
