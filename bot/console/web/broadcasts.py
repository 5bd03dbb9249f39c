"""/staff/broadcasts: edit tips; compose an announcement, preview it per channel, send or
schedule it (admin), watch progress, resume."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from bot.broadcast.options import options_from_settings
from bot.broadcast.senders import ChannelError
from bot.broadcast.service import BroadcastInputError, BroadcastService
from bot.broadcast.tipfile import parse_tips, render_announcement, render_tip
from bot.console.accounts import actor
from bot.console.web.context import Console, console_of
from bot.console.web.issues import describe
from bot.console.web.render import render, see_other
from bot.console.web.security import error_page, requires, staff
from bot.core.knowledge import KnowledgeError
from bot.storage.audit import add_audit

CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "web": "Trang web"}
OFFLINE: web.AppKey[dict[str, BroadcastService]] = web.AppKey("offline_broadcast", dict)


async def service_of(request: web.Request) -> tuple[BroadcastService, bool]:
    return await service_for(console_of(request), request.config_dict[OFFLINE])


async def service_for(
    console: Console, cache: dict[str, BroadcastService]
) -> tuple[BroadcastService, bool]:
    """The running broadcast service (it can send), or a local one that can only read."""
    live = await console.broadcasts()
    if live is not None:
        return live, True
    if "service" not in cache:
        cache["service"] = BroadcastService(
            console.storage.session_factory, options_from_settings(console.settings), {}
        )
        await cache["service"].tips.seed_if_empty(console.settings.knowledge_dir / "tips.yaml")
    return cache["service"], False


def previews(service: BroadcastService, text: str) -> list[dict[str, Any]]:
    """Exactly what each channel's subscribers will read, under that channel's length rule."""
    clean = service.check_text(text)
    rendered = render_announcement(clean)
    senders: dict[str, Any] = dict(service.senders)
    if not senders:
        # No channel sends from this process: show the rule of the bot's main channel.
        from bot.channels.telegram.broadcast import TelegramSender

        senders = {TelegramSender.channel: TelegramSender}
    return [
        {
            "channel": CHANNEL_NAMES.get(channel, channel),
            "text": rendered,
            "length": senders[channel].length(rendered),
            "limit": senders[channel].max_text,
        }
        for channel in sorted(senders)
    ]


async def _page(request: web.Request, **extra: Any) -> web.Response:
    service, can_send = await service_of(request)
    context: dict[str, Any] = {
        "title": "Mẹo và thông báo",
        "tips": await service.tips.active(),
        "runs": await service.reports(limit=20),
        "can_send": can_send,
        "text": "",
        "when_value": "",
        "preview": None,
        "error": "",
        "tip_error": "",
        "render_tip": lambda tip: render_tip(tip.to_tip()),
    }
    context.update(extra)
    status = context.pop("status", 200)
    return render(request, "broadcasts.html", context, status=status)


async def broadcasts_page(request: web.Request) -> web.Response:
    return await _page(request)


def _parse_when(raw: str, console: Console) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    from zoneinfo import ZoneInfo

    value = dt.datetime.fromisoformat(raw)
    return (
        value.replace(tzinfo=ZoneInfo(console.settings.timezone)) if value.tzinfo is None else value
    )


@requires("viewer")
async def compose(request: web.Request) -> web.StreamResponse:
    """Preview for anyone; sending or scheduling for admins only."""
    console = console_of(request)
    service, can_send = await service_of(request)
    form = await request.post()
    text = str(form.get("text", ""))[:10_000]
    when_raw = str(form.get("when", ""))
    action = str(form.get("action", "preview"))
    try:
        shown = previews(service, text)
        when = _parse_when(when_raw, console)
        if when is not None:
            service.check_time(when)
    except BroadcastInputError as exc:
        return await _page(request, text=text, when_value=when_raw, error=str(exc), status=422)
    except ValueError:
        return await _page(
            request,
            text=text,
            when_value=when_raw,
            status=422,
            error="Thời điểm gửi không hợp lệ; chọn ngày giờ trong ô lịch.",
        )
    if action == "preview":
        return await _page(request, text=text, when_value=when_raw, preview=shown)
    if not staff(request).account.can("admin"):
        return error_page(request, 403, "Không có quyền", "Chỉ quản trị viên được gửi thông báo.")
    if not can_send:
        return await _page(
            request,
            text=text,
            when_value=when_raw,
            preview=shown,
            status=409,
            error="Chưa có kênh nào gửi được (cần TELEGRAM_BOT_TOKEN và trợ lý đang chạy); "
            "bản nháp vẫn còn trong ô bên dưới.",
        )
    try:
        run_id = await service.create_announcement(
            text, by=actor(staff(request).account.username), at=when
        )
    except (BroadcastInputError, ChannelError) as exc:
        return await _page(request, text=text, when_value=when_raw, error=str(exc), status=422)
    if when is None:
        service.deliver_in_background(run_id)
        return see_other(f"/staff/broadcasts#run-{run_id}", "sending")
    return see_other(f"/staff/broadcasts#run-{run_id}", "scheduled")


@requires("admin")
async def resume(request: web.Request) -> web.StreamResponse:
    service, can_send = await service_of(request)
    if not can_send:
        return error_page(request, 409, "Chưa gửi được", "Chưa có kênh nào gửi được.")
    run_id = int(request.match_info["run_id"])
    form = await request.post()
    if form.get("resend_unknown") == "1":
        await service.requeue(resend_unknown=True, run_id=run_id)
    service.deliver_in_background(run_id)
    async with console_of(request).storage.session_factory.begin() as session:
        add_audit(
            session, actor(staff(request).account.username), "broadcast.resume", f"run:{run_id}"
        )
    return see_other(f"/staff/broadcasts#run-{run_id}", "resumed")


async def progress(request: web.Request) -> web.Response:
    service, _ = await service_of(request)
    reports = await service.reports([int(request.match_info["run_id"])])
    if not reports:
        raise web.HTTPNotFound()
    html = (
        console_of(request)
        .templates.get_template("_run.html")
        .render(run=reports[0], staff=staff(request).account, csrf=staff(request).csrf)
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


@requires("editor")
async def save_tip(request: web.Request) -> web.StreamResponse:
    service, _ = await service_of(request)
    form = await request.post()
    raw = {
        "id": str(form.get("id", "")).strip(),
        "title": str(form.get("title", "")).strip(),
        "body": str(form.get("body", "")).strip(),
        "link": str(form.get("link", "")).strip() or None,
        "faq_id": str(form.get("faq_id", "")).strip() or None,
        "tags": [t.strip() for t in str(form.get("tags", "")).split(",") if t.strip()],
    }
    current = [t.to_dict() for t in await service.tips.active()]
    replaced = [raw if t["id"] == raw["id"] else t for t in current]
    if raw["id"] not in {t["id"] for t in current}:
        replaced.append(raw)
    known = {e.id for e in console_of(request).live.current.kb.entries}
    try:
        tips = parse_tips(replaced, "mẹo", known)
    except KnowledgeError as exc:
        return await _page(
            request, tip_error="; ".join(describe(i) for i in exc.issues), status=422
        )
    await service.tips.import_tips(tips)
    async with console_of(request).storage.session_factory.begin() as session:
        add_audit(
            session,
            actor(staff(request).account.username),
            "tips.edit",
            f"tip:{raw['id']}",
            new=raw,
        )
    return see_other("/staff/broadcasts", "tip_saved")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/broadcasts", broadcasts_page)
    router.add_post("/broadcasts", compose)
    router.add_get("/broadcasts/{run_id:\\d+}/progress", progress)
    router.add_post("/broadcasts/{run_id:\\d+}/resume", resume)
    router.add_post("/broadcasts/tips", save_tip)
