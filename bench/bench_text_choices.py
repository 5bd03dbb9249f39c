"""What the shared numbered-choices memory costs a text channel per message; prints figures.

For each store (this process's memory; SQLite; PostgreSQL when TEST_DATABASE_URL is set):
p50 / p99 of ``TextChoices.render`` (remember a reply's choices) and of ``incoming`` for a
typed "2" (read them back) and for an ordinary question (no read at all), over many chats,
side by side with rendering alone (``numbered``: the baseline without any memory).

    .venv/bin/python bench/bench_text_choices.py [--messages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.text_choices import TextChoices, numbered  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.chat_state import MemoryChatState  # noqa: E402
from bot.core.messages import Choice, Outcome, Reply, with_feedback  # noqa: E402
from bot.core.ports import ChatState  # noqa: E402

REPLY = with_feedback(
    Reply(
        "Tôi quên mật khẩu dịch vụ công?\n\nBạn chọn “Quên mật khẩu” ở trang đăng nhập…",
        Outcome.ANSWERED,
        choices=tuple(Choice(f"Câu liên quan {i}", f"faq:account.related_{i}") for i in range(3)),
        faq_id="account.forgot_password",
        ask_feedback=True,
    )
)


async def timed(count: int, step: Callable[[int], Awaitable[object]]) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``count`` sequential calls."""
    samples = []
    for index in range(count):
        start = time.perf_counter()
        await step(index)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def measure(name: str, state: ChatState, count: int) -> None:
    choices = TextChoices("bench", state)
    chats = 500

    async def baseline(i: int) -> object:
        return numbered(REPLY)

    async def render(i: int) -> object:
        return await choices.render(f"chat-{i % chats}", REPLY)

    async def pick(i: int) -> object:
        message = await choices.incoming("u", f"chat-{i % chats}", "2")
        assert message.action == "faq:account.related_1"
        return message

    async def question(i: int) -> object:
        return await choices.incoming("u", f"chat-{i % chats}", "quên mật khẩu dịch vụ công")

    rows = [
        ("numbered() only (baseline)", await timed(count, baseline)),
        ("render + remember", await timed(count, render)),
        ("typed '2' → action", await timed(count, pick)),
        ("typed question (no read)", await timed(count, question)),
    ]
    for label, (p50, p99) in rows:
        print(f"{name:<12} {label:<28} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    from bot.storage import Storage

    await measure("memory", MemoryChatState(), args.messages)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.db")  # type: ignore[call-arg]
        storage = await Storage.open(settings)
        try:
            await measure("sqlite", storage.chat_state, args.messages)
        finally:
            await storage.close()
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        schema = f"bench_choices_{os.getpid()}"
        import asyncpg

        conn = await asyncpg.connect(url)
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            settings = Settings(_env_file=None, database_url=url, database_schema=schema)  # type: ignore[call-arg]
            storage = await Storage.open(settings)
            try:
                await measure("postgresql", storage.chat_state, args.messages)
            finally:
                await storage.close()
        finally:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            await conn.close()
    else:
        print("postgresql   skipped (set TEST_DATABASE_URL)")


if __name__ == "__main__":
    asyncio.run(main())
