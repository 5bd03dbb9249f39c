"""Per-user flood control with a fake clock."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Mapping

from bot.channels.flood import COUNT_EVERY, FloodControl, FloodGuard, Verdict
from bot.core.bookkeeping import WriteBehind
from bot.core.ports import FloodVerdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_notice_then_silence_until_the_window_passes() -> None:
    clock = Clock()
    guard = FloodGuard(3, 10.0, clock=clock)
    assert [guard.check("u") for _ in range(3)] == [Verdict.ALLOW] * 3
    assert guard.check("u") is Verdict.NOTIFY
    assert [guard.check("u") for _ in range(5)] == [Verdict.IGNORE] * 5
    clock.now += 10.5
    assert guard.check("u") is Verdict.ALLOW


def test_other_users_are_unaffected() -> None:
    clock = Clock()
    guard = FloodGuard(2, 10.0, clock=clock)
    for _ in range(5):
        guard.check("noisy")
    assert guard.check("calm") is Verdict.ALLOW
    assert guard.check("calm") is Verdict.ALLOW


def test_the_window_slides() -> None:
    clock = Clock()
    guard = FloodGuard(3, 10.0, clock=clock)
    for _ in range(3):
        assert guard.check("u") is Verdict.ALLOW
        clock.now += 4.0  # 3 messages spread over 12 s: never more than 3 in 10 s
    assert guard.check("u") is Verdict.ALLOW


def test_memory_follows_recent_activity_only() -> None:
    clock = Clock()
    guard = FloodGuard(5, 10.0, clock=clock)
    for user in range(10_000):
        guard.check(str(user))
    assert len(guard) == 10_000
    clock.now += 11.0
    guard.check("late")
    assert len(guard) == 1


def test_memory_is_capped_under_a_burst_of_distinct_users() -> None:
    guard = FloodGuard(5, 10.0, max_users=1_000, clock=Clock())
    for user in range(5_000):
        guard.check(str(user))
    assert len(guard) == 1_000


def test_a_window_costs_a_few_hundred_bytes_per_user() -> None:
    # Everyone who wrote within the last window is kept: thousands of users at a peak. One
    # tuple per user (about 150 bytes beside its key); a deque per user cost about 900.
    clock = Clock()
    guard = FloodGuard(8, 10.0, clock=clock)
    keys = [str(1_000_000 + user) for user in range(10_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key in keys:
            clock.now += 0.0001
            guard.check(key)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(guard) == 10_000
    assert grown / 10_000 < 300


def test_a_muted_user_keeps_no_stamps_and_starts_afresh() -> None:
    clock = Clock()
    guard = FloodGuard(2, 10.0, clock=clock)
    assert [guard.check("u") for _ in range(3)] == [Verdict.ALLOW] * 2 + [Verdict.NOTIFY]
    clock.now += 9.0
    assert guard.check("u") is Verdict.IGNORE  # still muted, and still seen: not forgotten
    clock.now += 1.5
    assert [guard.check("u") for _ in range(3)] == [Verdict.ALLOW] * 2 + [Verdict.NOTIFY]


class SharedWindows:
    """The database's windows as a fake: records every count it is asked for."""

    def __init__(self, over: frozenset[str] = frozenset()) -> None:
        self.calls: list[dict[str, int]] = []
        self.over = over

    async def check(self, key: str) -> FloodVerdict:
        return (await self.count({key: 1}))[key]

    async def count(self, messages: Mapping[str, int]) -> dict[str, FloodVerdict]:
        self.calls.append(dict(messages))
        return {
            key: FloodVerdict.NOTIFY if key in self.over else FloodVerdict.ALLOW for key in messages
        }


async def test_messages_between_two_flushes_are_counted_together() -> None:
    clock = Clock()
    shared = SharedWindows()
    control = FloodControl(
        FloodGuard(8, 10.0, clock=clock), shared, WriteBehind(), channel="zalo", clock=clock
    )
    for user in ("a", "b", "a", "c", "a"):
        assert await control.check(user) is Verdict.ALLOW
    await control.bookkeeping.drain()
    assert shared.calls == [{"zalo:a": 3, "zalo:b": 1, "zalo:c": 1}]
    assert await control.check("b") is Verdict.ALLOW
    await control.bookkeeping.drain()
    assert shared.calls[1:] == [{"zalo:b": 1}]


async def test_a_user_the_shared_windows_find_over_the_limit_gets_one_notice() -> None:
    clock = Clock()
    shared = SharedWindows(over=frozenset({"zalo:a"}))
    control = FloodControl(
        FloodGuard(8, 10.0, clock=clock), shared, WriteBehind(), channel="zalo", clock=clock
    )
    for _ in range(3):  # several messages in one count: the notice is still due once
        assert await control.check("a") is Verdict.ALLOW
    await control.bookkeeping.drain()
    assert [await control.check("a") for _ in range(3)] == [Verdict.NOTIFY] + [Verdict.IGNORE] * 2
    clock.now += 10.5
    assert await control.check("a") is Verdict.ALLOW


async def test_a_count_dropped_from_a_full_queue_is_queued_again() -> None:
    clock = Clock()
    shared = SharedWindows()
    bookkeeping = WriteBehind(max_items=1)
    control = FloodControl(
        FloodGuard(10**6, 10.0, clock=clock), shared, bookkeeping, channel="zalo", clock=clock
    )
    assert await control.check("a") is Verdict.ALLOW
    bookkeeping.put("conversation", lambda: asyncio.sleep(0))  # pushes the count out
    assert bookkeeping.dropped["flood windows"] == 1
    for _ in range(COUNT_EVERY):
        await control.check("a")
    await bookkeeping.drain()
    assert shared.calls == [{"zalo:a": COUNT_EVERY + 1}]
