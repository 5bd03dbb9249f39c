"""Bad input from the issue: markup, huge and broken bodies, floods, forged origins.

Each gets a clear 4xx or a sensible reply; nothing crashes and the next visitor is answered.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text

from bot.channels.web import texts as web_texts
from bot.core import assistant as assistant_module
from bot.core import texts as core_texts
from bot.storage.web_chat_models import WebChatRateRow
from tests.channels.web.conftest import PORTAL, ChatEnv, MakeEnv

MARKUP = '<script>alert(1)</script> "><img src=x onerror=alert(1)> dang ky tai khoan dvc'


async def still_answers(env: ChatEnv) -> None:
    data = await env.ask("quen mat khau dich vu cong")
    assert data["reply"]["faq_id"] == "account.forgot_password"


async def raw_post(env: ChatEnv, body: bytes, **headers: str) -> tuple[int, dict[str, str]]:
    headers.setdefault("Content-Type", "application/json")
    async with env.client.post("/api/chat", data=body, headers=headers) as response:
        payload = await response.json()
        assert set(payload) == {"error", "message"}
        assert payload["message"]  # a sentence the page can show
        return response.status, payload


async def test_markup_in_a_question_is_kept_as_text(env: ChatEnv) -> None:
    data = await env.ask(MARKUP)
    assert data["reply"]["outcome"] in ("answered", "ambiguous", "no_match")
    history = await env.history(data["session"])
    assert history["messages"][0]["text"] == MARKUP
    await still_answers(env)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"x" * 100_000, 413),
        (json.dumps({"text": "a" * 16_400}).encode(), 413),
        (b"{not json", 400),
        (b"", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b'["text", "hi"]', 400),
        (b'"hi"', 400),
        (b'{"text": 12}', 400),
        (b'{"text": null}', 400),
        (b'{"text": "hi", "choice": "menu"}', 400),
        (b'{"session": []}', 400),
        (b'{"text": "hi", "session": 42}', 400),
        (b'{"choice": {"id": "menu"}}', 400),
    ],
)
async def test_broken_bodies_get_a_clear_4xx(env: ChatEnv, body: bytes, status: int) -> None:
    got, payload = await raw_post(env, body)
    assert got == status, payload
    if status == 413:
        assert payload["message"] == web_texts.TOO_LARGE
    await still_answers(env)


async def test_a_body_without_length_is_cut_at_the_limit(env: ChatEnv) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 10_000

    async with env.client.post("/api/chat", data=chunks()) as response:
        assert response.status == 413
    await still_answers(env)


async def test_a_long_question_within_the_limit_is_answered(env: ChatEnv) -> None:
    letter = "Kính gửi Quý cơ quan, " + "tôi xin hỏi về thủ tục. " * 250 + "quên mật khẩu dvc"
    assert len(json.dumps({"text": letter}).encode()) < 16 * 1024
    assert len(letter) > env.storage.settings.max_input_chars
    data = await env.ask(letter)
    assert data["reply"]["text"]
    stored = (await env.history(data["session"]))["messages"][0]["text"]
    assert len(stored) <= env.storage.settings.max_input_chars


async def test_a_flood_from_one_address_is_refused_with_429(make_env: MakeEnv) -> None:
    env = await make_env(web_rate_per_ip=5, web_rate_per_session=100)
    for _ in range(5):
        await env.ask("cảm ơn")  # each without a session: five new visitors, one address
    async with env.client.post("/api/chat", json={"text": "cảm ơn"}) as response:
        assert response.status == 429
        assert int(response.headers["Retry-After"]) >= 1
        assert (await response.json())["message"] == web_texts.RATE_LIMITED
    sessions = await env.chat.store.count_sessions()
    assert sessions == 5  # a refused request opens no session
    env.clock.advance(seconds=61)
    await still_answers(env)


async def test_one_visitor_is_limited_without_blocking_others(make_env: MakeEnv) -> None:
    env = await make_env(web_rate_per_session=3)
    session = (await env.ask("cảm ơn"))["session"]
    await env.ask("cảm ơn", session)
    await env.choose("menu", session)
    status, payload = await env.post({"text": "cảm ơn", "session": session})
    assert status == 429 and payload["error"] == "rate_limited"
    await still_answers(env)  # another visitor behind the same address


async def test_a_request_refused_for_its_address_still_counts_against_its_session(
    make_env: MakeEnv,
) -> None:
    # Address and session counters are one upsert: the refused request is counted on both.
    env = await make_env(web_rate_per_ip=2, web_rate_per_session=2)
    session = (await env.ask("cảm ơn"))["session"]
    await env.ask("cảm ơn", session)
    status, _ = await env.post({"text": "cảm ơn", "session": session})
    assert status == 429  # the address's third request
    assert await env.chat.store.count_sessions() == 1  # and it opened nothing
    async with env.storage.session_factory() as db:
        counted = await db.scalar(
            select(WebChatRateRow.count).where(WebChatRateRow.key.startswith("s:"))
        )
    assert counted == 3
    env.clock.advance(seconds=61)  # both windows end: the session is let in again
    assert (await env.ask("cảm ơn", session))["session"] == session


async def test_limits_are_shared_by_every_process(make_env: MakeEnv) -> None:
    first = await make_env(web_rate_per_ip=4)
    second = await make_env(web_rate_per_ip=4)  # another process on the same database
    second.clock.now = first.clock.now
    for env in (first, second, first, second):
        await env.ask("cảm ơn")
    for env in (first, second):
        status, _ = await env.post({"text": "cảm ơn"})
        assert status == 429


async def test_a_disallowed_origin_is_refused(env: ChatEnv) -> None:
    evil = {"Origin": "https://evil.example"}
    status, payload = await env.post({"text": "cảm ơn"}, **evil)
    assert status == 403 and payload["error"] == "origin_not_allowed"
    async with env.client.get("/api/chat/history", params={"session": "x"}, headers=evil) as r:
        assert r.status == 403
        assert "Access-Control-Allow-Origin" not in r.headers
    async with env.client.options("/api/chat", headers=evil) as r:
        assert r.status == 403
    for origin in ("null", "https://dichvucong.example.gov.vn.evil.example", PORTAL + ":8443"):
        status, _ = await env.post({"text": "cảm ơn"}, Origin=origin)
        assert status == 403, origin


async def test_allowed_and_own_origins(env: ChatEnv) -> None:
    async with env.client.post(
        "/api/chat", json={"text": "cảm ơn"}, headers={"Origin": PORTAL}
    ) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == PORTAL
        assert response.headers["Vary"] == "Origin"
    async with env.client.options(
        "/api/chat",
        headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST"},
    ) as response:
        assert response.status == 204
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    own = str(env.client.make_url("")).rstrip("/")
    async with env.client.post(
        "/api/chat", json={"text": "cảm ơn"}, headers={"Origin": own}
    ) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_nothing_personal_at_rest(env: ChatEnv) -> None:
    question = "sdt cua toi 0912345678, cccd 012345678901, email an.nguyen@example.com quen mk"
    data = await env.ask(question)
    stored = (await env.history(data["session"]))["messages"][0]["text"]
    for secret in ("0912345678", "012345678901", "an.nguyen@example.com"):
        assert secret not in stored
    assert "[SĐT]" in stored and "[EMAIL]" in stored
    await env.runtime.assistant.bookkeeping.drain()
    async with env.storage.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT text FROM web_chat_messages"))).scalars().all()
        keys = (await conn.execute(text("SELECT key FROM web_chat_sessions"))).scalars().all()
        users = (await conn.execute(text("SELECT user_id FROM conversations"))).scalars().all()
    dump = "\n".join(rows)
    assert not re.search(r"0912345678|012345678901|an\.nguyen", dump)
    assert data["session"] not in keys  # only the token's hash is stored
    assert users and data["session"] not in users  # logs know the visitor by a hash too


async def test_a_question_is_redacted_once_for_history_and_assistant(
    env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    again: list[str] = []
    monkeypatch.setattr(assistant_module, "redact", lambda value: again.append(value) or value)
    question = "sdt cua toi 0912345678 quen mat khau"
    data = await env.ask(question)
    assert again == []  # the web chat's redaction is the one the assistant reads
    assert core_texts.PERSONAL_DATA_REMINDER in data["reply"]["text"]  # it saw a [SĐT]
    stored = (await env.history(data["session"]))["messages"][0]["text"]
    await env.runtime.assistant.bookkeeping.drain()
    async with env.storage.engine.connect() as conn:
        logged = (await conn.execute(text("SELECT text FROM conversations"))).scalars().all()
    assert "0912345678" not in stored and logged == [stored]
