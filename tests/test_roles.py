"""CONTRACT: `python run_bot.py --role web|bot|all` on one PostgreSQL.

Two `web` processes on different WEB_PORTs serve one web-chat conversation alternately without
losing its pending choices; two `bot` processes share one Telegram token: one polls, the other
stands by and takes over when the first is killed with SIGKILL; no update is answered twice and
the web processes never poll. Runs the real processes (tests/bot_process.py) against the
machine's PostgreSQL; skipped when TEST_DATABASE_URL is unset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import PROJECT_ROOT
from bot.core.texts import ASK_AGAIN_AFTER_RESTART
from tests.bot_process import BotProcess
from tests.fakes.telegram_server import FakeTelegram
from tests.mixed_cluster import Cluster, chat, poller_pid, ready
from tests.storage.backends import PG_URL, Backend, backend

needs_postgresql = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")
TOKEN = "7912345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
CITIZEN = 501


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Backend]:
    with backend("postgresql", tmp_path) as db:
        yield db


@pytest.fixture
async def cluster(database: Backend, tmp_path: Path) -> AsyncIterator[tuple[Cluster, FakeTelegram]]:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    env = {
        **database.env(),
        "KNOWLEDGE_DIR": str(PROJECT_ROOT / "knowledge"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "LOG_LEVEL": "INFO",
    }
    group = Cluster(tmp_path, env)
    try:
        yield group, fake
    finally:
        await group.close()
        await fake.stop()


@needs_postgresql
async def test_two_web_processes_and_a_standby_pair_share_one_database(
    cluster: tuple[Cluster, FakeTelegram],
) -> None:
    group, fake = cluster
    web1, base1 = group.process("web1", "web")
    web2, base2 = group.process("web2", "web")
    bot1, bot_base1 = group.process("bot1", "bot")
    bot2, bot_base2 = group.process("bot2", "bot")
    for process in (web1, web2, bot1, bot2):
        await process.start()
    for base, process in ((base1, web1), (base2, web2), (bot_base1, bot1), (bot_base2, bot2)):
        await ready(base, process)

    # A web-chat conversation served alternately: the choices one process offered (kept with
    # the session in the database) are accepted by the other; one never offered is not.
    first = await chat(base1, text="mật khẩu")
    session = first["session"]
    assert first["reply"]["outcome"] == "ambiguous"
    offered = [c["id"] for c in first["reply"]["choices"] if c["id"].startswith("pick:")]
    assert len(offered) >= 2
    second = await chat(base2, session=session, choice=offered[1])
    assert second["reply"]["outcome"] == "answered"
    assert second["reply"]["faq_id"] == offered[1].split(":", 1)[1]
    third = await chat(base2, session=session, text="tài khoản")
    picks = [c["id"] for c in third["reply"]["choices"] if c["id"].startswith("pick:")]
    fourth = await chat(base1, session=session, choice=picks[0])
    assert fourth["reply"]["faq_id"] == picks[0].split(":", 1)[1]
    never = await chat(base2, session=session, choice="pick:pay.refund")
    assert never["reply"]["outcome"] == "other" and never["reply"]["faq_id"] is None

    # Telegram: one of the two bot processes polls; each update is answered once.
    fake.text(CITIZEN, "quên mật khẩu dịch vụ công")
    await fake.wait_for(lambda: len(fake.to(CITIZEN)) >= 1, within=120)
    active = await poller_pid(group.env)
    assert active in (bot1.pid, bot2.pid)
    dead, standby = (bot1, bot2) if active == bot1.pid else (bot2, bot1)
    await standby.wait_for_output("standing by", within=120)  # the kill comes after that
    dead.kill()
    await dead.wait()
    fake.text(CITIZEN, "nộp lệ phí ở đâu")
    await fake.wait_for(lambda: len(fake.to(CITIZEN)) >= 2, within=120)
    assert await poller_pid(group.env) == standby.pid
    assert "taking over" in standby.output()
    for process in (web1, web2, standby):
        assert await process.terminate() == 0, process.output()[-2000:]
    # Stopped cleanly, nothing more can come: each update answered once, never two pollers
    # (the web processes have the token too, and never poll).
    # The standby may also tell the citizen to ask again when the killed process's "answered"
    # mark (written behind the answer) had not reached the journal: a notice, not an answer.
    answers = [m for m in fake.to(CITIZEN) if m.text != ASK_AGAIN_AFTER_RESTART]
    notices = len(fake.to(CITIZEN)) - len(answers)
    assert len(answers) == 2 and notices <= 1 and fake.conflicts == 0
    assert "poller" not in web1.output() + web2.output()


async def status(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status


async def test_each_role_runs_only_its_part(tmp_path: Path) -> None:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'roles.db'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
    }
    group = Cluster(tmp_path, env)
    try:
        web, web_base = group.process("web", "web")
        await web.start()
        await ready(web_base, web)
        assert await status(f"{web_base}/chat") == 200
        assert await status(f"{web_base}/staff/login") == 200
        assert fake.get_updates_calls == 0  # the web role has the token and never polls
        bot, bot_base = group.process("bot", "bot")
        await bot.start()
        await ready(bot_base, bot)
        fake.text(CITIZEN, "quên mật khẩu dịch vụ công")
        (answer,) = await fake.replies(CITIZEN, within=120)
        assert answer.text.startswith("Tôi quên mật khẩu")
        assert await status(f"{bot_base}/chat") == 404  # the bot role serves health only
        assert await status(f"{bot_base}/metrics") == 200
        assert "(role bot)" in bot.output() and "(role web)" in web.output()
        assert await web.terminate() == 0 and await bot.terminate() == 0
        assert fake.conflicts == 0 and fake.get_updates_calls > 0
        wrong = BotProcess(env, tmp_path, args=("--role", "everything"))
        await wrong.start()
        assert await wrong.wait() == 2
        assert "invalid choice: 'everything'" in wrong.output()
    finally:
        await group.close()
        await fake.stop()
