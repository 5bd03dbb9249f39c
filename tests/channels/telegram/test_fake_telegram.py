"""The fake Bot API refuses what Telegram refuses, so the end-to-end tests have teeth."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.fakes.telegram_html import HtmlError, parse_html
from tests.fakes.telegram_server import FakeTelegram


@pytest.mark.parametrize(
    "html",
    [
        "<b>bold",
        "<b><i>x</b></i>",
        "<script>x</script>",
        "a < b",
        "Tom & Jerry",
        "&nbsp;",
        "&#39;",
        "<b>x</b></b>",
    ],
)
def test_bad_html_is_refused(html: str) -> None:
    with pytest.raises(HtmlError, match="Can't parse entities"):
        parse_html(html)


def test_good_html_gives_the_visible_text() -> None:
    assert parse_html('<b>a</b> &lt;b&gt; &amp; &quot;<a href="https://x.vn">y</a>') == (
        'a <b> & "y'
    )


async def call(fake: FakeTelegram, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{fake.base_url}{fake.token}/{method}", data=form) as response,
    ):
        return response.status, await response.json()


async def test_refusals_like_telegram(fake: FakeTelegram) -> None:
    assert (await call(fake, "sendMessage", chat_id="1", text="x" * 4097))[0] == 400
    assert (await call(fake, "sendMessage", chat_id="1", text="x" * 4096))[0] == 200
    long_markup = "<b>" + "x" * 4096 + "</b>"
    assert (await call(fake, "sendMessage", chat_id="1", text=long_markup, parse_mode="HTML"))[
        0
    ] == 200
    assert (await call(fake, "sendMessage", chat_id="1", text="<b>x", parse_mode="HTML"))[0] == 400
    button = {"inline_keyboard": [[{"text": "a", "callback_data": "đ" * 33}]]}
    status, body = await call(fake, "sendMessage", chat_id="1", text="x", reply_markup=button)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    fake.blocked.add(2)
    assert (await call(fake, "sendMessage", chat_id="2", text="x"))[0] == 403
    fake.chat_rate_limit = 1
    await call(fake, "sendMessage", chat_id="3", text="x")
    status, body = await call(fake, "sendMessage", chat_id="3", text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    async with aiohttp.ClientSession() as http, http.post(f"{fake.base_url}1:wrong/getMe") as r:
        assert r.status == 401
    assert (await call(fake, "noSuchMethod"))[0] == 404


async def test_updates_follow_offsets_and_long_polling(fake: FakeTelegram) -> None:
    first = fake.text(1, "một")
    fake.text(1, "hai")
    _, body = await call(fake, "getUpdates", timeout="0")
    assert [u["update_id"] for u in body["result"]] == [first, first + 1]
    _, body = await call(fake, "getUpdates", offset=str(first + 1), timeout="0")
    assert [u["update_id"] for u in body["result"]] == [first + 1]
    _, body = await call(fake, "getUpdates", offset=str(first + 2), timeout="0.05")
    assert body["result"] == []
    assert fake.highest_offset == first + 2


async def test_a_second_poller_ends_the_first_with_409() -> None:
    fake = FakeTelegram()
    await fake.start()
    try:
        first = asyncio.ensure_future(call(fake, "getUpdates", timeout=30))
        await fake.wait_for(lambda: fake.polling == 1)
        second = asyncio.ensure_future(call(fake, "getUpdates", timeout=30))
        status, body = await first
        assert status == 409 and "terminated by other getUpdates" in body["description"]
        assert fake.conflicts == 1
        fake.text(501, "xin chào")
        status, body = await second
        assert status == 200 and len(body["result"]) == 1
    finally:
        await fake.stop()
