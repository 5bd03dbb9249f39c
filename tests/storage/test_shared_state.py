"""Per-chat state two processes share through one database (SQLite and PostgreSQL): each test
opens two Storage objects on the same database, one per process, and shows that what one
process learned the other knows: the assistant's memory of a citizen, flood windows, and the
updates a dead process left "answering"."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from bot.channels.flood import FloodControl, FloodGuard, Verdict
from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import COMMENT, Assistant, Ports
from bot.core.bookkeeping import WriteBehind
from bot.core.dispatch import InboundDispatcher
from bot.core.knowledge import KnowledgeBase
from bot.core.memory import UserMemory
from bot.core.messages import IncomingMessage, MessageKind, Outcome
from bot.core.ports import FloodVerdict, Inbound
from bot.core.responder import Responder
from bot.core.texts import ASK_AGAIN_AFTER_RESTART, COMMENT_THANKS_UNPROMPTED
from bot.runtime import make_runtime
from bot.storage import Storage
from bot.storage.flood import FloodRepository
from bot.storage.models import FeedbackRow, InboundUpdateRow, utcnow
from tests.storage.backends import Backend


@pytest.fixture
async def two(db: Backend, seed_kb: KnowledgeBase) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two processes' storage on one database."""
    first = await Storage.open(db.settings())
    second = await Storage.open(db.settings())
    try:
        await first.knowledge.seed_if_empty(seed_kb)
        yield first, second
    finally:
        await first.close()
        await second.close()


def assistant(responder: Responder, storage: Storage) -> Assistant:
    ports = Ports(feedback=storage.feedback, state=storage.memory)
    return Assistant(responder, ports, WriteBehind())


