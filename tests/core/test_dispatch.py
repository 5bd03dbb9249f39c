"""The channel-free dispatcher: recorded before acknowledged, each chat in order, claimed before
sending, never twice, resumed after a restart, degraded (not stalled) when the database is away."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Awaitable, Callable

import pytest

from bot.core import delivery, dispatch, texts
from bot.core.assistant import Assistant
from bot.core.bookkeeping import WriteBehind
from bot.core.dispatch import InboundDispatcher
from bot.core.health import StorageHealth
from bot.core.messages import IncomingMessage
from bot.core.ports import Inbound
from bot.runtime import Runtime
from tests.fakes.ports import MemoryJournal, MemoryPorts


def item(key: str, chat: str | None = "c1") -> Inbound:
    return Inbound(key, chat, {"update_id": key, "text": f"câu hỏi {key}"})


class Bot:
    """A channel stand-in: ``handle`` claims, then "sends" unless told otherwise."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.silent: set[str] = set()  # updates that send nothing
        self.running = 0
        self.most = 0

    async def handle(self, inbound: Inbound) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            self.events.append(f"start {inbound.key}")
            if inbound.key in self.gates:
                await self.gates[inbound.key].wait()
            if inbound.key not in self.silent:
                await delivery.before_send()
                self.events.append(f"sent {inbound.key}")
                delivery.sent()
        finally:
            self.running -= 1


def dispatcher(
    bot: Bot,
    journal: MemoryJournal | None,
    *,
    concurrency: int = 4,
    health: StorageHealth | None = None,
    max_queued: int = 1000,
    handle: Callable[[Inbound], object] | None = None,
    notify: Callable[[str, str], Awaitable[None]] | None = None,
    resume_older_than: float = 0.0,
) -> InboundDispatcher:
    health = health or StorageHealth(probe_every=0.0)
    return InboundDispatcher(
        "test",
        handle or bot.handle,  # type: ignore[arg-type]
        journal=journal,
        bookkeeping=WriteBehind(health, backoff=(0.0,)),
        concurrency=concurrency,
        max_queued=max_queued,
        notify=notify,
        resume_older_than=resume_older_than,
    )


async def settle(d: InboundDispatcher) -> None:
    await asyncio.wait_for(d.idle(), 10)
    await asyncio.wait_for(d.bookkeeping.drain(), 10)


async def test_recorded_before_accept_returns_claimed_before_sending_closed_after() -> None:
    bot, journal = Bot(), MemoryJournal()
    bot.gates["1"] = asyncio.Event()
    d = dispatcher(bot, journal)
    await d.accept([item("1"), item("2", "c2")])
    # Acknowledging is safe now: both are in the journal with what is needed to answer them.
    assert journal.state("1") == "pending" and journal.rows[("test", "1")][1] is not None
    await _until(lambda: "sent 2" in bot.events)
    assert journal.state("2") in ("answering", "answered")
    assert journal.state("1") == "pending"  # not sent yet: a crash now answers it after restart
    bot.gates["1"].set()
    await settle(d)
    assert [journal.rows[("test", k)] for k in ("1", "2")] == [["answered", None]] * 2
    assert journal.calls.count("claim") == 2


async def test_each_chat_in_order_other_chats_meanwhile_at_most_concurrency() -> None:
    bot = Bot()
    bot.gates["a1"] = asyncio.Event()
    d = dispatcher(bot, MemoryJournal(), concurrency=2)
    await d.accept([item("a1", "A"), item("a2", "A"), item("b1", "B"), item("c1", "C")])
    await _until(lambda: "sent b1" in bot.events and "sent c1" in bot.events)
    assert "start a2" not in bot.events  # chat A waits for its first update
    bot.gates["a1"].set()
    await settle(d)
    chat_a = [e for e in bot.events if e.endswith(("a1", "a2"))]
    assert chat_a == ["start a1", "sent a1", "start a2", "sent a2"]
    assert bot.most <= 2


