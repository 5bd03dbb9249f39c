"""Retries with backoff, RetryAfter honoured, and no duplicate answers after a timeout."""

from __future__ import annotations

import logging

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.request import RetryingRequest
from tests.fakes.telegram_server import TOKEN, FakeTelegram


def make_bot(base_url: str, **request: float) -> Bot:
    req = RetryingRequest(backoff=0.01, **request)  # type: ignore[arg-type]
    return Bot(TOKEN, base_url=base_url, request=req, get_updates_request=RetryingRequest())


async def test_retry_after_is_waited_out(fake: FakeTelegram) -> None:
    fake.chat_rate_limit = 1
    async with make_bot(fake.base_url) as bot:
        await bot.send_message(5, "một")
        await bot.send_message(5, "hai")
    assert [m.text for m in fake.to(5)] == ["một", "hai"]
    assert [code for _, code, _ in fake.errors] == [429]


async def test_a_long_ban_is_reported_not_waited(fake: FakeTelegram) -> None:
    fake.chat_rate_limit, fake.retry_after = 1, 120
    async with make_bot(fake.base_url) as bot:
        await bot.send_message(5, "một")
        with pytest.raises(RetryAfter):
            await bot.send_message(5, "hai")


async def test_server_errors_are_retried_for_repeatable_calls(fake: FakeTelegram) -> None:
    fake.scripted["sendChatAction"] = [500, 502]
    async with make_bot(fake.base_url) as bot:
        assert await bot.send_chat_action(5, "typing")
    assert len(fake.called("sendChatAction")) == 3


async def test_a_send_is_not_repeated_after_a_timeout(fake: FakeTelegram) -> None:
    fake.hold_sends_after = 0  # Telegram got the message and never answers: a timeout, always
    async with make_bot(fake.base_url, read_timeout=0.1) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(5, "chỉ một lần")
    assert len(fake.called("sendMessage")) == 1 and fake.held == 1


async def test_connection_refused_is_retried_with_backoff(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "bot.channels.telegram.request")
    async with make_bot(fake.base_url) as bot:
        await fake.stop()  # Telegram goes away after getMe
        with pytest.raises(NetworkError):
            await bot.send_chat_action(5, "typing")  # repeatable: retried whatever the error
        retries = [r for r in caplog.records if "retry" in r.getMessage()]
        assert len(retries) == 2
        # Connection refused: the message never left, so even a send is tried again.
        with pytest.raises(NetworkError):
            await bot.send_message(5, "xin chào")
    retries = [r for r in caplog.records if "sendMessage failed" in r.getMessage()]
    assert len(retries) == 2


async def test_the_aiohttp_backend_needs_initializing_and_shuts_down_cleanly() -> None:
    from bot.channels.telegram.transport import AiohttpRequest

    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot1:x/getMe", "POST")
    async with request:
        assert request.read_timeout == 10.0
    await request.shutdown()  # twice is harmless
