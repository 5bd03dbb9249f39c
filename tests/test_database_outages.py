"""Database outages with the real ``python run_bot.py``: at start, a database that is not
reachable is waited for (one line per attempt, no traceback) and SIGTERM meanwhile exits
cleanly; while running, PostgreSQL going down costs no answer, and the logs follow later."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.storage import Storage
from bot.storage.models import ConversationRow
from tests.bot_process import BotProcess
from tests.channels.telegram.conftest import fake
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_server import TOKEN, FakeTelegram
from tests.storage.backends import PG_URL, Backend, backend

__all__ = ["fake"]
RETRY_LINE = "database not reachable"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(fake: FakeTelegram, database_url: str, schema: str | None = None) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    return env | ({"DATABASE_SCHEMA": schema} if schema else {})


async def answers_a_question(bot: BotProcess, fake: FakeTelegram) -> None:
    for _ in range(1200):  # a guard against hanging, not a timing assertion
        if fake.get_updates_calls:
            break
        assert bot.process is not None and bot.process.returncode is None, bot.output()
        await asyncio.sleep(0.05)
    fake.text(4242, "quên mật khẩu dịch vụ công")
    (answer,) = await fake.replies(4242, within=60)
    assert answer.text.startswith("Tôi quên mật khẩu")


def no_traceback(bot: BotProcess) -> None:
    output = bot.output()
    assert "Traceback" not in output, output


async def test_an_unusable_sqlite_folder_is_waited_for(fake: FakeTelegram, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database folder should be")
    url = f"sqlite:///{blocker / 'assistant.db'}"
    bot = BotProcess(env_for(fake, url), tmp_path)
    try:
        await bot.start()
        await bot.wait_for_output(RETRY_LINE, count=2)
        assert "attempt 2" in bot.output()
        no_traceback(bot)
        blocker.unlink()  # the operator fixes it; the bot carries on by itself
        await answers_a_question(bot, fake)
        assert await bot.terminate() == 0
        no_traceback(bot)
    finally:
        await bot.close()


async def test_sigterm_while_waiting_for_the_database_exits_cleanly(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    bot = BotProcess(env_for(fake, url), tmp_path)
    try:
        await bot.start()
        await bot.wait_for_output(RETRY_LINE)
        assert await bot.terminate() == 0
        assert "stopped while waiting for the database" in bot.output()
        no_traceback(bot)
        assert fake.get_updates_calls == 0
    finally:
        await bot.close()


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Backend]:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    with backend("postgresql", tmp_path) as value:
        yield value


def through_proxy(pg: Backend) -> tuple[str, TcpProxy]:
    """A database URL whose server the test switches on and off."""
    real = make_url(pg.url)
    proxy = TcpProxy(closed_port(), real.host or "127.0.0.1", real.port or 5432)
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    return url, proxy


async def test_postgresql_coming_up_after_the_bot_is_waited_for(
    fake: FakeTelegram, pg: Backend, tmp_path: Path
) -> None:
    url, proxy = through_proxy(pg)
    bot = BotProcess(env_for(fake, url, pg.schema), tmp_path)
    try:
        await bot.start()
        await bot.wait_for_output(RETRY_LINE, count=2)
        no_traceback(bot)
        await proxy.up()  # PostgreSQL comes up on the port the bot was told about
        await answers_a_question(bot, fake)
        assert await bot.terminate() == 0
        no_traceback(bot)
    finally:
        await bot.close()
        await proxy.down()


async def test_postgresql_going_down_while_answering_costs_no_answer(
    fake: FakeTelegram, pg: Backend, tmp_path: Path
) -> None:
    url, proxy = through_proxy(pg)
    await proxy.up()
    bot = BotProcess(env_for(fake, url, pg.schema), tmp_path)
    try:
        await bot.start()
        await answers_a_question(bot, fake)
        await proxy.down()
        for user in (5001, 5002, 5003):
            fake.text(user, "quên mật khẩu dịch vụ công")
            (answer,) = await fake.replies(user, within=60)  # from memory, not stalled
            assert answer.text.startswith("Tôi quên mật khẩu")
        await bot.wait_for_output("database unavailable")
        await proxy.up()
        fake.text(5004, "quên mật khẩu dịch vụ công")
        await fake.replies(5004, within=60)
        await bot.wait_for_output("database available again")
        assert await bot.terminate() == 0
    finally:
        await bot.close()
        await proxy.down()
    storage = await Storage.open(pg.settings(), migrate=False)
    try:
        async with storage.session_factory() as session:
            logged = set(await session.scalars(select(ConversationRow.user_id)))
    finally:
        await storage.close()
    # The logs of the outage waited in memory and were written once it was over.
    assert {"5001", "5002", "5003", "5004"} <= logged
