"""Per-user flood control with a fake clock."""

from __future__ import annotations

from bot.channels.flood import FloodGuard, Verdict


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
