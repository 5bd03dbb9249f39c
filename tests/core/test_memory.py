"""The assistant's memory never holds an answer up: a read the database does not answer within
the wait reads as empty (and is logged), a hung write is given up the same way."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core import memory
from bot.core.bookkeeping import WriteBehind
from bot.core.chat_state import MemoryChatState
from bot.core.memory import UserMemory

KEY = ("web", "u1")


class HungState(MemoryChatState):
    """A chat state whose reads and writes never come back (a database that stopped answering)."""

    def __init__(self) -> None:
        super().__init__()
        self.hung = False
        self.calls = 0

    async def _maybe_hang(self) -> None:
        self.calls += 1
        if self.hung:
            await asyncio.Event().wait()

    async def get(self, channel: str, chat_id: str, name: str) -> str | None:
        await self._maybe_hang()
        return await super().get(channel, chat_id, name)

    async def put(
        self, channel: str, chat_id: str, name: str, value: str, ttl_seconds: float
    ) -> None:
        await self._maybe_hang()
        await super().put(channel, chat_id, name, value, ttl_seconds)


async def test_a_read_that_hangs_reads_as_empty_after_the_wait(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(memory, "_WAIT_SECONDS", 0.01)
    state = HungState()
    remembered = UserMemory(state, WriteBehind())
    await remembered.put(KEY, "comment", "ask:x", 60)
    assert await remembered.get(KEY, "comment") == "ask:x"
    state.hung = True
    with caplog.at_level(logging.WARNING, logger=memory.__name__):
        assert await remembered.get(KEY, "comment") is None
        assert await remembered.take(KEY, "comment") is None
        await remembered.put(KEY, "other", "value", 60)  # given up, not raised
    assert "not readable" in caplog.text and "not remembered" in caplog.text
    state.hung = False
    # Nothing was lost by giving up: the stored value is still there once the database answers.
    assert await remembered.get(KEY, "comment") == "ask:x"


async def test_what_this_process_wrote_behind_is_read_without_the_database() -> None:
    state = HungState()
    remembered = UserMemory(state, WriteBehind())
    state.hung = True
    remembered.remember(KEY, "last", "quên mật khẩu", 60)
    calls = state.calls
    assert await remembered.get(KEY, "last") == "quên mật khẩu"
    assert state.calls == calls
