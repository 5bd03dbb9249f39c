"""/xoadulieu: a confirmation, then everything stored about the citizen goes (core level)."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.assistant import Assistant
from bot.core.chat_state import MemoryChatState
from bot.core.messages import IncomingMessage, MessageKind, Outcome
from tests.fakes.ports import MemoryPorts


def said(value: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("test", user, "c-" + user, text=value)


def tap(value: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("test", user, "c-" + user, kind=MessageKind.ACTION, action=value)


async def history(assistant: Assistant, user: str) -> None:
    await assistant.handle(said("quên mật khẩu dịch vụ công", user))
    await assistant.handle(tap("fb:0:account.forgot_password", user))
    await assistant.handle(said("/subscribe", user))
    await assistant.bookkeeping.drain()  # logs and feedback are written behind the answers


async def test_confirmed_erasure_deletes_everything_about_the_user_only(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    await history(assistant, "u1")
    await history(assistant, "u2")
    asked = await assistant.handle(said("/xoadulieu"))
    assert asked.text == texts.ERASE_CONFIRM
    assert [c.action for c in asked.choices] == ["erase:yes", "erase:no"]
    assert len(memory_ports.exchanges) == 2  # nothing deleted before the confirmation
    done = await assistant.handle(tap("erase:yes"))
    assert done.text == texts.ERASED
    assert {e.message.user_id for e in memory_ports.exchanges} == {"u2"}
    assert {f["user_id"] for f in memory_ports.feedback} == {"u2"}
    assert list(memory_ports.subscribers) == [("test", "u2")]
    assert memory_ports.seen == {("test", "u2")}  # the erasure itself recorded nothing
    # The assistant's memory of u1 went too: this is a new question, not a 👎 comment.
    await assistant.handle(said("hôm nay trời đẹp quá xyzw"))
    await assistant.bookkeeping.drain()
    assert {f["user_id"] for f in memory_ports.feedback} == {"u2"}


@pytest.mark.parametrize("first", [None, "erase:no"])
async def test_a_confirmation_not_just_offered_erases_nothing(
    assistant: Assistant, memory_ports: MemoryPorts, first: str | None
) -> None:
    await history(assistant, "u1")
    if first:
        await assistant.handle(said("/xoadulieu"))
        cancelled = await assistant.handle(tap(first))
        assert cancelled.text == texts.ERASE_CANCELLED
    again = await assistant.handle(tap("erase:yes"))  # hand-made, or after "no"
    assert again.text == texts.ERASE_CONFIRM
    assert len(memory_ports.exchanges) == 1 and memory_ports.subscribers


async def test_an_old_confirmation_button_asks_again(
    assistant: Assistant, memory_ports: MemoryPorts
) -> None:
    now = [1000.0]
    assert isinstance(assistant.memory.state, MemoryChatState)  # the offer is kept there
    assistant.memory.state._clock = lambda: now[0]
    await history(assistant, "u1")
    await assistant.handle(said("/xoadulieu"))
    now[0] += 11 * 60
    assert (await assistant.handle(tap("erase:yes"))).text == texts.ERASE_CONFIRM
    assert memory_ports.subscribers
    assert (await assistant.handle(tap("erase:yes"))).text == texts.ERASED
    assert not memory_ports.subscribers


async def test_help_offers_the_erasure(assistant: Assistant) -> None:
    help_reply = await assistant.handle(said("/help"))
    assert "/xoadulieu" in help_reply.text
    button = next(c for c in help_reply.choices if c.label == texts.ERASE_BUTTON)
    assert (await assistant.handle(tap(button.action))).text == texts.ERASE_CONFIRM


async def test_without_storage_nothing_is_stored_and_it_says_so(assistant: Assistant) -> None:
    assistant.ports.eraser = None
    await assistant.handle(said("/xoadulieu"))
    reply = await assistant.handle(tap("erase:yes"))
    assert (reply.outcome, reply.text) == (Outcome.COMMAND, texts.ERASE_NOTHING_STORED)
