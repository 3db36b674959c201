"""The per-realm limiter on a virtual clock: windows, concurrency, batch budget, sharing, pauses."""

from __future__ import annotations

import asyncio

from integrations.quickbooks.api.ratelimit import RateLimiterRegistry, RateLimits, RealmLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def limiter(vt: VirtualTime, **limits: float) -> RealmLimiter:
    return RealmLimiter(RateLimits(margin_seconds=0.0, **limits), clock=vt.clock, sleep=vt.sleep)  # type: ignore[arg-type]


def max_in_window(stamps: list[float], span: float) -> int:
    return max(sum(1 for t in stamps if s <= t < s + span) for s in stamps)


async def test_minute_window_is_never_exceeded_but_is_filled() -> None:
    vt = VirtualTime()
    lim = limiter(vt, per_minute=50, per_second=10)
    stamps: list[float] = []
    for _ in range(120):
        async with lim.slot():
            stamps.append(vt.now)
    assert max_in_window(stamps, 60.0) == 50
    assert max_in_window(stamps, 1.0) <= 10
    # The first 50 go out in 5 s (10/s); then the window holds until the first stamp leaves it.
    assert stamps[49] < 5.0
    assert 60.0 <= stamps[50] < 61.0


async def test_concurrency_cap() -> None:
    vt = VirtualTime()
    lim = limiter(vt, concurrent=3, per_second=100, per_minute=1000)
    live = 0
    peak = 0

    async def one() -> None:
        nonlocal live, peak
        async with lim.slot():
            live += 1
            peak = max(peak, live)
            await asyncio.sleep(0.001)
            live -= 1

    await asyncio.gather(*(one() for _ in range(20)))
    assert peak == 3
    assert lim.stats.max_in_flight == 3


async def test_batch_budget_is_separate() -> None:
    vt = VirtualTime()
    lim = limiter(vt, batch_per_minute=4, per_second=100, per_minute=1000)
    batch_stamps: list[float] = []
    for _ in range(6):
        async with lim.slot(batch=True):
            batch_stamps.append(vt.now)
    assert batch_stamps[3] == 0.0 and batch_stamps[4] >= 60.0
    before = vt.now
    async with lim.slot():  # a plain request is not held by the batch budget
        pass
    assert vt.now == before


async def test_time_scale_compresses_windows() -> None:
    vt = VirtualTime()
    lim = limiter(vt, per_minute=10, per_second=100, time_scale=60.0)
    stamps = []
    for _ in range(11):
        async with lim.slot():
            stamps.append(vt.now)
    assert abs(stamps[10] - 1.0) < 1e-9  # a compressed minute lasts one second


async def test_pause_holds_everyone() -> None:
    vt = VirtualTime()
    lim = limiter(vt)
    lim.pause(5.0)
    async with lim.slot():
        assert vt.now >= 5.0
    assert lim.stats.throttled == 1


def test_registry_shares_one_limiter_per_realm() -> None:
    reg = RateLimiterRegistry()
    assert reg.for_realm("1") is reg.for_realm("1")
    assert reg.for_realm("1") is not reg.for_realm("2")


async def test_a_request_counts_until_its_response_arrives() -> None:
    vt = VirtualTime()
    lim = limiter(vt, per_minute=1, per_second=10)
    async with lim.slot():
        vt.now = 5.0  # QBO may have counted it as late as now
    async with lim.slot():
        assert vt.now == 65.0


async def test_a_long_request_is_never_forgotten() -> None:
    vt = VirtualTime()
    lim = limiter(vt, per_minute=1, per_second=10, concurrent=2)
    entered = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> None:
        async with lim.slot():
            entered.set()
            await release.wait()

    task = asyncio.create_task(slow())
    await entered.wait()
    vt.now = 100.0  # still in flight long after a window's span

    async def second() -> float:
        async with lim.slot():
            return vt.now

    waiter = asyncio.create_task(second())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done()
    release.set()
    await task
    assert await waiter >= 160.0
