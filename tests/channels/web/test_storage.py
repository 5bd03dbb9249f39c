"""The web chat's repository on each backend: bounded history, expiry and purge."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.storage.web_chat import KEEP_MESSAGES, MAX_OFFERED, Admission, Exchange, HistoryEntry
from bot.storage.web_chat_models import WebChatMessageRow, WebChatRateRow, WebChatSessionRow
from tests.channels.web.conftest import ChatEnv


def reply(n: int, choices: int = 2) -> HistoryEntry:
    pairs = tuple((f"faq:x{n}.{i}", f"Câu {n}.{i}") for i in range(choices))
    return HistoryEntry("assistant", f"trả lời {n}", "answered", None, pairs)


async def count(env: ChatEnv, model: type) -> int:
    async with env.storage.session_factory() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_history_and_offered_choices_stay_bounded(env: ChatEnv) -> None:
    store = env.chat.store
    admitted = await store.admit(Admission(None, "10.0.0.1"))
    for n in range(2 * KEEP_MESSAGES // 2 + 5):
        await store.record(Exchange(admitted.key, f"hỏi {n}", reply(n)))
    history = await store.history(admitted.token)
    assert history is not None
    assert KEEP_MESSAGES <= len(history) <= 2 * KEEP_MESSAGES
    assert history[-1].text == f"trả lời {2 * KEEP_MESSAGES // 2 + 4}"
    again = await store.admit(Admission(admitted.token, "10.0.0.1"))
    assert again.key == admitted.key and not again.fresh
    assert len(again.offered) == MAX_OFFERED
    assert again.offered[0] == ("faq:x104.0", "Câu 104.0")  # newest first


async def test_expired_sessions_and_windows_are_purged(env: ChatEnv) -> None:
    store = env.chat.store
    old = await store.admit(Admission(None, "10.0.0.2"))
    await store.record(Exchange(old.key, "hỏi", reply(1)))
    env.clock.advance(days=29)
    kept = await store.admit(Admission(None, "10.0.0.3"))
    await store.record(Exchange(kept.key, "hỏi", reply(2)))
    env.clock.advance(days=2)  # the first is 31 days idle, the second 2
    await store.purge()
    assert await count(env, WebChatSessionRow) == 1
    assert await count(env, WebChatMessageRow) == 2
    assert await store.history(old.token) is None
    assert await store.history(kept.token) is not None
    assert await count(env, WebChatRateRow) == 0  # every window ended long ago


async def test_concurrent_first_requests_from_one_address(env: ChatEnv) -> None:
    store = env.chat.store
    results = await asyncio.gather(*(store.admit(Admission(None, "10.0.0.9")) for _ in range(20)))
    assert len({r.key for r in results}) == 20 and all(r.fresh for r in results)
    async with env.storage.session_factory() as db:
        counts = list(await db.scalars(select(WebChatRateRow.count)))
    assert sorted(counts) == [1] * 20 + [20]  # one per session, twenty for the address
