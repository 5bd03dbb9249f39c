"""Probe: kill -9 the bot during a burst of questions, restart it, count what citizens got.

    .venv/bin/python bench/probe_kill.py [--mode polling|webhook|both] [--questions 500]
        [--kill-after 100] [--database-url postgresql://postgres@127.0.0.1:5432/test]

One question per citizen, all queued at once; the bot is killed (SIGKILL) the moment the fake
Bot API has delivered ``--kill-after`` answers, then started again and left to finish. Printed:
questions Telegram considers handed over (offset passed / webhook 200) but never answered
("lost"), questions answered twice, and conversation log rows of citizens who got no answer
("logged, not sent"). Figures only; never pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from probe_common import (
    FIRST_USER,
    SECRET,
    BotProcess,
    CountingFake,
    bot_env,
    drop_schema,
    pg_schema,
    query,
    questions,
    quiet,
    until,
    webhook_env,
)

from bot.core.texts import ASK_AGAIN_AFTER_RESTART


async def probe(mode: str, args: argparse.Namespace) -> None:
    texts = questions()
    fake = CountingFake()
    await fake.start()
    schema = None
    workdir = Path(tempfile.mkdtemp(prefix="probe-kill-"))
    url = args.database_url or f"sqlite:///{workdir / 'probe.db'}"
    if args.database_url:
        schema = await pg_schema(url, create=True)
    env = bot_env(fake, url, schema)
    if mode == "webhook":
        env |= webhook_env(SECRET)
    bot = BotProcess(env, workdir)
    try:
        await run(mode, fake, bot, texts, args)
        await report(mode, fake, bot, url, schema, args)
    finally:
        await bot.close()
        await fake.stop()
        if schema and args.database_url and not args.keep:
            await drop_schema(args.database_url, schema)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


async def run(
    mode: str, fake: CountingFake, bot: BotProcess, texts: list[str], args: argparse.Namespace
) -> None:
    killed = asyncio.Event()

    def on_sent(_message: object) -> None:
        if len(fake.sent) >= args.kill_after and not killed.is_set():
            bot.kill()
            killed.set()

    fake.on_sent = on_sent
    await bot.start()
    if not await until(lambda: fake.started() > 0, 60):
        raise SystemExit(f"the bot did not start; see {bot.workdir}/bot1.log")
    for index in range(args.questions):
        fake.text(FIRST_USER + index, texts[index % len(texts)])
    await asyncio.wait_for(killed.wait(), 120)
    await bot.wait()
    fake.on_sent = None
    fake.acked_at_kill = fake.acknowledged()  # type: ignore[attr-defined]
    fake.answered_at_kill = len(fake.sent)  # type: ignore[attr-defined]
    before = fake.started()
    await bot.start()
    if not await until(lambda: fake.started() > before, 60):
        raise SystemExit(f"the bot did not restart; see {bot.workdir}/bot2.log")
    await until(lambda: len(fake.acknowledged()) >= args.questions, 60)
    await quiet(fake, 3.0, 120)
    await bot.terminate()


async def report(
    mode: str,
    fake: CountingFake,
    bot: BotProcess,
    url: str,
    schema: str | None,
    args: argparse.Namespace,
) -> None:
    answers = Counter(m.chat_id for m in fake.sent if m.text != ASK_AGAIN_AFTER_RESTART)
    notices = Counter(m.chat_id for m in fake.sent if m.text == ASK_AGAIN_AFTER_RESTART)
    users = range(FIRST_USER, FIRST_USER + args.questions)
    acked = fake.acked_at_kill  # type: ignore[attr-defined]
    lost = [u for u in users if answers[u] == 0]
    # Update ids are handed out in the order the questions were queued, from 1.
    lost_acked = [u for u in lost if u - FIRST_USER + 1 in acked]
    twice = [u for u in users if answers[u] > 1]
    # Lost with no word at all: neither an answer nor the "ask again" notice.
    silent = [u for u in lost if notices[u] == 0]
    logged = await query(url, schema, "SELECT user_id FROM conversations")
    logged_users = [int(row[0]) for row in logged]
    not_sent = [u for u in logged_users if answers[u] == 0]
    states = await query(url, schema, "SELECT state, COUNT(*) FROM inbound_updates GROUP BY state")
    print(
        f"{mode:<8} {args.questions} questions, killed after {fake.answered_at_kill} answers "  # type: ignore[attr-defined]
        f"with {len(acked)} acknowledged to Telegram: lost {len(lost)} "
        f"({len(lost_acked)} of them acknowledged before the kill; {len(lost) - len(silent)} "
        f"told to ask again, {len(silent)} silent), answered twice "
        f"{len(twice)}, logged but not sent {len(not_sent)}, logged {len(logged_users)} of "
        f"{sum(1 for u in users if answers[u])} answered"
        + (f"; journal states {dict(sorted(states))}" if states else "")
        + (f" (logs in {bot.workdir})" if args.keep else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("polling", "webhook", "both"), default="both")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--kill-after", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the bot's logs and database")
    args = parser.parse_args()
    modes = ("polling", "webhook") if args.mode == "both" else (args.mode,)
    for mode in modes:
        asyncio.run(probe(mode, args))


if __name__ == "__main__":
    main()
