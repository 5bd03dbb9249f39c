"""``python run_bot.py`` with ZALO_BOT_TOKEN and ZALO_API_BASE_URL at the fake Zalo Bot API: the
contract a province relies on (polls and answers; SIGTERM exits 0), whole conversations, bad
input, the webhook's secret and re-deliveries."""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.zalo import texts as zalo_texts
from bot.core import texts
from tests.bot_process import BotProcess
from tests.channels.zalo.test_conversation import numbered
from tests.fakes.telegram_server import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_server import TOKEN, FakeZalo

pytestmark = pytest.mark.slow

CITIZEN = "7001"
SECRET = "e2e-zalo-webhook-secret"
LONG_QUESTION = "hướng dẫn mẫu rất dài dùng để thử chia tin nhắn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def knowledge_with_a_long_answer(tmp: Path) -> Path:
    """The shipped knowledge plus one entry whose answer is about 3,000 characters."""
    target = tmp / "knowledge"
    shutil.copytree(Path(__file__).resolve().parents[3] / "knowledge", target)
    paragraphs = [
        f"Bước {n}: " + "làm theo hướng dẫn trên màn hình " * 13 + "rồi bấm Tiếp."
        for n in range(1, 8)
    ]
    answer = "\n\n".join(["Đây là hướng dẫn mẫu rất dài để thử chia tin nhắn.", *paragraphs])
    body = "\n".join("      " + line if line else "" for line in answer.splitlines())
    (target / "faq" / "zz_long.yaml").write_text(
        "entries:\n"
        "  - id: bot.long_sample\n"
        "    category: bot\n"
        '    question: "Hướng dẫn mẫu rất dài dùng để thử chia tin nhắn?"\n'
        "    alternates:\n"
        + "".join(
            f'      - "{a}"\n'
            for a in (
                LONG_QUESTION,
                "huong dan mau rat dai dung de thu chia tin nhan",
                "hướng dẫn mẫu dài để thử chia tin",
                "mẫu hướng dẫn rất dài",
                "thử chia tin nhắn dài",
                "hướng dẫn thật dài để chia tin",
            )
        )
        + "    answer: |-\n"
        + body
        + "\n",
        encoding="utf-8",
    )
    return target


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


def bot_env(tmp: Path, fake: FakeZalo, **extra: str) -> dict[str, str]:
    port = str(free_port())
    return {
        "ZALO_BOT_TOKEN": TOKEN,
        "ZALO_API_BASE_URL": fake.base_url,
        "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        "KNOWLEDGE_DIR": str(knowledge_with_a_long_answer(tmp)),
        "STAFF_CONSOLE": "false",
        "LOG_LEVEL": "INFO",
        # A scripted conversation types faster than any citizen: flood control is tested apart.
        "FLOOD_MAX_MESSAGES": "1000",
        # The one HTTP server (webhooks, web chat, health) on a free port.
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": port,
        **extra,
    }


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess({}, tmp_path)
    yield process
    await process.close()


async def ask(fake: FakeZalo, text: str, chat: str = CITIZEN, ends: str = "") -> str:
    """Send ``text``; the reply (its messages joined) once one ends with ``ends``."""
    mark = len(fake.sent)
    fake.text(chat, text)
    await fake.wait_for(lambda: any(m.text.endswith(ends) for m in fake.to(chat, mark)), 60)
    return "\n\n".join(m.text for m in fake.to(chat, mark))


async def test_polling_conversation_bad_input_and_sigterm(
    fake: FakeZalo, bot: BotProcess, tmp_path: Path
) -> None:
    bot.env = bot_env(tmp_path, fake)
    await bot.start()
    await bot.wait_for_output("Zalo bot Bot Dịch vụ công answering (polling)")

    greeting = await ask(fake, "/start", ends=zalo_texts.CHOOSE_HINT)
    assert greeting.startswith(zalo_texts.NOTICE)
    assert numbered(greeting)[-1] == zalo_texts.PRIVACY_CHOICE

    answer = await ask(fake, "quen mat khau dich vu cong", ends=zalo_texts.FEEDBACK_HINT)
    assert "Tôi quên mật khẩu" in answer
    assert numbered(answer)[-2:] == [texts.FEEDBACK_UP, texts.FEEDBACK_DOWN]

    choices = await ask(fake, "tai khoan", ends=zalo_texts.CHOOSE_HINT)
    assert texts.DID_YOU_MEAN in choices
    offered = numbered(choices)
    assert (await ask(fake, "2", ends=zalo_texts.FEEDBACK_HINT)).startswith(offered[1])
    assert await ask(fake, "17") == zalo_texts.OUT_OF_RANGE.format(count=5)  # 3 + 👍 + 👎

    assert (await ask(fake, "👎", ends=zalo_texts.CHOOSE_HINT)).startswith(
        "Cảm ơn bạn đã cho biết."
    )
    assert await ask(fake, "1") == texts.COMMENT_PROMPT
    assert await ask(fake, "thieu buoc nhap ma OTP") == texts.COMMENT_THANKS

    mark = len(fake.sent)
    fake.push(fake.event(CITIZEN, "message.unsupported.received"))
    fake.push(fake.event(CITIZEN, "message.sticker.received", sticker="x"))
    await fake.replies(CITIZEN, count=2, since=mark)
    unsupported, sticker = (m.text for m in fake.to(CITIZEN, mark))
    assert unsupported == zalo_texts.UNSUPPORTED
    assert sticker.startswith(texts.NON_TEXT)

    # The same delivery twice (Zalo has no offset to confirm): answered once.
    mark = len(fake.sent)
    twice = fake.event(CITIZEN, text="/lienhe", message_id="dup-e2e")
    fake.push(twice)
    fake.push(twice)
    fake.push({"event_name": "oa.unknown.received", "message": {"from": {"id": CITIZEN}}})
    fake.push({"neither": "result nor message"})
    await fake.replies(CITIZEN, since=mark)
    # Answered after the duplicate was fetched: had it been answered, it would be here too.
    long = await ask(fake, LONG_QUESTION, ends=zalo_texts.FEEDBACK_HINT)
    parts = fake.to(CITIZEN, mark)[1:]
    assert len(parts) >= 2 and sum("Liên hệ hỗ trợ" in m.text for m in fake.to(CITIZEN)) == 1
    assert all(len(m.text) <= 2000 for m in parts)
    assert parts[0].text.startswith("Hướng dẫn mẫu rất dài") and "Bước 7" in long

    assert await ask(fake, "3", chat="7002") == zalo_texts.NO_PENDING
    assert texts.EMPTY in await ask(fake, "🙏🙏", chat="7003")
    assert await ask(fake, "tôi muốn hỏi " * 6000, chat="7004")  # 78,000 characters
    assert fake.errors == []

    assert await bot.terminate() == 0
    assert TOKEN.split(":", 1)[1] not in bot.output()


