"""Warm-up at start fills what a first page view paid for; suggestions never hold a page up."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.console import trial
from bot.console.web.app import StaffConsole
from bot.console.web.context import Console
from bot.console.web.inbox import GUESSES, SuggestionCache
from bot.console.web.knowledge_list import CATALOG
from bot.console.web.warm import warmed
from bot.core.messages import IncomingMessage, Outcome, Reply
from bot.core.ports import LoggedExchange
from bot.storage import Storage
from bot.storage.conversations import InboxHit, feed_inbox_many
from tests.console.conftest import FakeClock, runtime_for


async def test_warm_up_fills_the_caches_a_first_view_would(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    async with storage.session_factory.begin() as session:
        await feed_inbox_many(session, [InboxHit("no_match", "lam the nao", "làm thế nào")])
    runtime = runtime_for(storage, await storage.knowledge.load(), 1)
    console = Console.from_runtime(runtime)
    staff_console = StaffConsole(console, warm=True)
    app = web.Application()
    staff_console.add_routes(app)
    server = TestServer(app, host="127.0.0.1")
    caplog.set_level(logging.INFO, "bot.console.web.warm")
    await server.start_server()
    try:
        assert staff_console.app is not None
        await warmed(staff_console.app)
        assert "failed" not in caplog.text and "warmed up" in caplog.text
        assert console.templates.cache is not None and len(console.templates.cache) >= 10
        snapshot = runtime.live.current
        guesses = staff_console.app[GUESSES]
        assert guesses.get((snapshot.version, id(snapshot), "làm thế nào")) is not None
        assert staff_console.app[CATALOG]._rows is not None
        base = trial._BASES.get(id(snapshot))
        assert base is not None and base[0] is snapshot
    finally:
        await server.close()


async def test_suggestions_show_the_last_count_while_the_next_is_made(storage: Storage) -> None:
    runtime = runtime_for(storage, await storage.knowledge.load(), 1)
    console = Console.from_runtime(runtime)
    clock = FakeClock()
    clock.freeze()
    console.clock = clock
    cache = SuggestionCache()
    assert await cache.get(console) == []
    wording = "làm lại cái tk dvc"
    for user in ("a", "b"):
        message = IncomingMessage(
            "telegram", user, user, text=wording, action="pick:account.register"
        )
        reply = Reply("…", Outcome.ANSWERED, faq_id="account.register", confidence=0.5)
        await storage.conversations.record(LoggedExchange(message, reply, wording))
    await storage.writer.drain()
    assert await cache.get(console) == []  # the same minute: counted already
    clock.advance(minutes=1)
    assert await cache.get(console) == []  # the last count, the next one started
    await cache.settled()
    [found] = await cache.get(console)
    assert found.text == wording and found.count == 2
