"""Bad input and failures end to end: none of them stops the bot."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator

import pytest

from bot.channels.flood import FloodControl, FloodGuard
from bot.channels.telegram import texts as tg_texts
from bot.core import texts
from bot.core.assistant import Assistant
from bot.core.knowledge import Category, FaqEntry, KnowledgeBase, with_status
from bot.core.messages import IncomingMessage, Reply
from bot.runtime import Runtime, make_runtime
from tests.channels.telegram.conftest import CITIZEN, RunningBot, make_settings, start_bot
from tests.fakes.ports import MemoryPorts
from tests.fakes.telegram_server import FakeTelegram, private_chat, user

OTHER = 777


def tricky_kb() -> KnowledgeBase:
    """Answers full of characters HTML cares about, and one too long for a single message."""
    paragraph = 'Nhập mã <OTP> & bấm "Gửi" — đừng gửi mã cho ai. ' * 40
    return KnowledgeBase.build(
        [Category("account", "Tài khoản", "👤")],
        [
            FaqEntry(
                id="account.otp",
                category="account",
                question="Không nhận được mã <OTP> & phải làm gì?",
                alternates=("khong nhan duoc ma otp",),
                answer="\n\n".join([paragraph] * 3),
                related=("account.locked",),
            ),
            FaqEntry(
                id="account.locked",
                category="account",
                question="Tài khoản bị khóa thì làm sao?",
                alternates=("tai khoan bi khoa",),
                answer="Chờ 30 phút rồi thử lại, hoặc gọi tổng đài.",
            ),
        ],
    )


@pytest.fixture
async def tricky(fake: FakeTelegram) -> AsyncIterator[tuple[RunningBot, Runtime]]:
    runtime = make_runtime(make_settings(), tricky_kb(), ports=MemoryPorts().as_ports())
    bot = await start_bot(fake, runtime)
    yield bot, runtime
    await bot.close()


async def test_long_escaped_answer_is_split_and_a_429_is_waited_out(
    tricky: tuple[RunningBot, Runtime],
) -> None:
    bot, _ = tricky
    fake = bot.fake
    fake.chat_rate_limit = 1  # the second chunk in the same second gets a 429
    fake.text(CITIZEN, "khong nhan duoc ma otp")
    first, second = await fake.replies(CITIZEN, 2)
    assert ("sendMessage", 429, "Too Many Requests: retry after 1") in fake.errors
    assert first.raw.startswith("<b>Không nhận được mã &lt;OTP&gt; &amp; phải làm gì?</b>")
    assert 'Nhập mã <OTP> & bấm "Gửi"' in first.text
    assert first.reply_markup is None and second.reply_markup is not None
    assert [e for e in fake.errors if e[1] != 429] == []


async def test_a_button_whose_entry_was_disabled_gets_a_polite_answer(
    tricky: tuple[RunningBot, Runtime],
) -> None:
    bot, runtime = tricky
    fake = bot.fake
    fake.text(CITIZEN, "khong nhan duoc ma otp")
    _, answer = await fake.replies(CITIZEN, 2)
    kb = runtime.live.current.kb
    disabled = [with_status(e, "disabled") if e.id == "account.locked" else e for e in kb.entries]
    await runtime.install(KnowledgeBase.build(kb.categories, disabled), version=2)
    mark = len(fake.sent)
    fake.press(CITIZEN, answer, answer.data("Tài khoản bị khóa"))
    (stale,) = await fake.replies(CITIZEN, since=mark)
    assert stale.text == texts.STALE
    assert stale.buttons == [(texts.MENU_BUTTON, "menu")]


async def test_unknown_and_old_callback_data(running: RunningBot) -> None:
    fake = running.fake
    fake.text(CITIZEN, "/menu")
    (menu,) = await fake.replies(CITIZEN)
    for data in ("faq:account.gone_forever", "xyz", "cat:nope"):
        mark = len(fake.sent)
        fake.press(CITIZEN, menu, data)
        (reply,) = await fake.replies(CITIZEN, since=mark)
        assert reply.text == texts.STALE
    await fake.wait_for(lambda: None not in fake.callback_answers.values())


async def test_flood_gets_one_notice_and_other_users_are_unaffected(running: RunningBot) -> None:
    fake = running.fake
    # Time stands still: the 12 messages fall in one window however slow the machine is.
    running.service.handlers.flood = FloodControl(FloodGuard(8, 10.0, clock=lambda: 1000.0))
    for index in range(12):
        fake.text(CITIZEN, f"câu hỏi số {index} về tài khoản dịch vụ công")
    last = fake.text(OTHER, "quen mat khau dich vu cong")
    (other,) = await fake.replies(OTHER)
    assert other.text.startswith("Tôi quên mật khẩu")
    await running.settle(last)
    replies = fake.to(CITIZEN)
    assert len(replies) == 9
    assert [r.text for r in replies].count(tg_texts.SLOW_DOWN) == 1
    assert replies[-1].text == tg_texts.SLOW_DOWN


async def test_missing_fields_edits_and_unknown_updates(
    running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = running.fake
    fake.push({"message": {"message_id": 1, "date": 0, "chat": private_chat(8), "text": "hi"}})
    fake.push({"message": {"message_id": 2, "date": 0, "chat": private_chat(8), "from": user(8)}})
    fake.push({"callback_query": {"id": "q-empty", "from": user(8), "chat_instance": "c"}})
    fake.callback_answers["q-empty"] = None
    fake.push({"some_future_update": {"x": 1}})
    channel = {"id": -1003, "type": "channel", "title": "Kênh"}
    fake.push({"channel_post": {"message_id": 3, "date": 0, "chat": channel, "text": "tin"}})
    fake.push(
        {
            "edited_channel_post": {
                "message_id": 3,
                "date": 0,
                "edit_date": 1,
                "chat": channel,
                "text": "tin mới",
            }
        }
    )
    # A button on a message Telegram no longer shows us: the answer goes to the private chat.
    fake.callback_answers["q-nomsg"] = None
    fake.push(
        {
            "callback_query": {
                "id": "q-nomsg",
                "from": user(9),
                "chat_instance": "c",
                "data": "faq:account.register",
            }
        }
    )
    edited = fake.message(
        CITIZEN, text="quen mat khau dich vu cong", kind="edited_message", edit_date=1
    )
    (answer,) = await fake.replies(CITIZEN)
    assert answer.text.startswith("Tôi quên mật khẩu")
    (registered,) = await fake.replies(9)
    assert registered.text.startswith("Làm thế nào để đăng ký tài khoản")
    await running.settle(edited)
    assert {m.chat_id for m in fake.sent} == {CITIZEN, 9}
    assert None not in fake.callback_answers.values()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum("channel post" in r.getMessage() for r in caplog.records) == 2


async def test_a_user_who_blocks_the_bot_mid_answer(
    running: RunningBot,
    runtime: Runtime,
    memory_ports: MemoryPorts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = running.fake
    fake.text(CITIZEN, "/subscribe")
    await fake.replies(CITIZEN)
    inner = runtime.assistant

    class BlockingAssistant:
        async def handle(self, message: IncomingMessage) -> Reply:
            reply = await inner.handle(message)
            if message.user_id == str(CITIZEN):
                fake.block(CITIZEN, notify=False)  # while we were answering
            return reply

    running.service.handlers.handle = BlockingAssistant().handle
    mark = len(fake.sent)
    fake.text(CITIZEN, "quen mat khau dich vu cong")
    fake.text(OTHER, "quen mat khau dich vu cong")
    (other,) = await fake.replies(OTHER, since=mark)
    assert other.text.startswith("Tôi quên mật khẩu")
    # The typing indicator or the answer itself meets the block, whichever goes out first.
    await fake.wait_for(lambda: any(code == 403 for _, code, _ in fake.errors))
    assert [m for m in fake.sent[mark:] if m.chat_id == CITIZEN] == []
    await fake.wait_for(lambda: memory_ports.subscribers == {})
    # Telegram also tells us directly; that is handled quietly too.
    fake.block(OTHER)
    last = fake.text(CITIZEN, "còn đó không")
    await running.settle(last)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_stop_finishes_the_answer_in_flight(runtime: Runtime, fake: FakeTelegram) -> None:
    entered, gate = asyncio.Event(), asyncio.Event()
    inner = runtime.assistant

    class SlowAssistant(Assistant):
        async def handle(self, message: IncomingMessage) -> Reply:
            entered.set()
            await gate.wait()
            return await inner.handle(message)

    slow = dataclasses.replace(runtime, assistant=SlowAssistant(inner.responder, inner.ports))
    bot = await start_bot(fake, slow)
    fake.text(CITIZEN, "quen mat khau dich vu cong")
    await entered.wait()
    bot.stop.set()
    for _ in range(5):
        await asyncio.sleep(0)
    gate.set()
    assert bot.task is not None
    await bot.task  # returns normally
    (answer,) = fake.to(CITIZEN)
    assert answer.text.startswith("Tôi quên mật khẩu")
