"""``qbo-agent serve --workers 2``: two real uvicorn worker processes on loopback, one database.

Turns on one thread sent at once to both processes are serialized by the thread's lease (no turn is lost from
the thread's history), and turns on different threads all succeed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.api.conftest import SECRET, make_settings, seed_tenant
from tests.api.live import free_port
from tests.security.race import Call, race

WORKERS = 2


@pytest.fixture()
def two_workers(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    tenant = seed_tenant(engine, f"Two Worker Heating {uuid.uuid4().hex[:6]}", make_settings())
    port = free_port()
    env = {
        **os.environ,
        "QBO_AGENT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "QBO_AGENT_SECRET_KEY": SECRET,
        "QBO_AGENT_RUN_WORKER": "false",
        "QBO_AGENT_VAR_DIR": str(tmp_path / "var"),
        "QBO_AGENT_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [str(Path(sys.executable).parent / "qbo-agent"), "serve", "--workers", str(WORKERS)]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: teardown ends the supervisor and its workers
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve --workers did not start: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.2)
        yield base, tenant.headers()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _ask(headers: dict[str, str], text: str, thread_id: str | None = None) -> Call:
    body = {"message": text, **({"thread_id": thread_id} if thread_id else {})}

    def call(client: httpx.Client) -> httpx.Response:
        return client.post("/api/chat", json=body, headers=headers)

    return call


def test_two_worker_processes_serialize_a_thread_and_run_threads_apart(
    two_workers: tuple[str, dict[str, str]],
) -> None:
    base, owner = two_workers
    with httpx.Client(base_url=base, timeout=60) as client:
        first = client.post("/api/chat", json={"message": "how many open invoices?"}, headers=owner)
        assert first.status_code == 200, first.text
        thread_id = first.json()["thread_id"]

    same = [_ask(owner, f"how many open invoices? ({n})", thread_id) for n in range(6)]
    apart = [_ask(owner, f"what is overdue? ({n})") for n in range(6)]
    responses = race(base, same + apart, timeout=120)
    assert [r.status_code for r in responses] == [200] * len(responses), [r.text[:200] for r in responses]
    assert len({r.json()["thread_id"] for r in responses[len(same) :]}) == len(apart)

    with httpx.Client(base_url=base, timeout=60) as client:
        history = client.get(f"/api/threads/{thread_id}/messages", headers=owner).json()["messages"]
    asked = [m["text"] for m in history if m["role"] == "user"]
    # Overlapping turns would each write onto the same checkpoint and one would drop the other's messages.
    assert sorted(asked) == sorted(
        ["how many open invoices?", *(f"how many open invoices? ({n})" for n in range(6))]
    )
    replies = [m for m in history if m["role"] == "assistant" and not m.get("tool_calls")]
    assert len(replies) == len(asked)
