"""The Zalo client against the fake Bot API: envelope, errors, long polling, no token in logs."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.channels.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from tests.fakes.zalo_server import BOT_ID, TOKEN, FakeZalo


@pytest.fixture
async def client(fake: FakeZalo) -> AsyncIterator[ZaloClient]:
    zalo = ZaloClient(TOKEN, fake.base_url)
    yield zalo
    await zalo.close()


async def test_get_me_and_send_message(fake: FakeZalo, client: ZaloClient) -> None:
    me = await client.get_me()
    assert me["id"] == BOT_ID
    result = await client.send_message("u1", "Xin chào")
    assert result["message_id"] == "z1"
    await client.send_chat_action("u1")
    assert [(m.chat_id, m.text) for m in fake.sent] == [("u1", "Xin chào")]
    assert fake.actions == [("u1", "typing")]
    assert fake.calls[1] == ("sendMessage", {"chat_id": "u1", "text": "Xin chào"})


async def test_texts_outside_one_to_two_thousand_characters_are_refused_before_sending(
    fake: FakeZalo, client: ZaloClient
) -> None:
    for text in ("", "x" * 2001):
        with pytest.raises(ValueError, match="1-2000"):
            await client.send_message("u1", text)
    assert fake.calls == []
    await client.send_message("u1", "x" * 2000)
    assert len(fake.sent[0].text) == 2000


async def test_ok_false_with_http_200_is_an_error(fake: FakeZalo, client: ZaloClient) -> None:
    fake.fail_next("sendMessage", 400, text="Bad request: something")
    with pytest.raises(ZaloError) as caught:
        await client.send_message("u1", "hi")
    assert caught.value.error_code == 400
    assert "something" in caught.value.description
    assert fake.sent == []


@pytest.mark.parametrize(
    ("code", "http", "kind"),
    [
        (429, 429, ZaloRateLimited),
        (429, 200, ZaloRateLimited),
        (401, 401, ZaloUnauthorized),
        (403, 403, ZaloForbidden),
        (500, 500, ZaloServerError),
    ],
)
async def test_errors_map_to_types(
    fake: FakeZalo, client: ZaloClient, code: int, http: int, kind: type[ZaloError]
) -> None:
    fake.fail_next("sendMessage", code, http=http)
    with pytest.raises(kind):
        await client.send_message("u1", "hi")


async def test_a_wrong_token_says_what_to_do(fake: FakeZalo) -> None:
    client = ZaloClient("1:wrong-token-value", fake.base_url)
    try:
        with pytest.raises(ZaloUnauthorized, match="wrong or was reset"):
            await client.get_me()
    finally:
        await client.close()


async def test_rate_limited_carries_retry_after(fake: FakeZalo, client: ZaloClient) -> None:
    fake.fail_next("sendMessage", 429, http=429)
    with pytest.raises(ZaloRateLimited) as caught:
        await client.send_message("u1", "hi")
    assert caught.value.retry_after >= 1.0
    assert "Quota exceeded" in str(caught.value)


async def test_long_poll_returns_one_update_or_none(fake: FakeZalo, client: ZaloClient) -> None:
    assert await client.get_update(0) is None
    waiting = asyncio.ensure_future(client.get_update(5))
    await asyncio.sleep(0)
    fake.text("u1", "một")
    fake.text("u1", "hai")
    first = await waiting
    assert first["message"]["text"] == "một"
    second = await client.get_update(5)
    assert second["message"]["text"] == "hai"


async def test_webhook_methods(fake: FakeZalo, client: ZaloClient) -> None:
    with pytest.raises(ValueError, match="8-256"):
        await client.set_webhook("https://example.org/zalo", "short")
    await client.set_webhook("https://example.org/zalo", "s" * 8)
    info = await client.get_webhook_info()
    assert info["url"] == "https://example.org/zalo"
    with pytest.raises(ZaloError, match="Webhook is set"):
        await client.get_update(0)
    await client.delete_webhook()
    assert fake.webhook is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_token_never_appears_in_errors_or_logs(
    fake: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_part = TOKEN.split(":", 1)[1]
    refused = ZaloClient(TOKEN, f"http://127.0.0.1:{_free_port()}/bot")
    garbage = ZaloClient(TOKEN, f"http://127.0.0.1:{fake.port}/nothing-here/bot")
    texts: list[str] = []
    try:
        with pytest.raises(ZaloNetworkError) as not_sent:
            await refused.get_me()
        assert not_sent.value.maybe_sent is False
        texts.append(repr(not_sent.value) + str(not_sent.value))
        assert not_sent.value.__cause__ is None and not_sent.value.__suppress_context__
        with pytest.raises(ZaloError) as not_found:
            await garbage.get_me()
        texts.append(repr(not_found.value) + str(not_found.value))
        logging.getLogger("test").exception("as a handler would log it", exc_info=not_sent.value)
    finally:
        await refused.close()
        await garbage.close()
    texts.append(caplog.text)
    for text in texts:
        assert secret_part not in text


async def test_the_fake_takes_parameters_as_forms_and_query_strings_as_zalo_does(
    fake: FakeZalo,
) -> None:
    """Zalo takes a call's parameters as JSON, a form or the query string; the platform's SDK
    (python-zalo-bot, the bench's reference) posts urlencoded forms with every value a string."""
    fake.text("u7", "một câu hỏi")
    prefix = f"{fake.base_url}{TOKEN}/"
    async with aiohttp.ClientSession() as http:
        async with http.post(prefix + "getUpdates", data={"timeout": "30"}) as response:
            polled = await response.json()
        form = {"chat_id": "u7", "text": "trả lời"}
        async with http.post(prefix + "sendMessage", data=form) as response:
            sent = await response.json()
        async with http.get(prefix + "getMe") as response:
            me = await response.json()
        async with http.post(prefix + "sendMessage", data=b"{not json") as response:
            refused = response.status
    assert polled["ok"] and polled["result"]["message"]["text"] == "một câu hỏi"
    assert sent["ok"] and [(m.chat_id, m.text) for m in fake.sent] == [("u7", "trả lời")]
    assert me["result"]["id"] == BOT_ID
    assert refused == 400
    assert [call for call, _ in fake.calls] == ["getUpdates", "sendMessage", "getMe"]
    assert fake.calls[0][1] == {"timeout": "30"}