async def test_webhook_secret_duplicates_bad_bodies_and_sigterm(
    fake: FakeZalo, bot: BotProcess, tmp_path: Path
) -> None:
    env = bot_env(tmp_path, fake, ZALO_WEBHOOK_SECRET=SECRET)
    url = f"http://127.0.0.1:{env['WEB_PORT']}/zalo"
    bot.env = {**env, "ZALO_WEBHOOK_URL": url}
    await bot.start()
    await bot.wait_for_output("Zalo bot Bot Dịch vụ công answering (webhook)")
    assert fake.webhook == {"url": url, "secret": SECRET}

    question = fake.event(CITIZEN, text="/lienhe", message_id="w1")
    assert await fake.deliver(question, secret="wrong-secret-value") == 403
    assert await fake.deliver(question, secret="") == 403
    assert await fake.deliver(body=b"{not json") == 400
    assert await fake.deliver(body=b'{"ok": true}') == 400
    assert await fake.deliver(question) == 200
    assert await fake.deliver(question) == 200  # a re-delivery
    await fake.replies(CITIZEN)
    # A later question is answered: by then the re-delivery would have been too.
    answer = await ask(fake, "quen mat khau dich vu cong", ends=zalo_texts.FEEDBACK_HINT)
    assert "Tôi quên mật khẩu" in answer
    assert fake.to(CITIZEN)[0].text.startswith(zalo_texts.NOTICE)
    assert sum("Liên hệ hỗ trợ" in m.text for m in fake.to(CITIZEN)) == 1

    assert await bot.terminate() == 0


async def test_subscribe_on_both_then_one_broadcast_from_zalo_staff_reaches_both(
    fake: FakeZalo, bot: BotProcess, tmp_path: Path
) -> None:
    staff, telegram_citizen = "7999", 8001
    telegram = FakeTelegram()
    await telegram.start()
    try:
        bot.env = bot_env(
            tmp_path,
            fake,
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            ZALO_ADMIN_IDS=staff,
            # Any time of day: quiet hours would hold the run until morning.
            QUIET_HOURS_START="00:00",
            QUIET_HOURS_END="00:00",
        )
        await bot.start()
        await bot.wait_for_output("answering (polling)", count=2)

        assert texts.SUBSCRIBED in await ask(fake, "/subscribe")
        telegram.text(telegram_citizen, "/subscribe")
        (subscribed,) = await telegram.replies(telegram_citizen, within=60)
        assert subscribed.text == texts.SUBSCRIBED

        preview = await ask(fake, "/broadcast Cổng dịch vụ công bảo trì từ 22h tối nay.", staff)
        assert "Gõ GỬI" in preview
        started = await ask(fake, "GỬI", staff)
        assert started.startswith("Đã tạo đợt gửi #")

        def announced(text: str) -> bool:
            return "Cổng dịch vụ công bảo trì từ 22h tối nay." in text

        await fake.wait_for(lambda: any(announced(m.text) for m in fake.to(CITIZEN)), 120)
        await telegram.wait_for(
            lambda: any(announced(m.text) for m in telegram.sent if m.chat_id == telegram_citizen),
            120,
        )
        assert await bot.terminate() == 0
    finally:
        await telegram.stop()
    # Once each; the staff member (who did not subscribe) saw only the preview.
    assert sum(announced(m.text) for m in fake.to(CITIZEN)) == 1
    assert sum(announced(m.text) for m in fake.to(staff)) == 1
    assert sum(announced(m.text) for m in telegram.sent) == 1


async def test_a_wrong_or_reset_token_stops_with_a_clear_message(
    fake: FakeZalo, bot: BotProcess, tmp_path: Path
) -> None:
    bot.env = bot_env(tmp_path, fake, ZALO_BOT_TOKEN="2718281828:an-old-token-that-was-reset")
    await bot.start()
    assert await bot.wait() == 1
    assert "Zalo refused the bot token (401): it is wrong or was reset" in bot.output()
    assert "an-old-token-that-was-reset" not in bot.output()
