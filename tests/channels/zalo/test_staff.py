"""Staff tools typed in a private Zalo chat, against the fake Zalo Bot API."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator

import pytest

from bot.channels.zalo import ZaloChannel
from bot.channels.zalo import texts as zalo_texts
from bot.core.chat_state import MemoryChatState
from bot.core.staff import InboxView, PeriodStats, Reloaded
from bot.runtime import Runtime, channel_context
from bot.staff.service import StaffService
from tests.channels.zalo.conftest import CITIZEN, RunningZalo, make_settings, serving
from tests.channels.zalo.test_conversation import ask
from tests.fakes.ports import FakeAnnouncer, MemoryStaffBackend
from tests.fakes.zalo_server import FakeZalo

STAFF = "6999"


@pytest.fixture
def backend() -> MemoryStaffBackend:
    return MemoryStaffBackend(
        items=[
            InboxView(11, "no_match", "làm sao đổi tên trên vneid", 3, "account.update_info"),
            InboxView(12, "negative_feedback", "hướng dẫn thiếu bước", 1, None),
        ],
        periods={1: PeriodStats(questions=5, answered=4), 7: PeriodStats(questions=40)},
    )


@pytest.fixture
def announcer() -> FakeAnnouncer:
    return FakeAnnouncer()


@pytest.fixture
async def bot(
    fake: FakeZalo, runtime: Runtime, backend: MemoryStaffBackend, announcer: FakeAnnouncer
) -> AsyncIterator[RunningZalo]:
    async def reload() -> Reloaded:
        return Reloaded(7, 120)

    desk = StaffService(
        {f"zalo:{STAFF}"},
        backend=backend,
        reload=reload,
        state=MemoryChatState(),
        announcer=announcer,
    )
    context = dataclasses.replace(channel_context(runtime, asyncio.Event()), staff=desk)
    channel = ZaloChannel.from_settings(make_settings(zalo_api_base_url=fake.base_url), context)
    channel.long_poll = 2.0
    await channel.start()
    await serving(channel)
    running = RunningZalo(channel, fake, None)
    yield running
    await running.close()


async def say(bot: RunningZalo, text: str, user: str = STAFF) -> str:
    return await ask(bot, text, user)


async def test_stats_inbox_promote_dismiss_reload(
    bot: RunningZalo, backend: MemoryStaffBackend
) -> None:
    stats = await say(bot, "/stats")
    assert stats.startswith("📊 Thống kê") and "5 câu hỏi; trả lời được 4" in stats
    inbox = await say(bot, "/inbox")
    assert "#11 [chưa có câu trả lời] ×3: làm sao đổi tên trên vneid" in inbox
    assert "→ gợi ý: account.update_info" in inbox and zalo_texts.STAFF_INBOX_HOW in inbox
    assert await say(bot, "/duyet 12") == zalo_texts.STAFF_NO_SUGGESTION.format(id=12)
    assert await say(bot, "/duyet #11") == zalo_texts.STAFF_PROMOTED.format(
        id=11, faq_id="account.update_info"
    )
    assert backend.promoted == [(11, "account.update_info", f"zalo:{STAFF}")]
    assert await say(bot, "/bo 12") == zalo_texts.STAFF_DISMISSED.format(id=12)
    assert await say(bot, "/bo 12") == zalo_texts.STAFF_GONE.format(id=12)
    assert await say(bot, "/duyet") == zalo_texts.STAFF_ITEM_USAGE
    assert await say(bot, "/reload") == zalo_texts.STAFF_RELOADED.format(version=7, entries=120)


async def test_broadcast_is_confirmed_by_typing(bot: RunningZalo, announcer: FakeAnnouncer) -> None:
    assert await say(bot, "/broadcast") == zalo_texts.STAFF_BROADCAST_USAGE
    preview = await say(bot, "/broadcast Cổng dịch vụ công bảo trì tối nay.")
    assert "📢 Cổng dịch vụ công bảo trì tối nay." in preview and "Gõ GỬI" in preview
    assert announcer.created == []
    assert await say(bot, "gửi") == zalo_texts.STAFF_BROADCAST_STARTED.format(run_id=1)
    assert await say(bot, "GỬI") == zalo_texts.STAFF_BROADCAST_NOTHING  # never twice
    assert announcer.created == [("Cổng dịch vụ công bảo trì tối nay.", f"zalo:{STAFF}")]
    assert announcer.delivering == [1]
    await say(bot, "/broadcast Lần hai")
    assert await say(bot, "HUY") == zalo_texts.STAFF_BROADCAST_CANCELLED
    assert announcer.created[1:] == []
    invalid = await say(bot, "/broadcast " + "x" * 150)
    assert invalid == zalo_texts.STAFF_BROADCAST_INVALID.format(reason="quá dài")


async def test_citizens_do_not_get_staff_tools(
    bot: RunningZalo, backend: MemoryStaffBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "bot.channels.zalo.staff")
    reply = await say(bot, "/inbox", user=CITIZEN)
    assert f"zalo user {CITIZEN} is not staff and tried /inbox" in caplog.text
    assert "#11" not in reply and "Hộp câu hỏi" not in reply
    assert await say(bot, "gửi", user=CITIZEN) != zalo_texts.STAFF_BROADCAST_NOTHING
    assert backend.promoted == []
