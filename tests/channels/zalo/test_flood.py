"""Flood control on Zalo (bot.channels.flood, shared with Telegram): a user who floods gets one
notice and silence, everyone else is answered, and the window is one across the processes that
share the database."""

from __future__ import annotations

import asyncio

from bot.channels.flood import SLOW_DOWN, FloodControl, FloodGuard
from bot.runtime import Runtime
from bot.storage import Storage
from tests.channels.zalo.conftest import CITIZEN, RunningZalo, start_zalo
from tests.fakes.zalo_server import FakeZalo
from tests.storage.backends import Backend

OTHER = "6002"
QUESTION = "/lienhe"  # answered in one message
ANSWER = "Liên hệ hỗ trợ dịch vụ công"


async def test_a_flooding_user_is_told_once_and_others_are_answered(polling: RunningZalo) -> None:
    fake = polling.fake
    # Time stands still: the 12 messages fall in one window however slow the machine is.
    polling.channel.answers.flood = FloodControl(FloodGuard(8, 10.0, clock=lambda: 1000.0))
    for index in range(12):
        fake.text(CITIZEN, QUESTION, message_id=f"m{index}")
    fake.text(OTHER, QUESTION)
    (other,) = await fake.replies(OTHER)
    assert ANSWER in other.text
    await polling.idle()  # polled in order: the citizen's 12 are all in hand by now
    replies = [m.text for m in fake.to(CITIZEN)]
    assert len(replies) == 9  # 8 answers, then the notice; the rest ignored
    assert replies.count(SLOW_DOWN) == 1
    assert replies[-1] == SLOW_DOWN


async def settle(bot: RunningZalo) -> None:
    """The update answered and its share of the flood window counted (behind the answer)."""
    await bot.channel.dispatcher.idle()
    await bot.channel.dispatcher.bookkeeping.drain()


async def test_the_flood_window_is_shared_by_processes_through_the_database(
    fake: FakeZalo, runtime: Runtime, db: Backend
) -> None:
    # A window far longer than the test: the count decides, never the machine's speed.
    limits = {"flood_max_messages": 3, "flood_window_seconds": 3600.0}
    stores = [await Storage.open(db.settings(**limits)) for _ in range(2)]
    running: list[RunningZalo] = []
    try:
        for store in stores:
            bot = await start_zalo(fake, runtime, webhook=True, store=store, **limits)
            assert isinstance(bot.channel.answers.flood, FloodControl)
            assert bot.channel.answers.flood.shared is store.flood
            running.append(bot)
        outcomes = []
        for index, bot in enumerate([*running] * 3 + [running[0]]):
            mark = len(fake.sent)
            update = fake.event(CITIZEN, text=QUESTION, message_id=f"m{index}")
            assert await fake.deliver(update, url=bot.url) == 200
            await settle(bot)
            said = [m.text for m in fake.to(CITIZEN, mark)]
            outcomes.append("silent" if not said else "notice" if said == [SLOW_DOWN] else "answer")
        # Each process alone saw at most 4 messages; together they passed the limit of 3: the
        # shared window mutes the citizen on both, with one notice in all.
        assert outcomes == ["answer"] * 5 + ["notice", "silent"]
        mark = len(fake.sent)
        assert await fake.deliver(fake.event(OTHER, text=QUESTION), url=running[1].url) == 200
        await settle(running[1])
        (other,) = fake.to(OTHER, mark)
        assert ANSWER in other.text
    finally:
        await asyncio.gather(*(bot.close() for bot in running))
        for store in stores:
            await store.close()
