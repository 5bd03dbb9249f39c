"""An outage is reported when it starts, at most once a minute while it lasts (with counts of
what it costs), and when it ends: a database down for an hour is 62 lines, not 45,000."""

from __future__ import annotations

import logging

import pytest

from bot.core.health import StorageHealth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.core.health"]


def test_one_line_a_minute_with_counts(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = StorageHealth(clock=clock)
    health.gauge("writes waiting in memory", lambda: 7)
    with caplog.at_level(logging.WARNING):
        health.failed("database is locked")
        for _ in range(240):  # a burst of answers during the outage: 30 s
            health.lost("answers without a crash-safe record")
            health.failed("database is locked")
            clock.now += 0.125
        clock.now += 30.0
        health.lost("conversation logs dropped (memory queue full)", 12)
        clock.now += 10.0
        health.lost("answers without a crash-safe record")
        health.recovered()
    first, minute, back = lines(caplog)
    assert first.startswith("database unavailable (database is locked): answering from memory")
    assert minute == (
        "database unavailable for 60 s (database is locked): in the last minute 240 answers "
        "without a crash-safe record, 12 conversation logs dropped (memory queue full); "
        "7 writes waiting in memory"
    )
    assert back == (
        "database available again after 70 s: in the last minute 1 answers without a "
        "crash-safe record; 7 writes waiting in memory"
    )
    assert health.available and health.outages == 1


def test_nothing_is_said_while_all_is_well(caplog: pytest.LogCaptureFixture) -> None:
    health = StorageHealth(clock=Clock())
    with caplog.at_level(logging.WARNING):
        health.recovered()
        health.report()
        assert health.usable()
    assert lines(caplog) == []
