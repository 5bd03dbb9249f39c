"""Sessions a process knows alive (LiveSessions): a question in one reads no session row; a
choice, an unknown token and a session opened by another process still go to the database.
Two ChatEnvs on one database stand for two web processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.channels.web import texts as web_texts
from bot.core import texts
from bot.storage.web_chat import Admission
from tests.channels.web.conftest import ChatEnv, MakeEnv

QUESTION = "dang ky tai khoan dich vu cong quoc gia o dau"


@contextmanager
def session_reads(env: ChatEnv) -> Iterator[list[str]]:
    """The SELECTs on the sessions table this environment's engine runs meanwhile."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        lowered = statement.lower()
        if lowered.lstrip().startswith("select") and "from web_chat_sessions" in lowered:
            seen.append(statement)

    engine = env.storage.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def choice_ids(data: dict[str, Any]) -> list[str]:
    return [c["id"] for c in data["reply"]["choices"]]


async def test_a_question_in_a_known_session_reads_no_session_row(env: ChatEnv) -> None:
    session = (await env.ask(QUESTION))["session"]
    store = env.chat.store
    with session_reads(env) as reads:
        admitted = await store.admit(Admission(session, "10.0.0.1", choosing=False))
    assert admitted.token == session and not admitted.fresh
    assert reads == []
    with session_reads(env) as reads:
        chosen = await store.admit(Admission(session, "10.0.0.1", choosing=True))
    # A choice is checked against the choices the session's stored replies offered (whichever
    # process recorded them), read from its messages: the session row is not needed either.
    assert reads == []
    assert ("fb:0:account.register", texts.FEEDBACK_DOWN) in chosen.offered


async def test_a_session_opened_by_another_process_is_accepted(make_env: MakeEnv) -> None:
    first = await make_env()
    second = await make_env()
    second.clock.now = first.clock.now
    opened = await first.ask(QUESTION)
    session = opened["session"]
    # Unknown to the second process: looked up, found, answered in the same session.
    again = await second.ask(QUESTION, session)
    assert again["session"] == session
    # A choice the first process offered is accepted by the second, then the other way round.
    related = await second.choose("faq:account.login_vneid", session)
    assert related["reply"]["faq_id"] == "account.login_vneid"
    down = await first.choose(choice_ids(related)[-1], session)
    assert down["reply"]["text"].startswith("Cảm ơn bạn đã cho biết")
    history = await first.history(session)
    assert [m["role"] for m in history["messages"]] == ["visitor", "assistant"] * 4


async def test_forged_tokens_stay_refused_while_real_ones_are_cached(env: ChatEnv) -> None:
    real = (await env.ask(QUESTION))["session"]
    assert (await env.ask(QUESTION, real))["session"] == real  # now known alive here
    for forged in ("A" * 32, real[:-1] + ("a" if real[-1] != "a" else "b")):
        data = await env.ask(QUESTION, forged)
        assert data["session"] not in (forged, real)
        # Nor does a refused token become known: asked again, it is refused again.
        assert (await env.ask(QUESTION, forged))["session"] not in (forged, real)


async def test_a_known_session_still_expires(env: ChatEnv) -> None:
    session = (await env.ask(QUESTION))["session"]
    env.clock.advance(days=29)
    assert (await env.ask(QUESTION, session))["session"] == session  # seen again: 30 more days
    env.clock.advance(days=29)
    assert (await env.ask(QUESTION, session))["session"] == session
    env.clock.advance(days=31)
    assert (await env.ask(QUESTION, session))["session"] != session


async def test_a_session_purged_by_another_process_is_forgotten(make_env: MakeEnv) -> None:
    first = await make_env()
    second = await make_env()
    session = (await first.ask(QUESTION))["session"]
    # The other process's clock runs ahead: to it the session has expired, and it purges it.
    second.clock.now = first.clock.now
    second.clock.advance(days=31)
    await second.chat.store.purge()
    # This process still thinks it alive: the answer comes, its record finds no session row
    # and forgets the key, so the next question opens a fresh session.
    assert (await first.ask(QUESTION, session))["session"] == session
    assert (await first.ask(QUESTION, session))["session"] != session


async def test_a_choice_never_offered_is_refused_in_a_known_session(env: ChatEnv) -> None:
    session = (await env.ask("cảm ơn"))["session"]
    await env.ask("cảm ơn", session)  # known alive in this process from here on
    data = await env.choose("fb:1:account.register", session)
    assert data["reply"]["text"] == web_texts.STALE_CHOICE
