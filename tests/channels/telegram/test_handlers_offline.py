"""Handlers offline: Update.de_json → process_update, every Bot API call recorded, no network."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ExtBot

from bot.channels.telegram import texts as tg_texts
from bot.channels.telegram.app import install
from bot.channels.telegram.handlers import TelegramHandlers
from bot.core import texts
from bot.core.staff import InboxView, PeriodStats
from bot.runtime import Runtime
from tests.channels.telegram.conftest import ADMIN_ID, CITIZEN, context_for, make_settings
from tests.fakes.ports import FakeAnnouncer, MemoryPorts, MemoryStaffBackend
from tests.fakes.telegram_offline import RecordingRequest
from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME, TOKEN, group_chat, private_chat, user

_ids = itertools.count(1)


@dataclass
class Offline:
    app: Application[Any, Any, Any, Any, Any, Any]
    request: RecordingRequest
    handlers: TelegramHandlers

    async def feed(self, payload: dict[str, Any]) -> None:
        update = Update.de_json({"update_id": next(_ids), **payload}, self.app.bot)
        await self.app.process_update(update)

    async def text(self, text: str, user_id: int = CITIZEN, **extra: Any) -> None:
        chat = extra.pop("chat", private_chat(user_id))
        kind = extra.pop("kind", "message")
        message = {
            "message_id": next(_ids),
            "date": 0,
            "chat": chat,
            "from": user(user_id),
            "text": text,
            **extra,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self.feed({kind: message})

    async def press(self, data: str, user_id: int = CITIZEN, **extra: Any) -> str:
        query_id = str(next(_ids))
        message = {
            "message_id": 77,
            "date": 0,
            "chat": private_chat(user_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
            "text": "…",
            **extra,
        }
        await self.feed(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user(user_id),
                    "chat_instance": "c",
                    "data": data,
                    "message": message,
                }
            }
        )
        return query_id

    def sent_texts(self) -> list[str]:
        return [str(p["text"]) for p in self.request.called("sendMessage")]


@pytest.fixture
async def offline(runtime: Runtime, staff: MemoryStaffBackend) -> AsyncIterator[Offline]:
    request = RecordingRequest()
    bot: ExtBot[None] = ExtBot(TOKEN, request=request, get_updates_request=RecordingRequest())
    app = ApplicationBuilder().bot(bot).updater(None).build()
    handlers = install(app, make_settings(), context_for(runtime, staff))
    async with app:
        yield Offline(app, request, handlers)


async def test_start_shows_typing_then_the_greeting_with_categories(offline: Offline) -> None:
    await offline.text("/start")
    assert offline.request.methods[-2:] == ["sendChatAction", "sendMessage"]
    (sent,) = offline.request.called("sendMessage")
    assert sent["parse_mode"] == "HTML"
    assert "Xin chào" in sent["text"]
    buttons = [row[0]["callback_data"] for row in sent["reply_markup"]["inline_keyboard"]]
    assert buttons[0] == "cat:account"
    assert sent["link_preview_options"] == {"is_disabled": True}


async def test_a_sticker_gets_a_request_to_type(offline: Offline) -> None:
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    await offline.feed(
        {
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": private_chat(CITIZEN),
                "from": user(CITIZEN),
                "sticker": sticker,
            }
        }
    )
    assert offline.sent_texts() == [texts.NON_TEXT]


async def test_groups_are_answered_only_when_mentioned(offline: Offline) -> None:
    group = group_chat(-1001)
    await offline.text("quen mat khau dich vu cong", chat=group)
    assert offline.request.called("sendMessage") == []
    await offline.text(
        f"@{BOT_USERNAME} quen mat khau dich vu cong",
        chat=group,
        entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
    )
    (sent,) = offline.request.called("sendMessage")
    assert sent["chat_id"] == -1001
    assert sent["reply_parameters"]["message_id"] > 0
    assert "quên mật khẩu" in sent["text"].lower()


async def test_edited_text_is_answered_but_live_locations_are_not(offline: Offline) -> None:
    await offline.text("quen mat khau dich vu cong", kind="edited_message", edit_date=1)
    assert len(offline.request.called("sendMessage")) == 1
    await offline.feed(
        {
            "edited_message": {
                "message_id": 9,
                "date": 0,
                "edit_date": 1,
                "chat": private_chat(CITIZEN),
                "from": user(CITIZEN),
                "location": {"latitude": 21.0, "longitude": 105.8},
            }
        }
    )
    assert len(offline.request.called("sendMessage")) == 1


async def test_channel_posts_and_senderless_messages_are_ignored_and_logged_once(
    offline: Offline, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bot.channels.telegram")
    channel = {"id": -1002, "type": "channel", "title": "Tin tức"}
    await offline.feed(
        {"channel_post": {"message_id": 1, "date": 0, "chat": channel, "text": "hi"}}
    )
    await offline.feed(
        {"message": {"message_id": 2, "date": 0, "chat": private_chat(5), "text": "x"}}
    )
    assert offline.request.called("sendMessage") == []
    assert sum("channel post" in r.message for r in caplog.records) == 1
    assert sum("without a human sender" in r.message for r in caplog.records) == 1


async def test_a_callback_is_always_answered_even_when_answering_fails(
    offline: Offline, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(message: object) -> None:
        raise RuntimeError("matcher exploded")

    monkeypatch.setattr(offline.handlers, "handle", broken)
    query_id = await offline.press("faq:account.register")
    (answer,) = offline.request.called("answerCallbackQuery")
    assert answer["callback_query_id"] == query_id
    assert offline.sent_texts() == [tg_texts.APOLOGY]
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"chat {CITIZEN}" in record.getMessage() and record.exc_info is not None


async def test_unknown_callback_data_gets_the_stale_answer(offline: Offline) -> None:
    await offline.press("zzz:nothing")
    assert offline.sent_texts() == [texts.STALE]
    assert len(offline.request.called("answerCallbackQuery")) == 1


async def test_category_tap_edits_the_menu_in_place(offline: Offline) -> None:
    await offline.press("cat:account")
    (edit,) = offline.request.called("editMessageText")
    assert edit["message_id"] == 77 and "Tài khoản" in edit["text"]
    assert offline.request.called("sendMessage") == []


async def test_a_vote_removes_the_vote_buttons_and_is_stored(
    offline: Offline, memory_ports: MemoryPorts
) -> None:
    markup = {
        "inline_keyboard": [
            [{"text": "Liên quan", "callback_data": "faq:account.locked"}],
            [
                {"text": "👍", "callback_data": "fb:1:account.register"},
                {"text": "👎", "callback_data": "fb:0:account.register"},
            ],
        ]
    }
    await offline.press("fb:0:account.register", reply_markup=markup)
    (change,) = offline.request.called("editMessageReplyMarkup")
    assert change["reply_markup"] == {
        "inline_keyboard": [[{"text": "Liên quan", "callback_data": "faq:account.locked"}]]
    }
    await offline.handlers.context.bookkeeping.drain()  # written behind the answer
    assert memory_ports.feedback[0]["helpful"] is False
    (sent,) = offline.request.called("sendMessage")
    assert "cmt:account.register" in str(sent["reply_markup"])


async def test_staff_commands_are_unknown_to_citizens_and_the_attempt_is_logged(
    offline: Offline, caplog: pytest.LogCaptureFixture, staff: MemoryStaffBackend
) -> None:
    caplog.set_level(logging.INFO, "bot.channels.telegram")
    staff.items = [InboxView(1, "no_match", "giá xăng", 3, None)]
    for command in ("/stats", "/inbox", "/reload"):
        await offline.text(command)
    assert offline.sent_texts() == [texts.UNKNOWN_COMMAND] * 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"user {CITIZEN} is not staff and tried /{c}" for c in ("stats", "inbox", "reload")
    ]
    await offline.press("adm:d:1")
    assert staff.dismissed == []


async def test_staff_stats_inbox_and_buttons(offline: Offline, staff: MemoryStaffBackend) -> None:
    staff.periods = {1: PeriodStats(4, 2, 1, 1, 1, 0), 7: PeriodStats(30, 20, 5, 5, 6, 2)}
    staff.items = [
        InboxView(11, "no_match", "<b>giá xăng</b> hôm nay", 3, None),
        InboxView(12, "ambiguous", "tk bị khóa", 2, "account.locked"),
    ]
    await offline.text("/stats", user_id=ADMIN_ID)
    stats = offline.sent_texts()[-1]
    assert "Hôm nay: 4 câu hỏi" in stats and "7 ngày: 30 câu hỏi" in stats
    await offline.text("/inbox", user_id=ADMIN_ID)
    inbox = offline.request.called("sendMessage")[-1]
    assert "&lt;b&gt;giá xăng&lt;/b&gt;" in inbox["text"]
    datas = [b["callback_data"] for row in inbox["reply_markup"]["inline_keyboard"] for b in row]
    assert datas == ["adm:d:11", "adm:p:12:account.locked", "adm:d:12"]
    await offline.press("adm:p:12:account.locked", user_id=ADMIN_ID)
    assert staff.promoted == [(12, "account.locked", f"telegram:{ADMIN_ID}")]
    await offline.press("adm:p:12:account.locked", user_id=ADMIN_ID)
    assert offline.sent_texts()[-1] == tg_texts.INBOX_GONE
    await offline.text("/reload", user_id=ADMIN_ID)
    assert offline.sent_texts()[-1].startswith("Đã tải lại kho câu hỏi")


async def test_blocking_the_bot_withdraws_the_subscription(
    offline: Offline, memory_ports: MemoryPorts
) -> None:
    await offline.text("/subscribe")
    assert ("telegram", str(CITIZEN)) in memory_ports.subscribers
    bot_member = {"user": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}}
    await offline.feed(
        {
            "my_chat_member": {
                "chat": private_chat(CITIZEN),
                "from": user(CITIZEN),
                "date": 0,
                "old_chat_member": {**bot_member, "status": "member"},
                "new_chat_member": {**bot_member, "status": "kicked", "until_date": 0},
            }
        }
    )
    assert memory_ports.subscribers == {}


async def test_blocked_mid_answer_is_not_an_error(
    offline: Offline, memory_ports: MemoryPorts, caplog: pytest.LogCaptureFixture
) -> None:
    await offline.text("/subscribe")
    offline.request.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await offline.text("quen mat khau dich vu cong")
    assert memory_ports.subscribers == {}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert tg_texts.APOLOGY not in offline.sent_texts()


async def test_html_refused_by_telegram_falls_back_to_plain_text(offline: Offline) -> None:
    offline.request.fail_next("sendMessage", 400, "Bad Request: can't parse entities: oops")
    await offline.text("quen mat khau dich vu cong")
    first, second = offline.request.called("sendMessage")
    assert first["parse_mode"] == "HTML" and "parse_mode" not in second
    assert "<b>" not in second["text"] and second["text"].startswith("Tôi quên mật khẩu")


@pytest.mark.parametrize("slow", [False, True])
async def test_typing_only_when_the_answer_is_slow(runtime: Runtime, slow: bool) -> None:
    # Fast: no answer takes the 60 s delay. Slow: the answer waits until "typing…" went out,
    # so it is slow by construction, on any machine.
    request = RecordingRequest()
    bot: ExtBot[None] = ExtBot(TOKEN, request=request, get_updates_request=RecordingRequest())
    app = ApplicationBuilder().bot(bot).updater(None).build()
    delay = 0.01 if slow else 60.0
    handlers = install(app, make_settings(telegram_typing_delay=delay), context_for(runtime))
    inner = handlers.handle

    class Answer:
        async def handle(self, message: Any) -> Any:
            for _ in range(1000 if slow else 0):  # a guard against hanging, not a timing
                if "sendChatAction" in request.methods:
                    break
                await asyncio.sleep(0.01)
            return await inner(message)

    handlers.handle = Answer().handle
    async with app:
        offline = Offline(app, request, handlers)
        await offline.text("quen mat khau dich vu cong")
    expected = ["sendChatAction", "sendMessage"] if slow else ["sendMessage"]
    assert [m for m in request.methods if m in ("sendChatAction", "sendMessage")] == expected


async def test_staff_commands_stay_out_of_groups(offline: Offline) -> None:
    await offline.text("/stats", user_id=ADMIN_ID, chat=group_chat(-5))
    assert offline.request.called("sendMessage") == []  # a group is not addressed by /stats
    await offline.text(f"/stats@{BOT_USERNAME}", user_id=ADMIN_ID, chat=group_chat(-5))
    assert offline.sent_texts() == [texts.UNKNOWN_COMMAND]


async def test_staff_buttons_act_only_in_the_private_chat(
    offline: Offline, staff: MemoryStaffBackend
) -> None:
    staff.items = [InboxView(11, "no_match", "giá xăng", 3, None)]
    query = await offline.press("adm:d:11", user_id=ADMIN_ID, chat=group_chat(-5))
    assert staff.dismissed == []
    [answer] = [
        a for a in offline.request.called("answerCallbackQuery") if a["callback_query_id"] == query
    ]
    assert answer["text"] == tg_texts.STAFF_PRIVATE_ONLY
    await offline.press("adm:d:11", user_id=ADMIN_ID)
    assert staff.dismissed == [(11, f"telegram:{ADMIN_ID}")]


async def test_edited_messages_never_run_commands(
    offline: Offline, staff: MemoryStaffBackend
) -> None:
    staff.periods = {1: PeriodStats(4, 2, 1, 1, 1, 0)}
    await offline.text("/stats", user_id=ADMIN_ID, kind="edited_message", edit_date=5)
    await offline.text("/start", kind="edited_message", edit_date=5)
    await offline.text("/subscribe", kind="edited_message", edit_date=5)
    assert offline.request.called("sendMessage") == []
    await offline.text("/stats", user_id=ADMIN_ID)
    assert "Hôm nay: 4 câu hỏi" in offline.sent_texts()[-1]


async def test_a_citizen_erases_their_data_with_two_taps(
    offline: Offline, memory_ports: MemoryPorts
) -> None:
    await offline.text("/subscribe")
    assert memory_ports.subscribers
    await offline.text("/xoadulieu")
    asked = offline.request.called("sendMessage")[-1]
    buttons = [b["callback_data"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["erase:yes", "erase:no"]
    await offline.press("erase:yes")
    assert offline.sent_texts()[-1] == texts.ERASED
    assert not memory_ports.subscribers


async def test_staff_broadcast_needs_a_preview_and_one_confirmation(
    offline: Offline, monkeypatch: pytest.MonkeyPatch
) -> None:
    announcer = FakeAnnouncer()
    monkeypatch.setattr(offline.handlers.staff.desk, "announcer", announcer)
    await offline.text("/broadcast", user_id=ADMIN_ID)
    assert offline.sent_texts()[-1] == tg_texts.BROADCAST_USAGE
    await offline.text("/broadcast " + "x" * 200, user_id=ADMIN_ID)
    assert "quá dài" in offline.sent_texts()[-1]
    await offline.text("/broadcast Cổng <b>bảo trì</b> tối nay", user_id=ADMIN_ID)
    preview = offline.request.called("sendMessage")[-1]
    assert "📢 Cổng &lt;b&gt;bảo trì&lt;/b&gt; tối nay" in preview["text"]
    datas = [b["callback_data"] for row in preview["reply_markup"]["inline_keyboard"] for b in row]
    assert datas == ["adm:bc:ok", "adm:bc:no"]
    assert announcer.created == []  # nothing is sent before the confirmation
    await offline.press("adm:bc:ok", user_id=CITIZEN)  # a citizen cannot confirm
    assert announcer.created == []
    await offline.press("adm:bc:ok", user_id=ADMIN_ID)
    await offline.press("adm:bc:ok", user_id=ADMIN_ID)  # a double tap sends once
    assert announcer.created == [("Cổng <b>bảo trì</b> tối nay", f"telegram:{ADMIN_ID}")]
    assert announcer.delivering == [1]
    await offline.text("/broadcast Hủy thử", user_id=ADMIN_ID)
    await offline.press("adm:bc:no", user_id=ADMIN_ID)
    assert offline.sent_texts()[-1] == tg_texts.BROADCAST_CANCELLED
    assert len(announcer.created) == 1


async def test_citizens_cannot_broadcast(offline: Offline, monkeypatch: pytest.MonkeyPatch) -> None:
    announcer = FakeAnnouncer()
    monkeypatch.setattr(offline.handlers.staff.desk, "announcer", announcer)
    await offline.text("/broadcast lừa đảo", user_id=CITIZEN)
    assert offline.sent_texts()[-1] == texts.UNKNOWN_COMMAND
    assert announcer.created == []
