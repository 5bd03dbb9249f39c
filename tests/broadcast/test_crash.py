"""kill -9 the delivering process at random moments, restart: nobody gets a run twice.

Every subscriber ends with exactly one message, except rows reported 'unknown', which are
exactly the rows that were in flight ('sending') at the kills and got at most one message.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.broadcast.models import DeliveryRow
from bot.broadcast.options import default_in_flight
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import add_subscribers, ledger, options, service_for
from tests.fakes.bot_api_limits import BotApiLimits

RATE = 150.0


def cli_env(db: Db, fake: BotApiLimits) -> dict[str, str]:
    env = dict(os.environ)
    env.update(db.backend.env())
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_BROADCAST_RATE": str(RATE),
            "TELEGRAM_PAID_BROADCAST": "true",
            "QUIET_HOURS_START": "00:00",  # equal start and end: no quiet hours in tests
            "QUIET_HOURS_END": "00:00",
            "PTB_TIMEDELTA": "true",
        }
    )
    return env


async def cli(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def sending_rows(db: Db, run_id: int) -> int:
    async with db.sessions() as session:
        count = await session.scalar(
            select(func.count()).where(
                DeliveryRow.run_id == run_id, DeliveryRow.status == "sending"
            )
        )
        return int(count or 0)


async def test_kill_9_three_times_then_resume(db: Db, fake: BotApiLimits, tmp_path: Path) -> None:
    chats = await add_subscribers(db.sessions, 400)
    fake.limit = 1000
    service = await service_for(db.sessions, fake, options())
    try:
        run_id = await service.create_announcement("Cảnh báo lừa đảo qua điện thoại", "test")
    finally:
        await service.close()
    env = cli_env(db, fake)
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    in_flight: list[int] = []
    for _ in range(3):
        target = len(fake.accepted) + rng.randint(10, 90)
        process = await cli(env, tmp_path, "broadcast", "resume")
        await fake.wait_for(lambda target=target: len(fake.accepted) >= target, within=120)
        await asyncio.sleep(rng.random() * 0.05)  # land anywhere, not just after an answer
        process.kill()
        await process.communicate()
        in_flight.append(await sending_rows(db, run_id))
    assert len(fake.accepted) < len(chats), "the run finished before the last kill"

    final = await cli(env, tmp_path, "broadcast", "resume")
    out, err = await final.communicate()
    assert final.returncode == 0, err.decode()
    assert f"Đợt gửi #{run_id} đã xong" in out.decode()

    statuses = await ledger(db.sessions, run_id)
    received = fake.per_chat()
    unknown = {chat for chat, status in statuses.items() if status == "unknown"}
    print(f"in flight at the kills: {in_flight}; unknown: {len(unknown)}")
    assert fake.duplicates() == {}
    assert set(statuses.values()) <= {"sent", "unknown"}
    assert len(unknown) == sum(in_flight)
    assert all(n <= default_in_flight(RATE) for n in in_flight)
    for chat in chats:
        if chat in unknown:
            assert received.get(chat, 0) <= 1
        else:
            assert received[chat] == 1, chat
    if unknown:
        assert "resend-unknown" in out.decode()
