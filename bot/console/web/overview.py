"""/staff: questions per day by outcome, feedback, per channel, top missed questions."""

from __future__ import annotations

from aiohttp import web

from bot.console.usage import UsageRepository
from bot.console.web.chart import OUTCOMES, day_chart
from bot.console.web.context import console_of
from bot.console.web.render import render

PERIODS = (7, 30, 90)
USAGE: web.AppKey[UsageRepository] = web.AppKey("usage", UsageRepository)
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "web": "Trang web", "console": "Dòng lệnh"}


async def overview(request: web.Request) -> web.Response:
    console = console_of(request)
    try:
        days = int(request.query.get("days", "30"))
    except ValueError:
        days = 30
    if days not in PERIODS:
        days = 30
    usage = await request.config_dict[USAGE].usage(days, console.clock())
    open_items = await console.storage.inbox.count_open()
    return render(
        request,
        "overview.html",
        {
            "title": "Tổng quan",
            "usage": usage,
            "days": days,
            "periods": PERIODS,
            "chart": day_chart(usage.days),
            "outcomes": OUTCOMES,
            "channels": CHANNELS,
            "open_items": open_items,
        },
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("", overview)
    router.add_get("/", overview)
