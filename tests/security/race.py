"""Fire requests at the same instant from real threads, each with its own HTTP connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import httpx

Call = Callable[[httpx.Client], httpx.Response]


def race(base: str, calls: Sequence[Call], *, timeout: float = 30.0) -> list[httpx.Response]:
    """Run every call on its own thread, released together by a barrier; responses keep the calls' order."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(index: int, call: Call) -> None:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            client.get("/healthz")  # open the connection before the start line
            barrier.wait()
            try:
                results[index] = call(client)
            except BaseException as exc:  # reported below, on the test's thread
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 10)
    out: list[httpx.Response] = []
    for result in results:
        if not isinstance(result, httpx.Response):
            raise AssertionError(f"a racing request did not complete: {result!r}")
        out.append(result)
    return out


def statuses(responses: Sequence[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)
