"""A run targets the subscribers of every channel that has a sender, each at its own pace and
under its own length rule; broadcast code names no channel."""

from __future__ import annotations

import pytest

from bot.broadcast.senders import Pace
from bot.broadcast.service import BroadcastInputError, BroadcastService
from bot.channels.telegram.broadcast import TelegramSender
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import MemorySender, ShiftedClock, add_subscribers, options


class Plain(MemorySender):
    """A channel that counts characters (an emoji is one)."""

    def length(self, text: str) -> int:
        return len(text)


async def test_a_run_reaches_every_channel_each_at_its_own_pace(db: Db) -> None:
    sessions = db.sessions
    tele = await add_subscribers(sessions, 5, first=1000, channel="telegram")
    zalo = await add_subscribers(sessions, 3, first=5000, channel="zalo")
    clock = ShiftedClock()
    fast = MemorySender(clock, channel="telegram", max_text=4096)
    slow = MemorySender(clock, channel="zalo", max_text=2000)
    slow.pace = Pace(rate=2.0, burst=1.0, per_chat_interval=3.0, max_in_flight=1)
    service = BroadcastService(
        sessions, options(rate=200.0), {"telegram": fast, "zalo": slow}, clock=clock
    )
    await service.start()
    try:
        pacers = service._pacers
        assert pacers["zalo"].bucket.rate == 2.0 and pacers["zalo"].max_in_flight == 1
        assert pacers["zalo"].spacing.interval == 3.0
        assert pacers["telegram"].bucket.rate == 200.0  # no pace of its own: the default
        run_id = await service.create_announcement("Thông báo chung", "web:lan")
        report = await service.deliver(run_id)
    finally:
        await service.close()
    assert {chat for chat, _, _ in fast.sent} == set(tele)
    assert {chat for chat, _, _ in slow.sent} == set(zalo)
    assert report.sent == 8 and report.status == "finished"


@pytest.mark.parametrize(("channel", "limit"), [("zalo", 2000), ("web", 300)])
def test_each_sender_measures_its_own_length(channel: str, limit: int) -> None:
    sender = Plain(None, channel=channel, max_text=limit)
    service = BroadcastService(None, options(), {channel: sender})  # type: ignore[arg-type]
    fits = "a" * (limit - 150)
    assert service.preview(fits)
    with pytest.raises(BroadcastInputError, match=channel.capitalize()):
        service.preview("😀" * limit)


def test_telegram_counts_utf16_units() -> None:
    assert TelegramSender.length("😀a") == 3
    assert TelegramSender.max_text == 4096
