"""Zalo broadcasts: paced at ZALO_BROADCAST_RATE beside Telegram's rate in one run, each
subscriber once, a 429 backs the channel off, a refused chat becomes inactive."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.broadcast.options import BroadcastOptions
from bot.broadcast.runs import RunReport
from bot.broadcast.senders import Outcome, Sender
from bot.broadcast.service import BroadcastService
from bot.channels.telegram.broadcast import TelegramSender
from bot.channels.zalo.broadcast import ZaloSender, classify
from bot.channels.zalo.client import (
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import active_chats, add_subscribers, ledger, options
from tests.fakes.bot_api_limits import BotApiLimits
from tests.fakes.zalo_server import FakeZalo

ZALO_FIRST = 900_000


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


def zalo_sender(fake: FakeZalo, rate: float) -> ZaloSender:
    return ZaloSender(fake.token, fake.base_url, pool_size=8, rate=rate, backoff=0.2)


async def announce(
    db: Db, senders: dict[str, Sender], text: str, opts: BroadcastOptions | None = None
) -> tuple[int, RunReport]:
    """One announcement, delivered to the end."""
    service = BroadcastService(db.sessions, opts or options(rate=50.0), senders)
    await service.start()
    try:
        run_id = await service.create_announcement(text, "test")
        return run_id, await service.deliver(run_id)
    finally:
        await service.close()


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (ZaloRateLimited(429, "Quota exceeded"), Outcome.RATE_LIMITED),
        (ZaloUnauthorized(401, "Unauthorized"), Outcome.FATAL),
        (ZaloForbidden(403, "Forbidden"), Outcome.BLOCKED),
        (ZaloError(400, "Bad request: chat not found"), Outcome.BLOCKED),
        (ZaloError(400, "User does not exist"), Outcome.BLOCKED),
        (ZaloError(400, "Text length must be 1-2000"), Outcome.REJECTED),
        (ZaloServerError(502, "bad gateway"), Outcome.TRANSIENT),
        (ZaloNetworkError("refused", maybe_sent=False), Outcome.TRANSIENT),
        (ZaloNetworkError("read timeout", maybe_sent=True), Outcome.AMBIGUOUS),
        (ValueError("a Zalo message holds 1-2000 characters"), Outcome.REJECTED),
    ],
)
def test_errors_map_to_outcomes(exc: Exception, outcome: Outcome) -> None:
    assert classify(exc, 5.0).outcome is outcome


async def test_one_run_to_telegram_and_zalo_each_at_its_rate(
    db: Db, fake: BotApiLimits, zalo: FakeZalo
) -> None:
    telegram_chats = await add_subscribers(db.sessions, 60)
    zalo_chats = await add_subscribers(db.sessions, 40, first=ZALO_FIRST, channel="zalo")
    fake.limit = 100
    zalo.rate_limit = 10  # the fake refuses a 12th message in any second: none may be refused
    opts = options(rate=80.0)
    senders = {
        "telegram": TelegramSender(fake.token, fake.base_url, pool_size=opts.max_in_flight + 2),
        "zalo": zalo_sender(zalo, rate=10.0),
    }
    _, report = await announce(db, senders, "Cổng dịch vụ công bảo trì tối nay.", opts)
    assert report.status == "finished" and report.sent == 100
    assert zalo.rate_limited == 0 and fake.rate_limited == 0
    assert Counter(m.chat_id for m in zalo.sent) == Counter(zalo_chats)
    assert set(fake.per_chat()) == set(telegram_chats) and fake.duplicates() == {}
    assert "📢 Cổng dịch vụ công bảo trì tối nay." in zalo.sent[0].text
    assert all(len(m.text) <= 2000 for m in zalo.sent)


async def test_429_backs_off_and_every_subscriber_gets_it_once(db: Db, zalo: FakeZalo) -> None:
    chats = await add_subscribers(db.sessions, 30, first=ZALO_FIRST, channel="zalo")
    zalo.fail_next("sendMessage", 429, http=429)
    zalo.fail_next("sendMessage", 429, http=200)  # ok=false with 429 is the same
    _, report = await announce(db, {"zalo": zalo_sender(zalo, 50.0)}, "Thông báo")
    assert zalo.rate_limited == 2
    assert report.sent == 30
    assert Counter(m.chat_id for m in zalo.sent) == Counter(chats)


async def test_refused_and_unknown_chats_become_inactive(db: Db, zalo: FakeZalo) -> None:
    chats = await add_subscribers(db.sessions, 5, first=ZALO_FIRST, channel="zalo")
    zalo.blocked.add(chats[0])
    zalo.unknown_chats.add(chats[1])
    run_id, report = await announce(db, {"zalo": zalo_sender(zalo, 50.0)}, "Thông báo")
    assert (report.sent, report.blocked) == (3, 2)
    states = await ledger(db.sessions, run_id)
    assert states[chats[0]] == states[chats[1]] == "blocked"
    assert await active_chats(db.sessions) == set(chats[2:])


async def test_too_long_for_zalo_is_refused_before_anything_is_recorded(
    db: Db, zalo: FakeZalo
) -> None:
    service = BroadcastService(db.sessions, options(), {"zalo": zalo_sender(zalo, 5.0)})
    from bot.broadcast.service import BroadcastInputError

    with pytest.raises(BroadcastInputError, match="Zalo"):
        service.check_text("x" * 1990)
    service.check_text("x" * 1500)


async def test_a_refused_token_stops_before_sending(db: Db, zalo: FakeZalo) -> None:
    from bot.broadcast.senders import ChannelError

    sender = ZaloSender("1:wrong-token-value", zalo.base_url, pool_size=2, rate=5.0)
    with pytest.raises(ChannelError, match="ZALO_BOT_TOKEN"):
        await sender.start()
