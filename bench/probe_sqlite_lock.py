"""Probe: another process holds SQLite's write lock; how long do citizens wait for answers?

    .venv/bin/python bench/probe_sqlite_lock.py [--questions 20] [--hold 20]

The bot (``python run_bot.py``, SQLite, polling) answers one warm-up question; then this script
opens the database with Python's sqlite3 module and keeps ``BEGIN IMMEDIATE`` open for
``--hold`` seconds, as a staff member's ``sqlite3`` shell inside a transaction would, while
``--questions`` new citizens ask one question each. Printed: how long answers waited, how many
arrived while the lock was held, and how many conversation rows exist afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from probe_common import FIRST_USER, BotProcess, CountingFake, bot_env, query, questions, until


async def probe(args: argparse.Namespace) -> None:
    texts = questions()
    fake = CountingFake()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "probe.db"
        url = f"sqlite:///{path}"
        bot = BotProcess(bot_env(fake, url, None), workdir)
        try:
            await bot.start()
            if not await until(lambda: fake.get_updates_calls > 0, 60):
                raise SystemExit(f"the bot did not start; see {workdir}/bot1.log")
            fake.text(FIRST_USER - 1, "xin chào")
            await until(lambda: len(fake.sent) >= 1, 30)
            await asyncio.sleep(1.0)  # the warm-up's log row is written

            shell = sqlite3.connect(path, isolation_level=None)
            shell.execute("BEGIN IMMEDIATE")
            locked_at = time.monotonic()
            asked: dict[int, float] = {}
            answered: dict[int, float] = {}

            def on_sent(message: object) -> None:
                chat = getattr(message, "chat_id", 0)
                if chat in asked and chat not in answered:
                    answered[chat] = time.monotonic()

            fake.on_sent = on_sent
            for index in range(args.questions):
                user = FIRST_USER + index
                asked[user] = time.monotonic()
                fake.text(user, texts[index % len(texts)])
            await until(lambda: len(answered) == len(asked), args.hold)
            remaining = args.hold - (time.monotonic() - locked_at)
            if remaining > 0:
                await asyncio.sleep(remaining)
            during = sum(1 for at in answered.values() if at - locked_at < args.hold)
            logged_during = shell.execute(
                "SELECT COUNT(*) FROM conversations WHERE CAST(user_id AS INTEGER) >= ?",
                (FIRST_USER,),
            ).fetchone()[0]
            shell.execute("ROLLBACK")
            shell.close()
            released = time.monotonic()
            await until(lambda: len(answered) == len(asked), 60)
            await bot.terminate()
            rows = await query(
                url, None, f"SELECT COUNT(*) FROM conversations WHERE user_id >= '{FIRST_USER}'"
            )
        finally:
            await bot.close()
            await fake.stop()
    waits = sorted(answered[u] - asked[u] for u in answered)
    after = [answered[u] - released for u in answered if answered[u] >= released]
    print(
        f"{args.questions} questions while another connection held the write lock for "
        f"{args.hold:.0f} s: {during} answered while it was held, {len(answered)} in all; "
        f"waited p50 {statistics.median(waits) if waits else float('nan'):.2f} s, "
        f"max {max(waits) if waits else float('nan'):.2f} s"
        + (f" ({len(after)} only after the release)" if after else "")
        + f"; conversation rows while locked {logged_during}, after the release "
        f"{rows[0][0] if rows else 'n/a'} of {len(answered)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--hold", type=float, default=20.0)
    asyncio.run(probe(parser.parse_args()))


if __name__ == "__main__":
    main()
