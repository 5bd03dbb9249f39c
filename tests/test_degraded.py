"""Answers never wait for bookkeeping: another process holding SQLite's write lock (a staff
member's ``sqlite3`` shell inside a transaction) delays logs, never answers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import PROJECT_ROOT, Settings
from bot.core.messages import IncomingMessage, Outcome
from bot.runtime import open_runtime
from bot.storage.models import ConversationRow, UserRow

QUESTIONS = ("giá vàng hôm nay bao nhiêu", "quên mật khẩu dịch vụ công", "thời tiết mai thế nào")


async def test_a_locked_sqlite_delays_logs_not_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "locked.db"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{path}",
        knowledge_dir=PROJECT_ROOT / "knowledge",
        journal_wait_seconds=0.1,
        sqlite_busy_timeout_ms=200,  # before the fix, each answer waited this per write
    )
    events: list[str] = []
    async with open_runtime(settings) as runtime:
        health = runtime.bookkeeping.health
        shell = sqlite3.connect(path, isolation_level=None)
        shell.execute("BEGIN IMMEDIATE")  # held until the test says so
        try:
            for index, text in enumerate(QUESTIONS):
                message = IncomingMessage("test", f"u{index}", f"c{index}", text=text)
                reply = await runtime.assistant.handle(message)
                assert reply.outcome in (Outcome.ANSWERED, Outcome.NO_MATCH)
                events.append("answered")
            # The writer met the lock (it reports the outage) while the answers were out.
            for _ in range(400):  # a guard against hanging, not a timing assertion
                if not health.available:
                    break
                await asyncio.sleep(0.05)
            events.append("writer saw the lock" if not health.available else "writer never blocked")
            logged_while_locked = shell.execute("SELECT COUNT(*) FROM conversations").fetchone()
        finally:
            shell.execute("ROLLBACK")
            shell.close()
        events.append("released")
        with caplog.at_level(logging.WARNING, logger="bot.core.health"):
            await runtime.bookkeeping.drain()
        assert runtime.storage is not None
        async with runtime.storage.session_factory() as session:
            logged = await session.scalar(select(func.count(ConversationRow.id)))
            users = await session.scalar(select(func.count(UserRow.id)))
    assert events == ["answered"] * len(QUESTIONS) + ["writer saw the lock", "released"]
    assert logged_while_locked == (0,)
    assert (logged, users) == (len(QUESTIONS), len(QUESTIONS))  # written after the release
    assert health.available and health.outages == 1
    assert "database available again" in caplog.text
