"""Logs: secrets and personal data scrubbed at every level, repeated warnings counted.

The records come from the real libraries (SQLAlchemy with DATABASE_ECHO, httpx and
python-telegram-bot at DEBUG, the assistant during a database outage, the webhook refusing
callers) through the logging set up by ``setup_logging``.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from sqlalchemy import text as sql
from telegram import Update
from telegram.ext import ApplicationBuilder, ExtBot

from bot.admin.common import setup_logging
from bot.channels.telegram.webhook import SECRET_HEADER, WebhookRoute
from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import Assistant
from bot.core.messages import IncomingMessage
from bot.runtime import Runtime
from bot.storage.engine import create_engine
from bot.web.server import HttpServer
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
    # A part that logs every failure with its traceback: the guard keeps one a minute.
    storage_log = logging.getLogger("bot.storage.example")
    for number in range(200):
        try:
            raise OSError(f"database down ({number})")
        except OSError:
            storage_log.exception("could not write row %s", number)
    assert logs.text.count("Traceback (most recent call last)") == 1
    logs.now += 61
    try:
        raise OSError("database down")
    except OSError:
        storage_log.exception("could not write row %s", 200)
    assert "… 199 more in the last minute like: could not write row" in logs.text
    assert logs.text.count("Traceback (most recent call last)") == 2
    # The assistant itself writes its bookkeeping behind the answers: 200 questions during an
    # outage cost a few counted lines, not 200 tracebacks of some 30 lines.
    down = MemoryPorts(fail_logging=True)
    assistant = Assistant(runtime.responder, down.as_ports())
    before = len(logs.text.splitlines())
    for number in range(200):
        await assistant.handle(IncomingMessage("telegram", str(number), "c", text="quên mật khẩu"))
    await assistant.bookkeeping.drain()
    assert len(logs.text.splitlines()) - before < 10
    assert logs.text.count("Traceback (most recent call last)") == 2


async def test_refused_webhook_calls_are_counted_not_each_logged(
    logs: Logs, tmp_path: Path
) -> None:
    setup_logging(settings(tmp_path, log_level="INFO"), clock=logs.clock)

    async def accept(update: dict[str, object]) -> None:
        raise AssertionError("nothing with a wrong secret is accepted")

    server = HttpServer("127.0.0.1", 0)
    server.mount(WebhookRoute(accept, secret=WEBHOOK_SECRET, path="/tg"))
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


# A Zalo token's secret need not have a Telegram token's length: the URL path gives it away.
ZALO_TOKEN = "2913384750112233445:Zx9-kq_Lm3Pw7Rt"


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


async def test_urls_with_tokens_are_scrubbed_even_when_the_token_is_not_configured(
    logs: Logs, tmp_path: Path
) -> None:
    setup_logging(settings(tmp_path, telegram_bot_token=None, log_format="json"))
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    try:
        bot: ExtBot[None] = ExtBot(TOKEN, base_url=fake.base_url)  # logs its URL at DEBUG
        async with bot:
            await bot.get_me()
        root = fake.base_url.removesuffix("/bot")
        async with httpx.AsyncClient() as client:  # logs "HTTP Request: POST <url>" at INFO
            await client.post(f"{root}/bot{ZALO_TOKEN}/sendMessage", json={"text": "hi"})
        async with aiohttp.ClientSession() as session:
            try:
                async with session.get(f"{root}/bot{ZALO_TOKEN}/getMe") as answer:
                    answer.raise_for_status()
            except aiohttp.ClientResponseError:  # its text holds the full URL
                logging.getLogger("bot.channels.zalo").exception("getMe failed")
    finally:
        await fake.stop()
    lines = json_lines(logs.text)
    assert TOKEN not in logs.text and TOKEN.split(":")[1] not in logs.text
    assert ZALO_TOKEN not in logs.text and ZALO_TOKEN.split(":")[1] not in logs.text
    loggers = {line["logger"] for line in lines}
    assert {"httpx", "telegram.ext.ExtBot", "bot.channels.zalo"} <= loggers
    assert any("/bot[TOKEN]/sendMessage" in line["message"] for line in lines)
    failure = next(line for line in lines if line["logger"] == "bot.channels.zalo")
    assert "/bot[TOKEN]/getMe" in failure["exception"]


def test_json_lines_carry_time_level_logger_message_and_scrubbed_extras(
    logs: Logs, tmp_path: Path
) -> None:
    setup_logging(settings(tmp_path, log_level="INFO", log_format="json"))
    log = logging.getLogger("bot.example")
    log.warning(
        "citizen %s wrote to %s",
        PHONE,
        f"https://bot-api.zaloplatforms.com/bot{ZALO_TOKEN}/sendMessage",
        extra={"chat": 501, "note": f"stk {ACCOUNT}", "url": f"/bot{TOKEN}/getUpdates"},
    )
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        log.error("failed", exc_info=True)
    first, second = json_lines(logs.text)
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert first["time"].endswith("+00:00") and first["level"] == "WARNING"
    assert first["message"] == (
        "citizen [SĐT] wrote to https://bot-api.zaloplatforms.com/bot[TOKEN]/sendMessage"
    )
    assert first["chat"] == 501
    assert first["note"] == "stk [SỐ TÀI KHOẢN]" and first["url"] == "/bot[SECRET]/getUpdates"
    assert second["message"] == "failed" and "bad token [SECRET]" in second["exception"]
    assert_clean(logs.text)
