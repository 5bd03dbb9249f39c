"""Settings shared by every test directory."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.core import memory


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A CLI command run in-process configures logging (levels, the log guard on the root's
    handlers, which include pytest's own); the next test starts from what was there before."""
    root = logging.getLogger()
    level = root.level
    filters = {handler: list(handler.filters) for handler in root.handlers}
    named = {name: logging.getLogger(name).level for name in ("httpx", "apscheduler.executors")}
    yield
    root.setLevel(level)
    for handler, before in filters.items():
        handler.filters[:] = before
    for name, value in named.items():
        logging.getLogger(name).setLevel(value)


@pytest.fixture(autouse=True)
def _memory_waits_for_a_slow_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """In production a memory read gives up after 2 s and the answer goes on without it; on a
    loaded CI machine a read can take that long, and a test would then see an empty memory by
    chance. Tests wait as long as it takes (a test of the give-up sets its own wait)."""
    monkeypatch.setattr(memory, "_WAIT_SECONDS", 600.0)
