"""Logs: secrets and personal data scrubbed at every level, repeated warnings counted.

The records come from the real libraries (SQLAlchemy with DATABASE_ECHO, httpx and
python-telegram-bot at DEBUG, the assistant during a database outage, the webhook refusing
callers) through the logging set up by ``setup_logging``.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text as sql
from telegram import Update
from telegram.ext import ApplicationBuilder, ExtBot

from bot.admin.common import setup_logging
from bot.channels.telegram.webhook import SECRET_HEADER, WebhookServer
from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import Assistant
from bot.core.messages import IncomingMessage
from bot.runtime import Runtime
from bot.storage.engine import create_engine
from tests.fakes.ports import MemoryPorts
from tests.fakes.telegram_server import FakeTelegram, private_chat, user

TOKEN = "7912345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
WEBHOOK_SECRET = "hook_Secret-value-42"
PHONE, ACCOUNT = "0912345678", "0071000123456"


@dataclass
class Logs:
    stream: io.StringIO = field(default_factory=io.StringIO)
    now: float = 0.0

    def clock(self) -> float:
        return self.now

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def logs() -> Iterator[Logs]:
    """The root logger with one handler of ours (pytest's own are put back afterwards)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    names = ("sqlalchemy.engine", "httpx", "apscheduler.executors")
    levels = {name: logging.getLogger(name).level for name in names}
    captured = Logs()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [handler]
    try:
        yield captured
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "log_level": "DEBUG",
        "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "database_url": f"sqlite:///{tmp_path / 'log.db'}",
        "database_echo": True,
        "knowledge_dir": PROJECT_ROOT / "knowledge",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def assert_clean(output: str) -> None:
    for secret in (TOKEN, TOKEN.split(":")[1], WEBHOOK_SECRET, PHONE, ACCOUNT, "0912 345 678"):
        assert secret not in output


async def test_debug_logs_of_real_libraries_hold_no_secret_or_personal_data(
    logs: Logs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = settings(tmp_path)
    setup_logging(config)
    engine = create_engine(config)  # DATABASE_ECHO: SQL and parameters at INFO
    async with engine.connect() as connection:
        await connection.execute(sql("SELECT :question"), {"question": f"gọi {PHONE} giúp"})
    await engine.dispose()

    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    try:
        bot: ExtBot[None] = ExtBot(TOKEN, base_url=fake.base_url)  # httpx underneath
        application = ApplicationBuilder().bot(bot).updater(None).build()
        async with application:
            await bot.send_message(501, f"sđt {PHONE}, stk {ACCOUNT}")
            payload = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": private_chat(501),
                    "from": user(501),
                    "text": f"tôi gọi 0912 345 678 mãi, stk {ACCOUNT}",
                },
            }
            await application.start()  # its update fetcher logs each update at DEBUG
            await application.update_queue.put(Update.de_json(payload, bot))
            await application.update_queue.join()
            await application.stop()
        async with aiohttp.ClientSession() as session:
            await session.get(f"{fake.base_url}{TOKEN}/getMe?secret={WEBHOOK_SECRET}")
    finally:
        await fake.stop()

    output = logs.text
    assert_clean(output)
    assert_clean(capsys.readouterr().out)  # echo no longer prints past the root handlers
    # The records were written, scrubbed, not dropped.
    for origin in ("sqlalchemy.engine", "httpx", "telegram.ext.ExtBot", "telegram.ext.Application"):
        assert f"DEBUG {origin}" in output or f"INFO {origin}" in output, origin
    assert "[SĐT]" in output and "[SỐ TÀI KHOẢN]" in output
    assert "[SECRET]" in output or "[TOKEN]" in output


def test_a_fresh_process_scrubs_what_child_loggers_propagate(tmp_path: Path) -> None:
    script = (
        "import logging\n"
        "from bot.admin.common import setup_logging\n"
        "from bot.config import Settings\n"
        "setup_logging(Settings(_env_file=None, log_level='DEBUG', "
        f"telegram_bot_token={TOKEN!r}))\n"
        "logging.getLogger('telegram.ext.ExtBot').debug('Set Bot API URL: %s', "
        f"'https://api.telegram.org/bot{TOKEN}')\n"
        f"logging.getLogger('bot.x').warning('citizen wrote ' + {PHONE!r})\n"
        "logging.getLogger('zalo').info('GET /bot%s/getUpdates', '1234567:' + 'x' * 35)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=True,
    )
    assert_clean(result.stderr)
    assert "x" * 35 not in result.stderr
    assert result.stderr.count("[SECRET]") == 1 and "[TOKEN]" in result.stderr
    assert "citizen wrote [SĐT]" in result.stderr


async def test_a_database_outage_writes_one_traceback_a_minute(
    logs: Logs, tmp_path: Path, runtime: Runtime
) -> None:
    setup_logging(settings(tmp_path, log_level="INFO"), clock=logs.clock)
    down = MemoryPorts(fail_logging=True)
    assistant = Assistant(runtime.responder, down.as_ports())
    for number in range(200):
        await assistant.handle(IncomingMessage("telegram", str(number), "c", text="quên mật khẩu"))
    assert logs.text.count("Traceback (most recent call last)") == 1
    assert logs.text.count("could not log an exchange") == 1
    logs.now += 61
    await assistant.handle(IncomingMessage("telegram", "x", "c", text="quên mật khẩu"))
    assert "… 199 more in the last minute like: could not log an exchange" in logs.text
    assert logs.text.count("Traceback (most recent call last)") == 2
    assert len(logs.text.splitlines()) < 100  # was 200 tracebacks of some 30 lines


async def test_refused_webhook_calls_are_counted_not_each_logged(
    logs: Logs, tmp_path: Path
) -> None:
    setup_logging(settings(tmp_path, log_level="INFO"), clock=logs.clock)
    server = WebhookServer(object(), secret=WEBHOOK_SECRET, host="127.0.0.1", port=0, path="/tg")
    port = await server.start()
    url = f"http://127.0.0.1:{port}/tg"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(50):
                async with session.post(url, headers={SECRET_HEADER: "guess"}, json={}) as answer:
                    assert answer.status == 403
            logs.now += 60
            async with session.post(url, json={}) as answer:
                assert answer.status == 403
    finally:
        await server.stop()
    assert logs.text.count("missing or wrong secret") == 3  # first, the count, next minute
    assert "… 49 more in the last minute" in logs.text


@pytest.fixture
def runtime() -> Runtime:
    from bot.core.knowledge import load_knowledge_dir
    from bot.runtime import make_runtime

    config = Settings(_env_file=None, knowledge_dir=PROJECT_ROOT / "knowledge")  # type: ignore[call-arg]
    return make_runtime(config, load_knowledge_dir(config.knowledge_dir))
