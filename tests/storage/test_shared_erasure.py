"""/xoadulieu across processes: the confirmation offered by one process counts when the citizen
taps it on another (two web processes behind a load balancer), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.core import texts
from bot.core.assistant import Assistant, Ports
from bot.core.bookkeeping import WriteBehind
from bot.core.knowledge import KnowledgeBase
from bot.core.messages import IncomingMessage, MessageKind
from bot.core.responder import Responder
from bot.runtime import make_runtime
from bot.storage import Storage
from tests.storage.test_shared_state import two

__all__ = ["two"]  # the fixture: two processes' storage on one database


@pytest.fixture
def responder(seed_kb: KnowledgeBase) -> Responder:
    settings = Settings(knowledge_dir=PROJECT_ROOT / "knowledge", _env_file=None)  # type: ignore[call-arg]
    return make_runtime(settings, seed_kb).responder  # pure: the same in every process


def assistant(responder: Responder, storage: Storage) -> Assistant:
    ports = Ports(subscriptions=storage.subscriptions, eraser=storage.erasure, state=storage.memory)
    return Assistant(responder, ports, WriteBehind())


def said(text: str) -> IncomingMessage:
    return IncomingMessage("web", "u1", "u1", text=text)


def tapped(action: str) -> IncomingMessage:
    return IncomingMessage("web", "u1", "u1", kind=MessageKind.ACTION, action=action)


async def test_an_erasure_offered_by_one_process_is_confirmed_on_the_other(
    responder: Responder, two: tuple[Storage, Storage]
) -> None:
    one, other = assistant(responder, two[0]), assistant(responder, two[1])
    await one.handle(said("/subscribe"))
    assert await two[1].subscriptions.is_subscribed(channel="web", user_id="u1")
    assert (await one.handle(said("/xoadulieu"))).text == texts.ERASE_CONFIRM
    assert (await other.handle(tapped("erase:yes"))).text == texts.ERASED
    assert not await two[0].subscriptions.is_subscribed(channel="web", user_id="u1")
    # The offer was used up on every process: the same button asks again on the first.
    assert (await one.handle(tapped("erase:yes"))).text == texts.ERASE_CONFIRM


async def test_an_erasure_cancelled_on_one_process_cannot_be_confirmed_on_the_other(
    responder: Responder, two: tuple[Storage, Storage]
) -> None:
    one, other = assistant(responder, two[0]), assistant(responder, two[1])
    await one.handle(said("/subscribe"))
    await one.handle(said("/xoadulieu"))
    assert (await other.handle(tapped("erase:no"))).text == texts.ERASE_CANCELLED
    assert (await one.handle(tapped("erase:yes"))).text == texts.ERASE_CONFIRM
    assert await two[0].subscriptions.is_subscribed(channel="web", user_id="u1")
