"""/staff/knowledge: the list with search and filters, and exports."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.admin.kb_files import dump_yaml
from bot.admin.sheets import write_csv, write_xlsx
from bot.console.catalog import Catalog, Filters
from bot.console.web.context import Console, console_of
from bot.console.web.render import render
from bot.core.knowledge import STATUSES

PAGE_SIZE = 50
STATUS_LABELS = {"published": "Đang dùng", "draft": "Bản nháp", "disabled": "Đã tắt"}
CATALOG: web.AppKey[Catalog] = web.AppKey("catalog", Catalog)


def today(console: Console) -> dt.date:
    return console.clock().astimezone(ZoneInfo(console.settings.timezone)).date()


async def knowledge_page(request: web.Request) -> web.Response:
    console = console_of(request)
    query = request.query
    filters = Filters(
        query=query.get("q", "")[:200],
        category=query.get("category", ""),
        status=query.get("status", "") if query.get("status", "") in STATUSES else "",
        stale=query.get("stale") == "1",
    )
    try:
        page_number = max(1, int(query.get("page", "1")))
    except ValueError:
        page_number = 1
    listing = await request.config_dict[CATALOG].listing(
        filters,
        today=today(console),
        stale_days=console.settings.knowledge_stale_days,
        offset=(page_number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    categories = console.storage.knowledge.categories()
    return render(
        request,
        "knowledge_list.html",
        {
            "title": "Kiến thức",
            "listing": listing,
            "filters": filters,
            "categories": categories,
            "category_titles": {c.id: c.title for c in categories},
            "statuses": STATUS_LABELS,
            "page_number": page_number,
            "pages": max(1, -(-listing.matched // PAGE_SIZE)),
            "stale_days": console.settings.knowledge_stale_days,
        },
    )


async def export(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    fmt = request.query.get("format", "xlsx")
    entries = await console.storage.knowledge.entries()
    stamp = today(console).isoformat()
    if fmt == "xlsx":
        categories = [(c.id, c.title) for c in console.storage.knowledge.categories()]
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "faq.xlsx"
            write_xlsx(entries, target, categories=categories)
            body = target.read_bytes()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        buffer = io.StringIO(newline="")
        write_csv(entries, buffer)
        body = buffer.getvalue().encode("utf-8")
        content_type = "text/csv"
    elif fmt == "yaml":
        body = dump_yaml(entries).encode("utf-8")
        content_type = "application/yaml"
    else:
        raise web.HTTPNotFound()
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="kien-thuc-{stamp}.{fmt}"'},
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/knowledge", knowledge_page)
    router.add_get("/knowledge/export", export)
