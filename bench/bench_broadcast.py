"""Broadcast figures against a fake Bot API server (its own process) that enforces limits.

Prints, never fails a build:
  1. 10,000 subscribers, 5% of them answering 403, time-scaled (250/s under a 300/s fake
     limit), then the real default (25/s under Telegram's 30/s) on a shorter sample:
     achieved rate vs configured, 429s, duplicates, blocked marked inactive, event-loop lag.
  2. The highest sustained rate with the fake limit at 1,000/s (paid-broadcast-like).
  3. kill -9 at three random moments in a 2,000-recipient run, restart each time.

    .venv/bin/python bench/bench_broadcast.py               # everything (about 4 minutes)
    .venv/bin/python bench/bench_broadcast.py --quick       # smaller samples
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy import func, select  # noqa: E402

from bot.broadcast.models import DeliveryRow  # noqa: E402
from bot.broadcast.options import default_in_flight  # noqa: E402
from bot.broadcast.service import BroadcastService  # noqa: E402
from bot.channels.telegram.broadcast import TelegramSender  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.storage.models import SubscriptionRow  # noqa: E402
from tests.broadcast.helpers import add_subscribers, options  # noqa: E402
from tests.fakes.bot_api_limits import TOKEN  # noqa: E402

SEED = 20261127


class FakeServer:
    """tests/fakes/bot_api_limits.py in a child process, so it does not share our CPU."""

    def __init__(self, limit: float, blocked: list[str]) -> None:
        self.limit = limit
        self.blocked = blocked
        self.process: asyncio.subprocess.Process | None = None
        self.port = 0

    async def __aenter__(self) -> FakeServer:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fakes.bot_api_limits",
            "--limit",
            str(self.limit),
            "--blocked",
            ",".join(self.blocked),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        self.port = int((await self.process.stdout.readline()).decode())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        await self.process.wait()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stats(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/_stats"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=30).read())
        return dict(json.loads(body))


def settings_for(database_url: str, schema: str | None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        database_schema=schema,
        knowledge_dir=ROOT / "tests" / "data" / "storage_kb",
    )


async def loop_lag(stop: asyncio.Event, samples: list[float]) -> None:
    """How late a 10 ms timer fires while the broadcast runs (live answers wait as long)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append(time.perf_counter() - start - 0.01)


async def one_run(
    settings: Settings, recipients: int, rate: float, limit: float, blocked_share: float
) -> dict[str, Any]:
    storage = await Storage.open(settings)
    try:
        chats = await add_subscribers(storage.session_factory, recipients, first=10_000_000)
        rng = random.Random(SEED)
        blocked = sorted(rng.sample(chats, int(recipients * blocked_share)))
        async with FakeServer(limit, blocked) as fake:
            opts = options(rate=rate, max_in_flight=default_in_flight(rate), poll_interval=1.0)
            sender = TelegramSender(TOKEN, fake.base_url, pool_size=opts.max_in_flight + 2)
            service = BroadcastService(storage.session_factory, opts, {"telegram": sender})
            await service.start()
            stop, lags = asyncio.Event(), []
            probe = asyncio.create_task(loop_lag(stop, lags))
            try:
                run_id = await service.create_announcement("Thông báo thử tải", "bench")
                started = time.perf_counter()
                report = await service.deliver(run_id)
                elapsed = time.perf_counter() - started
            finally:
                stop.set()
                await probe
                await service.close()
            server = await fake.stats()
        async with storage.session_factory() as session:
            inactive = await session.scalar(
                select(func.count()).where(SubscriptionRow.active.is_(False))
            )
    finally:
        await storage.close()
    lags.sort()
    return {
        "recipients": recipients,
        "configured": rate,
        "fake_limit": limit,
        "achieved": server["achieved_rate"],
        "achieved_share": server["achieved_rate"] / rate,
        "wall_seconds": round(elapsed, 1),
        "max_in_any_second": server["max_per_second"],
        "429s": server["rate_limited"] + server["chat_limited"],
        "duplicates": server["duplicates"],
        "sent": report.sent,
        "blocked": report.blocked,
        "inactive": int(inactive or 0),
        "failed": report.failed,
        "unknown": report.unknown,
        "status": report.status,
        "loop_lag_p50_ms": round(statistics.median(lags) * 1000, 2) if lags else 0.0,
        "loop_lag_p99_ms": round(lags[int(len(lags) * 0.99)] * 1000, 2) if lags else 0.0,
    }


async def client_ceiling(requests: int = 3000, connections: int = 32) -> float:
    """Bare httpx POSTs per second to the same fake server: this machine's ceiling, for scale."""
    import httpx

    async with FakeServer(1e9, []) as fake:
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(limits=limits) as client:
            gate = asyncio.Semaphore(connections)
            url = f"{fake.base_url}{TOKEN}/sendMessage"

            async def one(i: int) -> None:
                async with gate:
                    response = await client.post(url, data={"chat_id": str(i), "text": "x"})
                    response.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(requests)))
            return requests / (time.perf_counter() - started)


