"""Webhook mode over real HTTP: Telegram's secret header decides what is processed."""

from __future__ import annotations

import io
import socket
from typing import Any

import aiohttp
import pytest

from bot.channels.telegram.runner import TelegramService
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.runtime import Runtime
from tests.channels.telegram.conftest import CITIZEN, context_for, make_settings, start_bot
from tests.fakes.telegram_server import FakeTelegram, private_chat, user

SECRET = "s3cret_Token-42"
OTHER = 888


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": private_chat(user_id),
            "from": user(user_id),
            "text": text,
        },
    }


async def test_webhook_with_right_and_wrong_secrets(fake: FakeTelegram, runtime: Runtime) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    bot = await start_bot(
        fake,
        runtime,
        telegram_webhook_url=url,
        telegram_webhook_secret=SECRET,
        web_host="127.0.0.1",
        web_port=port,
    )
    try:
        assert fake.webhook == {"url": url, "secret_token": SECRET}
        assert bot.server is not None and bot.server.port == port

        # The fake Telegram delivers to the webhook with the secret it was given.
        fake.text(CITIZEN, "quen mat khau dich vu cong")
        (answer,) = await fake.replies(CITIZEN)
        assert answer.text.startswith("Tôi quên mật khẩu")
        assert fake.webhook_deliveries == [200]

        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
                body = update(9001, OTHER, "giá xăng")
                async with http.post(url, json=body, headers=headers) as response:
                    assert response.status == 403
            async with http.post(url, data=b"{not json", headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 400
            await bot.idle()
            assert fake.to(OTHER) == []

            body = update(9002, OTHER, "/lienhe")
            async with http.post(url, json=body, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
            big = io.BytesIO(b"x" * (2 << 20))
            async with http.post(url, data=big, headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 413
        (contacts,) = await fake.replies(OTHER)
        assert "Tổng đài" in contacts.text
    finally:
        await bot.close()
    # The webhook server is gone after a stop.
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http, http.post(url, json={}) as response:
            response.raise_for_status()


def test_a_webhook_needs_a_valid_secret(runtime: Runtime) -> None:
    url = "https://bot.example.gov.vn/telegram"
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramService(make_settings(telegram_webhook_url=url), context_for(runtime))
    with pytest.raises(ValueError, match="A-Z"):
        TelegramService(
            make_settings(telegram_webhook_url=url, telegram_webhook_secret="có dấu"),
            context_for(runtime),
        )
