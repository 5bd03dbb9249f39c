"""Shared pieces of the crash and lock probes: a counting fake Bot API, the real bot process.

The probes run ``python run_bot.py`` (the program a province runs) against the fake server on
127.0.0.1 and read the database afterwards. They print figures; they never pass or fail.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bot_process import BotProcess, webhook_env  # noqa: E402, F401 (for the probes)
from tests.fakes.telegram_server import TOKEN, FakeTelegram, SentMessage  # noqa: E402

SECRET = "probe_secret"
FIRST_USER = 2_000_000


def questions() -> list[str]:
    path = ROOT / "tests" / "data" / "dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [row["text"] for row in rows]


class CountingFake(FakeTelegram):
    """The fake Bot API with a hook on every delivered answer; redelivers like Telegram."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.redeliver = True
        self.on_sent: Any = None
        self.webhooks_set = 0

    def started(self) -> int:
        """Grows each time a bot (re)starts taking updates."""
        return self.webhooks_set + self.get_updates_calls

    def on_message_sent(self, message: SentMessage) -> None:
        if self.on_sent is not None:
            self.on_sent(message)

    async def api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhooks_set += 1
        return await super().api_setWebhook(params)


def bot_env(fake: FakeTelegram, database_url: str, schema: str | None) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    if schema:
        env["DATABASE_SCHEMA"] = schema
    return env


async def pg_schema(url: str, create: bool) -> str:
    import asyncpg

    schema = f"probe_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"' if create else "SELECT 1")
    finally:
        await conn.close()
    return schema


async def drop_schema(url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()


async def query(database_url: str, schema: str | None, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one SQL query on the bot's database (empty when the table does not exist)."""
    from sqlalchemy import text

    from bot.config import Settings
    from bot.storage.engine import create_engine

    settings = Settings(_env_file=None, database_url=database_url, database_schema=schema)  # type: ignore[call-arg]
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            try:
                return [tuple(row) for row in await conn.execute(text(sql))]
            except Exception:
                return []
    finally:
        await engine.dispose()


async def until(predicate: Any, within: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return bool(predicate())


async def quiet(fake: CountingFake, seconds: float, within: float) -> None:
    """Wait until no answer was sent for ``seconds`` (or ``within`` passed)."""
    deadline = time.monotonic() + within
    last, since = len(fake.sent), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if len(fake.sent) != last:
            last, since = len(fake.sent), time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
