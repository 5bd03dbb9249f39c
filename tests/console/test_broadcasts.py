"""Tips and announcements from the console: exact preview, send (admin), progress, resume."""

from __future__ import annotations

import asyncio

from bot.broadcast.service import BroadcastService
from bot.broadcast.tipfile import render_announcement
from tests.broadcast.helpers import add_subscribers, memory_service
from tests.console.conftest import ConsoleEnv

TEXT = "Từ 1/12, Trung tâm phục vụ hành chính công làm việc cả sáng thứ Bảy. <b>không in đậm</b>"


def _with_sender(env: ConsoleEnv) -> BroadcastService:
    service, _ = memory_service(env.storage.session_factory)

    async def provider() -> BroadcastService:
        return service

    env.console.broadcasts = provider
    return service


async def test_preview_shows_exactly_what_subscribers_get(env: ConsoleEnv) -> None:
    _with_sender(env)
    staff = await env.staff("lan", "editor")
    page = await staff.post("/staff/broadcasts", {"text": TEXT, "action": "preview"})
    assert page.status == 200
    expected = render_announcement(TEXT)
    import html

    assert html.escape(expected).replace("&#39;", "'") in page.text.replace("&#39;", "'")
    assert "<b>không in đậm</b>" not in page.text
    empty = await staff.post("/staff/broadcasts", {"text": "  ", "action": "preview"})
    assert empty.status == 422 and "đang trống" in empty.text


async def test_an_admin_sends_now_and_watches_progress(env: ConsoleEnv) -> None:
    service = _with_sender(env)
    chats = await add_subscribers(env.storage.session_factory, 3)
    admin = await env.staff("quan.tri", "admin")
    page = await admin.post("/staff/broadcasts", {"text": TEXT, "action": "send"})
    assert page.status == 200 and "Đang gửi" in page.text
    [report] = await service.reports(limit=1)
    for _ in range(500):  # bounded wait for the background delivery
        report = (await service.reports([report.id]))[0]
        if report.status == "finished":
            break
        await asyncio.sleep(0.02)
    assert report.sent == len(chats) and report.created_by == "web:quan.tri"
    progress = await admin.get(f"/staff/broadcasts/{report.id}/progress")
    assert f"{len(chats)} / {len(chats)}" in progress.text
    await service.close()


async def test_a_time_in_the_past_is_refused_and_the_text_kept(env: ConsoleEnv) -> None:
    _with_sender(env)
    admin = await env.staff("quan.tri", "admin")
    page = await admin.post(
        "/staff/broadcasts", {"text": TEXT, "when": "2020-01-01T08:00", "action": "send"}
    )
    assert page.status == 422 and "Trung tâm phục vụ" in page.text


async def test_without_a_channel_nothing_is_sent_and_the_draft_stays(env: ConsoleEnv) -> None:
    admin = await env.staff("quan.tri", "admin")
    page = await admin.post("/staff/broadcasts", {"text": TEXT, "action": "send"})
    assert page.status == 409 and "Chưa có kênh nào gửi được" in page.text
    assert "Trung tâm phục vụ hành chính công" in page.text


async def test_an_editor_edits_a_tip_and_markup_stays_text(env: ConsoleEnv) -> None:
    editor = await env.staff("bien.tap", "editor")
    page = await editor.get("/staff/broadcasts")
    tip_id = page.text.split('name="id" value="', 1)[1].split('"', 1)[0]
    saved = await editor.post(
        "/staff/broadcasts/tips",
        {"id": tip_id, "title": "Mẹo <i>mới</i>", "body": "Nội dung mẹo mới.", "tags": ""},
    )
    assert saved.status == 200 and "Đã lưu mẹo" in saved.text
    assert "Mẹo &lt;i&gt;mới&lt;/i&gt;" in saved.text and "<i>mới</i>" not in saved.text
    actions = [r.action for r in await env.storage.audit.recent(5)]
    assert "tips.edit" in actions


async def test_an_admin_schedules_for_later_and_nothing_is_sent_yet(env: ConsoleEnv) -> None:
    service = _with_sender(env)
    await add_subscribers(env.storage.session_factory, 2)
    admin = await env.staff("quan.tri", "admin")
    page = await admin.post(
        "/staff/broadcasts", {"text": TEXT, "when": "2099-01-02T08:30", "action": "send"}
    )
    assert page.status == 200 and "Đã lên lịch" in page.text
    [report] = await service.reports(limit=1)
    assert report.status == "scheduled" and report.sent == 0
    assert report.scheduled_for.startswith("2099-01-02T01:30")  # 08:30 in Hà Nội is 01:30 UTC


async def test_an_unfinished_run_is_resumed_by_an_admin(env: ConsoleEnv) -> None:
    service = _with_sender(env)
    chats = await add_subscribers(env.storage.session_factory, 2)
    run_id = await service.create_announcement(TEXT, by="web:quan.tri")  # left undelivered
    admin = await env.staff("quan.tri", "admin")
    page = await admin.get("/staff/broadcasts")
    assert f'action="/staff/broadcasts/{run_id}/resume"' in page.text
    editor = await env.staff("bien.tap", "editor")
    await editor.get("/staff/broadcasts")
    assert (await editor.post(f"/staff/broadcasts/{run_id}/resume")).status == 403
    resumed = await admin.post(f"/staff/broadcasts/{run_id}/resume")
    assert "Đã tiếp tục gửi" in resumed.text
    for _ in range(500):  # bounded wait for the background delivery
        [report] = await service.reports([run_id])
        if report.status == "finished":
            break
        await asyncio.sleep(0.02)
    assert report.sent == len(chats)
    assert "broadcast.resume" in [r.action for r in await env.storage.audit.recent(5)]
    await service.close()