def said(text: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("web", user, user, text=text)


def tapped(action: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("web", user, user, kind=MessageKind.ACTION, action=action)


async def test_the_assistant_remembers_a_citizen_across_processes(
    seed_kb: KnowledgeBase, two: tuple[Storage, Storage]
) -> None:
    settings = Settings(knowledge_dir=PROJECT_ROOT / "knowledge", _env_file=None)  # type: ignore[call-arg]
    responder = make_runtime(settings, seed_kb).responder  # pure: the same in every process
    one, other = assistant(responder, two[0]), assistant(responder, two[1])
    question = "quen mat khau dich vu cong"
    answer = await one.handle(said(question))
    assert answer.outcome is Outcome.ANSWERED and answer.faq_id
    await one.bookkeeping.drain()  # the last question is written behind the answer
    # The 👎 reaches the other process: it knows which question it was about.
    sorry = await other.handle(tapped(f"fb:0:{answer.faq_id}"))
    assert sorry.outcome is Outcome.FEEDBACK
    # Written behind within about 50 ms, long before a citizen types a comment (without this
    # the first process's comment write could overtake it: a race of the test, not of people).
    await other.bookkeeping.drain()
    # The citizen types what was wrong; the first process takes it as the comment.
    thanks = await one.handle(said("không nhận được email khôi phục xyzw"))
    assert thanks.text.startswith(COMMENT_THANKS_UNPROMPTED.split("{")[0][:20])
    await one.bookkeeping.drain()
    await other.bookkeeping.drain()
    async with two[0].session_factory() as session:
        rows = list(await session.scalars(select(FeedbackRow).order_by(FeedbackRow.id)))
    # One 👎 about the first process's question, amended by the comment.
    assert [(r.helpful, r.question, r.comment) for r in rows] == [
        (False, question, "không nhận được email khôi phục xyzw")
    ]
    # Taken once: the next message is a question again, on either process.
    again = await other.handle(said(question))
    assert again.outcome is Outcome.ANSWERED


async def test_a_pending_comment_is_taken_by_one_process_only(two: tuple[Storage, Storage]) -> None:
    key = ("telegram", "42")
    first = UserMemory(two[0].memory, WriteBehind())
    second = UserMemory(two[1].memory, WriteBehind())
    await first.put(key, COMMENT, "ask:pay.fee_online", 900)
    taken = await asyncio.gather(first.take(key, COMMENT), second.take(key, COMMENT))
    assert taken.count(None) == 1 and "ask:pay.fee_online" in taken
    # Written behind: this process reads it at once, the other once it is flushed.
    first.remember(key, "a.question", "nộp lệ phí", 900)
    assert await first.get(key, "a.question") == "nộp lệ phí"
    await first.bookkeeping.drain()
    assert await second.get(key, "a.question") == "nộp lệ phí"
    await second.forget(key, ("a.question",))
    assert await first.get(key, "a.question") is None


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


async def test_flood_windows_are_shared_by_processes(two: tuple[Storage, Storage]) -> None:
    clock = Clock(utcnow())
    first = FloodRepository(two[0].writer, 3, 10.0, clock=clock)
    second = FloodRepository(two[1].writer, 3, 10.0, clock=clock)
    # Messages spread over two processes count in one window.
    checks = [first, second, first, second, first, second]
    verdicts = [await repo.check("telegram:7") for repo in checks]
    assert verdicts == [FloodVerdict.ALLOW] * 3 + [FloodVerdict.NOTIFY] + [FloodVerdict.IGNORE] * 2
    assert await first.check("telegram:8") is FloodVerdict.ALLOW  # others are unaffected
    clock.now += dt.timedelta(seconds=10.5)
    assert await second.check("telegram:7") is FloodVerdict.ALLOW
    # Concurrent checks of one user from both processes: still one count each.
    clock.now += dt.timedelta(seconds=20)
    verdicts = await asyncio.gather(*(repo.check("telegram:9") for repo in checks))
    assert sorted(v.value for v in verdicts) == sorted(
        [FloodVerdict.ALLOW.value] * 3
        + [FloodVerdict.NOTIFY.value]
        + [FloodVerdict.IGNORE.value] * 2
    )


async def test_a_flood_spread_over_two_bot_processes_is_held_to_the_limit(
    two: tuple[Storage, Storage],
) -> None:
    wall = Clock(utcnow())
    ticks = [1000.0]

    def monotonic() -> float:
        return ticks[0]

    def control(storage: Storage) -> FloodControl:
        return FloodControl(
            FloodGuard(3, 10.0, clock=monotonic),
            FloodRepository(storage.writer, 3, 10.0, clock=wall),
            WriteBehind(),
            channel="telegram",
            clock=monotonic,
        )

    first, second = control(two[0]), control(two[1])
    verdicts = []
    for process in [first, second] * 3 + [first]:
        verdicts.append(await process.check("7"))
        await process.bookkeeping.drain()  # the shared count, written behind the answer
    # Each process alone saw at most 4 messages; together they passed the limit of 3: the
    # shared window mutes the user on both, with one notice.
    assert verdicts == [Verdict.ALLOW] * 5 + [Verdict.NOTIFY, Verdict.IGNORE]
    ticks[0] += 10.5
    wall.now += dt.timedelta(seconds=10.5)
    assert await second.check("7") is Verdict.ALLOW


async def test_many_users_messages_are_counted_in_one_transaction(
    two: tuple[Storage, Storage],
) -> None:
    clock = Clock(utcnow())
    first = FloodRepository(two[0].writer, 3, 10.0, clock=clock)
    second = FloodRepository(two[1].writer, 3, 10.0, clock=clock)
    before = two[0].writer.batches
    verdicts = await first.count({"zalo:a": 2, "zalo:b": 1, "zalo:c": 5})
    assert two[0].writer.batches == before + 1
    # c's five messages crossed the limit of three: one notice, then silence.
    assert verdicts == {
        "zalo:a": FloodVerdict.ALLOW,
        "zalo:b": FloodVerdict.ALLOW,
        "zalo:c": FloodVerdict.NOTIFY,
    }
    assert await second.count({"zalo:a": 1, "zalo:c": 1}) == {
        "zalo:a": FloodVerdict.ALLOW,
        "zalo:c": FloodVerdict.IGNORE,
    }
    assert await second.check("zalo:a") is FloodVerdict.NOTIFY  # its 5th message in all


def update_of(key: str, chat: str) -> Inbound:
    return Inbound(key, chat, {"update_id": int(key)})


async def claimed_ago(storage: Storage, key: str, seconds: float) -> None:
    then = utcnow() - dt.timedelta(seconds=seconds)
    async with storage.session_factory.begin() as session:
        await session.execute(
            update(InboundUpdateRow)
            .where(InboundUpdateRow.key == key)
            .values(received_at=then, claimed_at=then)
        )


async def test_updates_a_dead_process_left_answering_are_closed_by_another(
    two: tuple[Storage, Storage],
) -> None:
    dead, alive = two[0].inbound, two[1].inbound
    await dead.record("telegram", [update_of("1", "c1")])
    await alive.record("telegram", [update_of("2", "c2")])
    assert await dead.claim("telegram", "1") and await alive.claim("telegram", "2")
    # Claimed just now: the other process may still be answering it.
    swept = await alive.resume("telegram", older_than=120, in_hand={"2"})
    assert swept.unknown == 0
    # Long ago: its process died. The caller's own update in hand is left alone.
    await claimed_ago(two[0], "1", 300)
    await claimed_ago(two[0], "2", 300)
    swept = await alive.resume("telegram", older_than=120, in_hand={"2"})
    assert (swept.unknown, list(swept.unknown_chats)) == (1, ["c1"])
    assert await alive.states("telegram") == {"unknown": 1, "answering": 1}


async def test_a_live_dispatcher_closes_what_a_dead_one_left_answering(
    two: tuple[Storage, Storage],
) -> None:
    await two[0].inbound.record("telegram", [update_of("1", "c1")])
    assert await two[0].inbound.claim("telegram", "1")  # then that process was killed
    told: list[tuple[str, str]] = []

    async def notify(chat: str, text: str) -> None:
        told.append((chat, text))

    async def handle(item: Inbound) -> None:
        raise AssertionError("nothing to answer")

    dispatcher = InboundDispatcher(
        "telegram",
        handle,
        journal=two[1].inbound,
        bookkeeping=WriteBehind(),
        notify=notify,
        resume_older_than=0.05,  # sweeps every 25 ms; a claim older than 50 ms is abandoned
    )
    await dispatcher.start()
    try:
        await until(lambda: bool(told))
    finally:
        await dispatcher.stop(1.0)
    assert told == [("c1", ASK_AGAIN_AFTER_RESTART)]
    assert await two[1].inbound.states("telegram") == {"unknown": 1}


async def until(predicate: Callable[[], bool]) -> None:
    for _ in range(3000):  # a guard against hanging, not a timing
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail("condition never reached")
