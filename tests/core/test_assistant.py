from __future__ import annotations

import pytest

from bot.core import assistant as assistant_module
from bot.core.assistant import Assistant
from bot.core.chat_state import MemoryChatState
from bot.core.messages import IncomingMessage, MessageKind, Outcome
from bot.core.ports import Tip
from tests.fakes.ports import MemoryPorts


def text(value: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("test", user, "c-" + user, text=value)


def tap(value: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("test", user, "c-" + user, kind=MessageKind.ACTION, action=value)


async def test_questions_are_logged_redacted(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await assistant.handle(text("quên mật khẩu, sđt của tôi 0912345678 email a@b.vn"))
    await assistant.bookkeeping.drain()  # written behind the answer
    assert len(memory_ports.exchanges) == 1
    stored = memory_ports.exchanges[0].redacted_text
    assert "0912345678" not in stored and "a@b.vn" not in stored


async def test_matching_sees_the_redacted_text_so_no_stored_key_holds_personal_data(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await assistant.handle(
        text("quên mật khẩu, email nguyen.van.an@gmail.com, mã hồ sơ H12.34-241127-0001")
    )
    await assistant.handle(text("stk 0071000123456 nhà số nhà 12 đường Lê Lợi nộp tiền chưa"))
    await assistant.bookkeeping.drain()  # written behind the answers
    for exchange in memory_ports.exchanges:
        stored = f"{exchange.redacted_text} {exchange.reply.normalized}"
        for value in ("nguyen", "gmail", "241127", "0071000123456", "le loi", "lê lợi"):
            assert value not in stored.casefold()
    assert memory_ports.exchanges[0].reply.outcome is Outcome.ANSWERED


async def test_redaction_runs_once_per_message_on_at_most_the_read_part(
    assistant: Assistant, memory_ports: MemoryPorts, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real = assistant_module.redact

    def counting(value: str) -> str:
        seen.append(len(value))
        return real(value)

    monkeypatch.setattr(assistant_module, "redact", counting)
    await assistant.handle(text("quên mật khẩu dịch vụ công " + "x" * 5000))
    await assistant.handle(tap("fb:0:account.forgot_password"))
    await assistant.handle(tap("cmt:account.forgot_password"))
    await assistant.handle(text("sai rồi, gọi tôi 0912345678"))
    await assistant.bookkeeping.drain()
    assert len(seen) == 2  # one per typed message; taps carry no text
    assert max(seen) == assistant.max_input_chars
    assert "0912345678" not in str(memory_ports.feedback[-1]["comment"])


async def test_menu_taps_and_small_talk_are_not_logged_as_questions(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await assistant.handle(text("/start"))
    await assistant.handle(tap("cat:account"))
    await assistant.handle(text("cảm ơn"))
    await assistant.bookkeeping.drain()
    assert memory_ports.exchanges == []
    assert memory_ports.seen == {("test", "u1")}


async def test_a_logging_failure_does_not_cost_the_answer(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    memory_ports.fail_logging = True
    reply = await assistant.handle(text("quên mật khẩu dịch vụ công"))
    assert reply.outcome is Outcome.ANSWERED
    await assistant.bookkeeping.drain()  # the failed row is dropped alone, nothing retried
    assert memory_ports.exchanges == [] and len(assistant.bookkeeping) == 0


async def test_thumbs_up_then_subscription_offer(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await assistant.handle(text("quên mật khẩu dịch vụ công"))
    reply = await assistant.handle(tap("fb:1:account.forgot_password"))
    await assistant.bookkeeping.drain()
    assert memory_ports.feedback[0]["helpful"] is True
    assert memory_ports.feedback[0]["faq_id"] == "account.forgot_password"
    assert [c.action for c in reply.choices] == ["sub"]
    await assistant.handle(tap("sub"))
    assert ("test", "u1") in memory_ports.subscribers
    again = await assistant.handle(tap("fb:1:account.forgot_password"))
    assert again.choices == ()


async def test_thumbs_down_then_comment(assistant: Assistant, memory_ports: MemoryPorts) -> None:
    await assistant.handle(text("quên mật khẩu dịch vụ công"))
    reply = await assistant.handle(tap("fb:0:account.forgot_password"))
    assert reply.choices[0].action == "cmt:account.forgot_password"
    await assistant.handle(tap(reply.choices[0].action))
    done = await assistant.handle(text("thiếu hướng dẫn cho người già, gọi 0987654321"))
    assert done.outcome is Outcome.FEEDBACK
    await assistant.bookkeeping.drain()
    comment = memory_ports.feedback[-1]
    assert comment["helpful"] is False
    assert "thiếu hướng dẫn" in str(comment["comment"])
    assert "0987654321" not in str(comment["comment"])
    # The next message is an ordinary question again.
    after = await assistant.handle(text("quên mật khẩu dịch vụ công"))
    assert after.outcome is Outcome.ANSWERED


@pytest.mark.parametrize(
    "data",
    ["fb:1:no.such_entry", "fb:0:<b>hi</b>", "fb:1:account.register:extra", "cmt:zz.top", "fb:1:"],
)
async def test_hand_made_feedback_buttons_store_nothing(
    assistant: Assistant, memory_ports: MemoryPorts, data: str
) -> None:
    reply = await assistant.handle(tap(data))
    assert reply.outcome is Outcome.STALE
    assert memory_ports.feedback == []
    after = await assistant.handle(text("gõ tiếp câu này sau nút giả"))
    assert memory_ports.feedback == []  # not taken for a comment either
    assert after.outcome is not Outcome.FEEDBACK


async def test_text_typed_after_thumbs_down_without_the_button(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await assistant.handle(text("quên mật khẩu dịch vụ công"))
    await assistant.handle(tap("fb:0:account.forgot_password"))
    # No question matches this: it is what the citizen found wrong, kept as the 👎's comment.
    done = await assistant.handle(text("huong dan kho hieu qua, toi 70 tuoi"))
    assert done.outcome is Outcome.FEEDBACK
    assert "1800" in done.text  # the hotline, in case it was another question after all
    await assistant.bookkeeping.drain()
    comment = memory_ports.feedback[-1]
    assert (comment["faq_id"], comment["helpful"]) == ("account.forgot_password", False)
    assert "kho hieu" in str(comment["comment"])
    assert not any(e.redacted_text.startswith("huong dan") for e in memory_ports.exchanges)
    # Only the next message: later unknown text gets the honest fallback again.
    later = await assistant.handle(text("giá xăng hôm nay bao nhiêu"))
    assert later.outcome is Outcome.NO_MATCH


async def test_a_question_after_thumbs_down_is_answered(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await assistant.handle(text("quên mật khẩu dịch vụ công"))
    await assistant.handle(tap("fb:0:account.forgot_password"))
    reply = await assistant.handle(text("không nhận được mã otp"))
    assert reply.outcome is Outcome.ANSWERED
    await assistant.bookkeeping.drain()
    assert [f["comment"] for f in memory_ports.feedback] == [None]


async def test_did_you_mean_pick_is_logged_with_the_original_wording(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    first = await assistant.handle(text("tài khoản"))  # one word: several entries fit
    assert first.outcome is Outcome.AMBIGUOUS
    pick = next(c for c in first.choices if c.action.startswith("pick:"))
    reply = await assistant.handle(tap(pick.action))
    assert reply.outcome is Outcome.ANSWERED
    await assistant.bookkeeping.drain()
    assert memory_ports.exchanges[-1].message.reply_to_question == "tài khoản"


async def test_subscribe_unsubscribe_commands(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    assert "đã đăng ký" in (await assistant.handle(text("/subscribe"))).text
    assert "rồi" in (await assistant.handle(text("/subscribe"))).text
    assert "đã hủy" in (await assistant.handle(text("/unsubscribe"))).text
    assert "chưa đăng ký" in (await assistant.handle(text("/unsubscribe"))).text


async def test_tips_command(assistant: Assistant, memory_ports: MemoryPorts) -> None:
    assert "chưa có mẹo" in (await assistant.handle(text("/tips"))).text
    memory_ports.tips.append(Tip("t1", "Không chia sẻ OTP", "Mã OTP là của riêng bạn."))
    assert "Không chia sẻ OTP" in (await assistant.handle(text("/tips"))).text


async def test_per_user_memory_is_bounded(assistant: Assistant) -> None:
    state = assistant.memory.state
    assert isinstance(state, MemoryChatState)  # no storage: this process's memory
    state.max_items = 50
    for user in range(120):
        await assistant.handle(text("quên mật khẩu", user=str(user)))
    await assistant.bookkeeping.drain()
    assert len(state) == 50
