"""POST /api/chat and GET /api/chat/history: the contract, choices, feedback and history."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.web import texts as web_texts
from bot.core import texts
from bot.storage.models import FeedbackRow
from tests.channels.web.conftest import ChatEnv, MakeEnv
from tests.channels.web.support import HOSTILE_ID

QUESTION = "dang ky tai khoan dich vu cong quoc gia o dau"  # no diacritics, as phones type


def ids(data: dict[str, object]) -> list[str]:
    reply = data["reply"]
    assert isinstance(reply, dict)
    return [c["id"] for c in reply["choices"]]


async def test_a_question_gets_the_contract_reply(env: ChatEnv) -> None:
    data = await env.ask(QUESTION)
    assert set(data) == {"session", "reply"}
    assert isinstance(data["session"], str) and len(data["session"]) >= 32
    reply = data["reply"]
    assert set(reply) == {"text", "outcome", "faq_id", "choices"}
    assert reply["outcome"] == "answered" and reply["faq_id"] == "account.register"
    assert "VNeID" in reply["text"]
    assert all(set(c) == {"id", "label"} for c in reply["choices"])
    assert "faq:account.login_vneid" in ids(data)
    # Feedback is a choice like any other.
    assert ids(data)[-2:] == ["fb:1:account.register", "fb:0:account.register"]
    assert reply["choices"][-1]["label"] == texts.FEEDBACK_DOWN


async def test_outcomes_map_onto_the_contract(env: ChatEnv) -> None:
    ambiguous = await env.ask("tai khoan")
    assert ambiguous["reply"]["outcome"] == "ambiguous"
    assert ambiguous["reply"]["faq_id"] is None
    assert texts.DID_YOU_MEAN_HINT in ambiguous["reply"]["text"]
    missed = await env.ask("nuoi chim yen o phuong", ambiguous["session"])
    assert missed["reply"]["outcome"] == "no_match"
    assert missed["session"] == ambiguous["session"]
    thanks = await env.ask("cảm ơn", missed["session"])
    assert thanks["reply"]["outcome"] == "other"


async def test_a_visitor_who_cannot_type_gets_the_topic_menu(env: ChatEnv) -> None:
    start = await env.choose("start", None)
    assert start["reply"]["text"].startswith("Xin chào")
    topics = ids(start)
    assert topics and all(t.startswith("cat:") for t in topics)
    category = await env.choose(topics[0], start["session"])
    questions = ids(category)
    assert questions[0].startswith("faq:")
    answer = await env.choose(questions[0], start["session"])
    assert answer["reply"]["outcome"] == "answered"
    assert answer["reply"]["faq_id"] == questions[0].removeprefix("faq:")
    menu = await env.choose("menu", answer["session"])
    assert ids(menu) == topics


async def test_choices_feedback_and_history(env: ChatEnv) -> None:
    first = await env.ask(QUESTION)
    session = first["session"]
    related = await env.choose("faq:account.login_vneid", session)
    assert related["reply"]["faq_id"] == "account.login_vneid"
    down = await env.choose("fb:0:account.login_vneid", session)
    assert down["reply"]["outcome"] == "other"
    assert down["reply"]["text"].startswith("Cảm ơn bạn đã cho biết")
    assert ids(down) == ["cmt:account.login_vneid"]
    await env.runtime.assistant.bookkeeping.drain()
    async with env.storage.session_factory() as db:
        rows = list(await db.scalars(select(FeedbackRow)))
    assert [(r.faq_id, r.helpful) for r in rows] == [("account.login_vneid", False)]

    history = await env.history(session)
    assert history["session"] == session
    shown = [(m["role"], m["text"][:30]) for m in history["messages"]]
    assert [role for role, _ in shown] == ["visitor", "assistant"] * 3
    assert history["messages"][0]["text"] == QUESTION
    assert history["messages"][2]["text"] == related_label(first, "faq:account.login_vneid")
    assert history["messages"][4]["text"] == texts.FEEDBACK_DOWN
    last = history["messages"][-1]
    assert last["choices"] == down["reply"]["choices"] and last["outcome"] == "other"
    assert history["messages"][1]["faq_id"] == "account.register"


def related_label(data: dict[str, object], choice: str) -> str:
    reply = data["reply"]
    assert isinstance(reply, dict)
    return next(str(c["label"]) for c in reply["choices"] if c["id"] == choice)


async def test_a_choice_never_offered_gets_a_sensible_reply(env: ChatEnv) -> None:
    session = (await env.ask("cảm ơn"))["session"]
    for forged in (
        "fb:1:account.register",  # real shape, but never offered in this session
        "faq:account.register",
        "cat:../../etc/passwd",
        "💥",
        "x" * 500,
        "",
    ):
        data = await env.choose(forged, session)
        assert data["session"] == session
        assert data["reply"]["text"] == web_texts.STALE_CHOICE, forged
        assert data["reply"]["outcome"] == "other"
        assert ids(data) == ["menu"]
    await env.runtime.assistant.bookkeeping.drain()
    async with env.storage.session_factory() as db:
        assert list(await db.scalars(select(FeedbackRow))) == []


async def test_an_unknown_or_forged_session_gets_a_fresh_one(env: ChatEnv) -> None:
    real = (await env.ask(QUESTION))["session"]
    for forged in ("A" * 32, real[:-1] + ("a" if real[-1] != "a" else "b"), "<script>", "x"):
        data = await env.ask(QUESTION, forged)
        assert data["session"] not in (forged, real)
        assert data["reply"]["faq_id"] == "account.register"
        assert (await env.history(forged)) == {"session": None, "messages": []}
    assert len((await env.history(real))["messages"]) == 2  # untouched


async def test_expired_sessions_start_over(env: ChatEnv) -> None:
    session = (await env.ask(QUESTION))["session"]
    env.clock.advance(days=31)
    assert (await env.history(session))["session"] is None
    data = await env.ask(QUESTION, session)
    assert data["session"] != session


async def test_tips_subscriptions_are_never_offered_here(env: ChatEnv) -> None:
    first = await env.ask(QUESTION)
    session = first["session"]
    up = await env.choose("fb:1:account.register", session)
    assert up["reply"]["text"] == texts.FEEDBACK_THANKS
    assert ids(up) == []  # the core offers weekly tips after 👍: not on the web
    typed = await env.ask("/subscribe", session)
    assert "Telegram" in typed["reply"]["text"] and "Zalo" in typed["reply"]["text"]
    assert (await env.choose("sub", session))["reply"]["text"] == web_texts.STALE_CHOICE
    assert await env.storage.subscriptions.active(channel="web") == []


async def test_tips_links_come_from_settings(make_env: MakeEnv) -> None:
    env = await make_env(web_telegram_link="https://t.me/dvc_demo_bot")
    typed = await env.ask("/subscribe")
    assert "https://t.me/dvc_demo_bot" in typed["reply"]["text"]


async def test_erasure_clears_the_page_history(env: ChatEnv) -> None:
    session = (await env.ask(QUESTION))["session"]
    confirm = await env.ask("/xoadulieu", session)
    yes = next(c for c in ids(confirm) if c.endswith(":yes"))
    erased = await env.choose(yes, session)
    assert erased["reply"]["text"] == texts.ERASED
    assert (await env.history(session))["messages"] == []


async def test_knowledge_markup_is_data_not_markup(env: ChatEnv) -> None:
    data = await env.ask("ma doc thu nghiem xuat hien the nao")
    assert data["reply"]["faq_id"] == HOSTILE_ID
    # The API returns text; the page puts it in with textContent (tests/channels/web browser).
    assert "<script>window.__pwned=1</script>" in data["reply"]["text"]
    async with env.client.post("/api/chat", json={"text": "x", "session": None}) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


async def test_answers_go_on_while_the_database_is_away(env: ChatEnv) -> None:
    async def unavailable(*args: object) -> None:
        raise ConnectionError("database restarting")

    env.chat.store.admit = unavailable  # type: ignore[method-assign,assignment]
    data = await env.ask(QUESTION)
    assert data["reply"]["faq_id"] == "account.register"
    assert isinstance(data["session"], str)  # kept by the page; nothing stored meanwhile
    again = await env.ask(QUESTION, data["session"])
    assert again["session"] == data["session"]
    # Without the session's record no choice is known: only the safe ones act.
    assert (await env.choose("fb:0:account.register", data["session"]))["reply"]["text"] == (
        web_texts.STALE_CHOICE
    )
    assert ids(await env.choose("menu", data["session"]))[0].startswith("cat:")