async def test_a_duplicate_delivery_is_answered_once_even_after_a_restart() -> None:
    bot, journal = Bot(), MemoryJournal()
    first = dispatcher(bot, journal)
    await first.accept([item("7")])
    await first.accept([item("7")])  # Telegram retried the webhook call
    await settle(first)
    again = dispatcher(bot, journal)  # a new process: nothing in memory
    await again.start()
    await again.accept([item("7")])
    await settle(again)
    assert bot.events.count("sent 7") == 1
    assert (first.duplicates, again.duplicates) == (1, 1)


async def test_a_restart_answers_what_waited_in_order_and_never_resends_a_claimed_one() -> None:
    journal = MemoryJournal()
    await journal.record("test", [item("1", "A"), item("2", "B"), item("3", "A")])
    assert await journal.claim("test", "2")  # the old process was sending it when it died
    bot = Bot()
    d = dispatcher(bot, journal)
    assert await d.start() == 2
    await d.accept([item("4", "A")])
    await settle(d)
    assert [e for e in bot.events if e.startswith("sent")] == ["sent 1", "sent 3", "sent 4"]
    assert journal.state("2") == "unknown" and journal.rows[("test", "2")][1] is None


async def test_a_chat_caught_mid_answer_is_asked_to_ask_again_once_not_answered_again() -> None:
    journal = MemoryJournal()
    await journal.record("test", [item("1", "A"), item("2", "B"), item("3", "B"), item("4", "C")])
    for key in ("2", "3", "4"):
        assert await journal.claim("test", key)  # all three were leaving when the process died
    told: list[tuple[str, str]] = []

    async def notify(chat: str, text: str) -> None:
        told.append((chat, text))

    bot = Bot()
    d = dispatcher(bot, journal, notify=notify)
    assert await d.start() == 1
    await settle(d)
    assert [e for e in bot.events if e.startswith("sent")] == ["sent 1"]  # never a second answer
    assert sorted(chat for chat, _ in told) == ["B", "C"]  # once per chat, not per update
    assert all(text == texts.ASK_AGAIN_AFTER_RESTART for _, text in told)
    again = dispatcher(bot, journal, notify=notify)  # a second restart tells nobody again
    await again.start()
    await settle(again)
    assert len(told) == 2


async def test_a_failing_restart_notice_does_not_stop_the_answers() -> None:
    journal = MemoryJournal()
    await journal.record("test", [item("1", "A"), item("2", "B")])
    assert await journal.claim("test", "2")

    async def notify(chat: str, text: str) -> None:
        raise ConnectionError("the platform is away")

    bot = Bot()
    d = dispatcher(bot, journal, notify=notify)
    await d.start()
    await settle(d)
    assert "sent 1" in bot.events


async def test_an_update_claimed_elsewhere_is_not_sent() -> None:
    journal = MemoryJournal()
    bot = Bot()
    d = dispatcher(bot, journal)
    bot.gates["5"] = asyncio.Event()
    await d.accept([item("5")])
    await _until(lambda: "start 5" in bot.events)
    assert await journal.claim("test", "5")  # e.g. another process took it meanwhile
    bot.gates["5"].set()
    await settle(d)
    assert "sent 5" not in bot.events


async def test_a_locked_database_degrades_to_answering_and_comes_back() -> None:
    journal = MemoryJournal(down=True)
    health = StorageHealth(probe_every=0.0)
    bot = Bot()
    d = dispatcher(bot, journal, health=health)
    await d.accept([item("1"), item("2", "c2")])
    await settle(d)
    assert {"sent 1", "sent 2"} <= set(bot.events)  # answered from memory, not stalled
    assert not health.available and ("test", "1") not in journal.rows
    journal.down = False
    await d.accept([item("3")])  # answered at once; a background probe finds the database back
    await _until(lambda: health.available)
    await d.accept([item("4")])
    await settle(d)
    assert "sent 3" in bot.events and journal.state("4") == "answered"
    assert ("test", "3") not in journal.rows


