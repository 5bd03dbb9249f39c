"""The console as an aiohttp application mounted at /staff (a RouteProvider of bot.web)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.console.catalog import Catalog
from bot.console.memo import Memo
from bot.console.usage import UsageRepository
from bot.console.web import (
    accounts_page,
    broadcasts,
    imports,
    inbox,
    knowledge_edit,
    knowledge_list,
    login,
    overview,
)
from bot.console.web.broadcasts import OFFLINE
from bot.console.web.context import CONSOLE, Console
from bot.console.web.inbox import GUESSES, SUGGESTIONS, SuggestionCache
from bot.console.web.knowledge_list import CATALOG
from bot.console.web.overview import USAGE
from bot.console.web.security import (
    PREFIX,
    auth_middleware,
    csrf_middleware,
    error_page,
    headers_middleware,
)
from bot.console.web.warm import start_warming, stop_warming

STATIC = Path(__file__).resolve().parent / "static"
# Order matters where paths overlap: fixed /knowledge/… paths before /knowledge/{id}.
PAGES = (login, overview, inbox, knowledge_list, imports, knowledge_edit, broadcasts, accounts_page)


async def _not_found(request: web.Request) -> web.Response:
    return error_page(request, 404, "Không tìm thấy", "Trang này không có trong trang quản trị.")


def build_app(console: Console, *, warm: bool = False) -> web.Application:
    """The console's routes, behind its own middlewares (they touch nothing outside /staff);
    ``warm``: fill its caches in the background once the server starts (bot.console.web.warm)."""
    app = web.Application(middlewares=[headers_middleware, auth_middleware, csrf_middleware])
    app[CONSOLE] = console
    app[CATALOG] = Catalog(console.storage.session_factory)
    app[OFFLINE] = {}
    app[GUESSES] = Memo(5000)
    app[SUGGESTIONS] = SuggestionCache()
    app[USAGE] = UsageRepository(console.storage.session_factory, console.settings.timezone)
    for page in PAGES:
        page.add_routes(app.router)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_route("*", "/{tail:.*}", _not_found)
    if warm:
        app.on_startup.append(start_warming)
        app.on_cleanup.append(stop_warming)
    return app


class StaffConsole:
    """Mount with ``HttpServer.mount(StaffConsole(console))``: serves everything under /staff."""

    def __init__(self, console: Console, *, warm: bool = False) -> None:
        self.console = console
        self.warm = warm
        self.app: web.Application | None = None

    def add_routes(self, app: web.Application) -> None:
        self.app = build_app(self.console, warm=self.warm)
        app.add_subapp(PREFIX, self.app)
