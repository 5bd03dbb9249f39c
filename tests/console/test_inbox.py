"""The inbox: a citizen's unanswered question, its top guesses, and one-click fixes."""

from __future__ import annotations

import html

from bot.console.usage import UsageRepository
from bot.core.messages import Outcome
from tests.console.conftest import ConsoleEnv

MISSED = "cho em hỏi cách đăng ký nuôi chim yến ở phường"


async def _missed(env: ConsoleEnv, text: str = MISSED) -> int:
    reply = await env.ask(text)
    assert reply.outcome in (Outcome.NO_MATCH, Outcome.AMBIGUOUS), reply
    await env.storage.writer.drain()
    item = next(i for i in await env.storage.inbox.items() if i.text == text)
    return item.id


async def test_an_unanswered_question_shows_with_top_guesses_and_one_click_answers_it(
    env: ConsoleEnv,
) -> None:
    item = await _missed(env)
    staff = await env.staff("lan", "editor")
    page = await staff.get("/staff/inbox")
    assert html.escape(MISSED) in page.text and f'id="item-{item}"' in page.text
    assert page.text.count(f'action="/staff/inbox/{item}/promote"') == 1
    done = await staff.post(f"/staff/inbox/{item}/promote", {"faq_id": "account.register"})
    assert done.status == 200 and "trả lời được câu này sau vài giây" in done.text
    entry = await env.storage.knowledge.get("account.register")
    assert entry is not None and MISSED in entry.alternates
    reply = await env.ask(MISSED, user="citizen-2")
    assert reply.outcome == Outcome.ANSWERED and reply.faq_id == "account.register"
    history = await env.storage.knowledge.history("account.register")
    assert history[-1].actor == "web:lan" and history[-1].action == "inbox.promote"
    again = await staff.post(f"/staff/inbox/{item}/promote", {"faq_id": "account.register"})
    assert again.status == 409 and "web:lan" in again.text


async def test_markup_in_a_citizen_question_is_shown_as_text(env: ConsoleEnv) -> None:
    probe = '<script>alert("x")</script><img src=x onerror=alert(1)> nuôi chim yến'
    await _missed(env, probe)
    staff = await env.staff("lan", "viewer")
    page = await staff.get("/staff/inbox")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


async def test_a_new_draft_from_a_question_and_dismissing_another(env: ConsoleEnv) -> None:
    first = await _missed(env)
    second = await _missed(env, "hỏi thăm giá vé xem bóng đá")
    staff = await env.staff("lan", "editor")
    drafted = await staff.post(f"/staff/inbox/{first}/draft", {"category": "proc"})
    assert drafted.status == 200 and "/staff/knowledge/proc." in drafted.url
    faq_id = drafted.url.rsplit("/", 1)[1].split("?")[0]
    entry = await env.storage.knowledge.get(faq_id)
    assert entry is not None and entry.status == "draft" and entry.question == MISSED
    dismissed = await staff.post(f"/staff/inbox/{second}/dismiss")
    assert "Đã bỏ qua" in dismissed.text
    open_ids = {i.id for i in await env.storage.inbox.items()}
    assert first not in open_ids and second not in open_ids


async def test_most_asked_first_and_kind_filter(env: ConsoleEnv) -> None:
    rare = await _missed(env, "hỏi về lễ hội đua ghe ngo")
    often = await _missed(env, "hỏi về thủ tục nuôi cá sấu")
    for n in range(3):
        await env.ask("hỏi về thủ tục nuôi cá sấu", user=f"c{n}")
    await env.storage.writer.drain()
    staff = await env.staff("lan", "viewer")
    page = (await staff.get("/staff/inbox?sort=frequent")).text
    assert page.index(f'id="item-{often}"') < page.index(f'id="item-{rare}"')
    page = (await staff.get("/staff/inbox?sort=new")).text
    assert page.index(f'id="item-{often}"') < page.index(f'id="item-{rare}"')
    filtered = (await staff.get("/staff/inbox?kind=negative_feedback")).text
    assert f'id="item-{often}"' not in filtered


async def test_overview_counts_carry_their_denominators(env: ConsoleEnv) -> None:
    await env.ask("quên mật khẩu dịch vụ công")
    await _missed(env)
    await env.storage.writer.drain()
    staff = await env.staff("lan", "viewer")
    page = await staff.get("/staff?days=7")
    assert page.status == 200 and "<svg" in page.text and "Bảng số liệu" in page.text
    usage = await UsageRepository(env.storage.session_factory, env.storage.settings.timezone).usage(
        7, env.clock()
    )
    total = usage.totals
    assert total.questions == 2 and total.answered + total.ambiguous + total.no_match == 2
    assert f"{total.no_match} / 2" in page.text
    assert html.escape(MISSED) in page.text


async def test_wordings_citizens_resolved_by_picking_are_suggested_and_adopted(
    env: ConsoleEnv,
) -> None:
    from bot.core.messages import IncomingMessage, Reply
    from bot.core.ports import LoggedExchange

    wording = "làm lại cái tk dvc"
    for user in ("a", "b", "c"):
        message = IncomingMessage(
            "telegram", user, user, text=wording, action="pick:account.register"
        )
        reply = Reply("…", Outcome.ANSWERED, faq_id="account.register", confidence=0.5)
        await env.storage.conversations.record(LoggedExchange(message, reply, wording))
    await env.storage.writer.drain()
    staff = await env.staff("lan", "editor")
    page = await staff.get("/staff/inbox")
    row = page.text.split("Gợi ý từ lựa chọn của người dân", 1)[1]
    assert wording in row and ">3<" in row
    adopted = await staff.post(
        "/staff/inbox/suggestion", {"text": wording, "faq_id": "account.register"}
    )
    assert "trả lời được câu này sau vài giây" in adopted.text
    entry = await env.storage.knowledge.get("account.register")
    assert entry is not None and wording in entry.alternates