async def test_stopping_leaves_unanswered_updates_recorded() -> None:
    journal = MemoryJournal()
    bot = Bot()
    bot.gates["1"] = asyncio.Event()  # never opened
    d = dispatcher(bot, journal)
    await d.accept([item("1"), item("2")])
    await _until(lambda: "start 1" in bot.events)
    await d.stop(budget=0)
    assert (journal.state("1"), journal.state("2")) == ("pending", "pending")


async def test_intake_waits_for_room() -> None:
    bot = Bot()
    bot.gates["1"] = asyncio.Event()
    d = dispatcher(bot, MemoryJournal(), max_queued=2)
    await d.accept([item("1"), item("2")])
    waiting = asyncio.ensure_future(d.room())
    await asyncio.sleep(0)
    assert not waiting.done()
    bot.gates["1"].set()
    await asyncio.wait_for(waiting, 10)


async def test_the_conversation_log_waits_for_the_answer_to_go_out(runtime: Runtime) -> None:
    ports = MemoryPorts()
    assistant = Assistant(runtime.responder, ports.as_ports())
    fail = {"2"}

    async def handle(inbound: Inbound) -> None:
        message = IncomingMessage("test", inbound.key, inbound.key, text="giá vàng hôm nay")
        await assistant.handle(message)
        if inbound.key in fail:
            raise ConnectionError("the answer could not be sent")
        await delivery.before_send()
        delivery.sent()

    d = InboundDispatcher(
        "test", handle, journal=MemoryJournal(), bookkeeping=assistant.bookkeeping
    )
    await d.accept([item("1", "1"), item("2", "2")])
    await settle(d)
    assert [e.message.user_id for e in ports.exchanges] == ["1"]
    assert ports.seen == {("test", "1"), ("test", "2")}  # touches are not answers


async def _until(predicate: Callable[[], bool]) -> None:
    for _ in range(1000):  # a guard against hanging, not a timing assertion
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail("condition never reached")


async def test_with_shared_intake_only_abandoned_updates_are_taken_over_and_once() -> None:
    bot, journal = Bot(), MemoryJournal()
    # Another web process received "1" a moment ago and is answering it: not ours to take.
    await journal.record("test", [item("1", "c1")])
    journal.fresh.add(("test", "1"))
    d = dispatcher(bot, journal, resume_older_than=0.02)
    assert await d.start() == 0
    bot.gates["2"] = asyncio.Event()
    await d.accept([item("2", "c2")])  # ours, in hand for a while
    journal.fresh.clear()  # the other process died; "1" is now old enough
    for _ in range(3):  # the sweep ran several times, and saw "2" waiting too
        journal.resumed.clear()
        await asyncio.wait_for(journal.resumed.wait(), 60)
    bot.gates["2"].set()
    await settle(d)
    await d.stop(1.0)
    assert bot.events.count("sent 1") == 1 and bot.events.count("start 2") == 1
    assert journal.state("1") == "answered" and journal.state("2") == "answered"


async def test_recent_keys_are_bounded_and_cost_little_beside_their_strings() -> None:
    # Every update's key is remembered (re-deliveries are dropped even without the database):
    # at the bound that is 10,000 keys; a set and a deque hold them for about 60 bytes each
    # beside the strings (an OrderedDict took about 100).
    d = dispatcher(Bot(), None)  # no database: memory alone drops re-deliveries
    keys = [str(500_000_000 + n) for n in range(dispatch._REMEMBERED + 2_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key in keys:
            d._remember(key)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    await d.accept([item(keys[0]), item(keys[-1])])  # the newest is known, the oldest forgotten
    await settle(d)
    assert d.duplicates == 1
    assert d.answered == 1
    assert held / dispatch._REMEMBERED < 80