async def crash_run(settings: Settings, recipients: int, kills: int) -> dict[str, Any]:
    rate, limit = 250.0, 300.0
    storage = await Storage.open(settings)
    rng = random.Random(SEED)
    try:
        sessions = storage.session_factory
        chats = await add_subscribers(sessions, recipients, first=20_000_000)
        async with FakeServer(limit, []) as fake:
            opts = options(rate=rate)
            service = BroadcastService(sessions, opts, {"telegram": _sender(fake, opts)})
            run_id = await service.create_announcement("Thử tắt đột ngột", "bench")
            await service.close()
            env = dict(os.environ)
            env.update(
                {
                    "DATABASE_URL": settings.database_url,
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": fake.base_url,
                    "TELEGRAM_BROADCAST_RATE": str(rate),
                    "TELEGRAM_PAID_BROADCAST": "true",
                    "QUIET_HOURS_START": "00:00",
                    "QUIET_HOURS_END": "00:00",
                    "KNOWLEDGE_DIR": str(settings.knowledge_dir),
                }
            )
            if settings.database_schema:
                env["DATABASE_SCHEMA"] = settings.database_schema
            in_flight = []
            for _ in range(kills):
                target = (await fake.stats())["accepted"] + rng.randint(100, recipients // 4)
                process = await _cli(env, "broadcast", "resume")
                await _until_accepted(fake, target)
                await asyncio.sleep(rng.random() * 0.05)
                process.kill()
                await process.wait()
                async with sessions() as session:
                    in_flight.append(
                        int(
                            await session.scalar(
                                select(func.count()).where(
                                    DeliveryRow.run_id == run_id, DeliveryRow.status == "sending"
                                )
                            )
                            or 0
                        )
                    )
            final = await _cli(env, "broadcast", "resume")
            await final.wait()
            server = await fake.stats()
        async with sessions() as session:
            rows = dict(
                (
                    await session.execute(
                        select(DeliveryRow.status, func.count())
                        .where(DeliveryRow.run_id == run_id)
                        .group_by(DeliveryRow.status)
                    )
                ).all()
            )
    finally:
        await storage.close()
    return {
        "recipients": len(chats),
        "kills": kills,
        "in_flight_at_kills": in_flight,
        "unknown": rows.get("unknown", 0),
        "sent": rows.get("sent", 0),
        "accepted_by_server": server["accepted"],
        "duplicates": server["duplicates"],
        "final_exit_code": final.returncode,
    }


async def _until_accepted(fake: FakeServer, target: int) -> None:
    """Poll the server process (no shared event to wait on across processes)."""
    for _ in range(100_000):
        if (await fake.stats())["accepted"] >= target:
            return
        await asyncio.sleep(0.02)


def _sender(fake: FakeServer, opts: Any) -> TelegramSender:
    return TelegramSender(TOKEN, fake.base_url, pool_size=opts.max_in_flight + 2)


async def _cli(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def fresh_database(base: str | None, scratch: Path, name: str) -> Settings:
    if base is None:
        return settings_for(f"sqlite:///{scratch / name}.db", None)
    import asyncpg

    schema = f"bench_{name}_{os.getpid()}"
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    return settings_for(base, schema)


def show(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}")
    for key, value in figures.items():
        if isinstance(value, float):
            value = f"{value:.3f}" if key.endswith("share") else f"{value:,.2f}"
        print(f"  {key:>20}: {value}")


async def main(args: argparse.Namespace) -> None:
    base = os.environ.get("DATABASE_URL") if args.postgres else None
    size = 2_000 if args.quick else 10_000
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        db = "PostgreSQL" if base else "SQLite"
        print(f"Broadcast bench on {db}, {os.cpu_count()} CPUs (fake server in its own process)")
        if not args.only_default:
            scaled = await fresh_database(base, scratch, "scaled")
            figures = await one_run(scaled, size, 250, 300, 0.05)
            show(f"1a. {size:,} subscribers, 5% blocked, time-scaled: 250/s, limit 300/s", figures)
        sample = args.default_sample or (300 if args.quick else 1_500)
        default = await fresh_database(base, scratch, "default")
        figures = await one_run(default, sample, 25, 30, 0.05)
        show(f"1b. default rate, {sample:,}-recipient sample: 25/s, Telegram's 30/s", figures)
        if args.only_default:
            return
        print(
            f"\n   this machine's ceiling, bare httpx to the fake: {await client_ceiling():.0f}/s"
        )
        best: dict[str, Any] = {}
        for rate in (300.0, 500.0, 800.0, 1000.0):
            figures = await one_run(
                await fresh_database(base, scratch, f"paid{int(rate)}"), size // 2, rate, 1000, 0.0
            )
            show(f"2. paid-like: configured {rate:.0f}/s, fake limit 1,000/s", figures)
            if figures["429s"] == 0 and figures["achieved"] > best.get("achieved", 0):
                best = figures
        if best:
            print(f"\n   highest sustained rate with 0 429s: {best['achieved']:.0f} msg/s")
        crash = await crash_run(await fresh_database(base, scratch, "crash"), 2_000, 3)
        show("3. kill -9 three times in a 2,000-recipient run, then resume", crash)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument(
        "--default-sample",
        type=int,
        default=0,
        help="recipients for the 25/s run (10000 takes about 7 minutes)",
    )
    parser.add_argument("--only-default", action="store_true", help="run section 1b only")
    parser.add_argument(
        "--postgres", action="store_true", help="use DATABASE_URL (PostgreSQL) instead of SQLite"
    )
    asyncio.run(main(parser.parse_args()))
