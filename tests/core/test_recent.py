"""Recently seen keys: remembered for a while, never more than the cap (a fake clock)."""

from __future__ import annotations

from bot.core.recent import RecentKeys
from tests.core.test_health import Clock


def test_a_key_is_recent_for_its_time_only() -> None:
    clock = Clock()
    recent: RecentKeys[str] = RecentKeys(60.0, 100, clock)
    assert "a" not in recent
    recent.mark("a")
    clock.now += 59.0
    assert "a" in recent
    clock.now += 1.0
    assert "a" not in recent


def test_marking_again_restarts_the_time() -> None:
    clock = Clock()
    recent: RecentKeys[str] = RecentKeys(60.0, 100, clock)
    recent.mark("a")
    clock.now += 50.0
    recent.mark("a")
    clock.now += 50.0
    assert "a" in recent


def test_ten_thousand_distinct_keys_stay_within_the_cap() -> None:
    clock = Clock()
    recent: RecentKeys[tuple[str, str]] = RecentKeys(60.0, 1_000, clock)
    for user in range(10_000):
        recent.mark(("telegram", str(user)))
    assert len(recent) == 1_000
    assert ("telegram", "9999") in recent  # the newest are kept, the oldest dropped
    assert ("telegram", "0") not in recent


def test_memory_follows_recent_activity_not_everyone_ever_seen() -> None:
    clock = Clock()
    recent: RecentKeys[str] = RecentKeys(60.0, 100_000, clock)
    for user in range(10_000):
        recent.mark(str(user))
        clock.now += 1 / 64  # 64 distinct users a second (exact in binary floating point)
    assert len(recent) == 60 * 64  # those of the last minute
    clock.now += 61.0
    recent.mark("late")
    assert len(recent) == 1
