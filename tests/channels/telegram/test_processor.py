"""Concurrent updates, but each chat's messages handled in the order they came."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.channels.telegram.processor import PerChatUpdateProcessor
from tests.fakes.telegram_server import private_chat, user


def update(update_id: int, chat_id: int) -> Update:
    payload = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": private_chat(chat_id),
            "from": user(chat_id),
            "text": "x",
        },
    }
    parsed = Update.de_json(payload, None)
    assert parsed is not None
    return parsed


async def test_one_chat_in_order_other_chats_meanwhile() -> None:
    processor = PerChatUpdateProcessor(4)
    order: list[str] = []
    gate = asyncio.Event()

    async def slow_first() -> None:
        await gate.wait()
        order.append("a1")

    b_done = asyncio.Event()

    async def record(name: str) -> None:
        order.append(name)
        if name == "b1":
            b_done.set()

    tasks = [
        asyncio.create_task(processor.process_update(update(1, 10), slow_first())),
        asyncio.create_task(processor.process_update(update(2, 10), record("a2"))),
        asyncio.create_task(processor.process_update(update(3, 20), record("b1"))),
    ]
    await asyncio.wait_for(b_done.wait(), 5)  # chat 20 is not held up by chat 10
    assert order == ["b1"]
    assert processor.lanes == 1  # chat 10 is waiting on its first update
    gate.set()
    await asyncio.gather(*tasks)
    assert order == ["b1", "a1", "a2"]
    assert processor.lanes == 0  # nothing kept once a chat is idle
