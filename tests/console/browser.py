"""The console as `make run` starts it (runtime + console listener), for the browser tests;
the browser itself comes from tests/browser_support.py, shared with the web chat's tests."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.runtime import Runtime, open_runtime
from tests import browser_support
from tests.browser_support import (
    WAIT,
    LiveApp,
    browser_missing,
    free_port,
    new_browser,
    run_axe,
    serious,
    wait_for,
)

ARTIFACTS = browser_support.ARTIFACTS / "console"

__all__ = [
    "WAIT",
    "LiveConsole",
    "browser_missing",
    "free_port",
    "new_browser",
    "run_axe",
    "screenshot",
    "serious",
    "wait_for",
]


def screenshot(driver: Any, name: str) -> Path:
    return browser_support.screenshot(driver, ARTIFACTS, name)


class LiveConsole(LiveApp[Runtime]):
    """The runtime and the shared HTTP server with the console, as `make run` starts them, in a
    thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.web_port}"
        super().__init__(self._serve_console, self.url + "/staff/login")

    async def _serve_console(self, stack: AsyncExitStack) -> Runtime:
        from bot.app import route_providers, start_http_server

        runtime = await stack.enter_async_context(open_runtime(self.settings))
        providers = route_providers(runtime, stack)
        server = await start_http_server(stack, self.settings, list(providers.values()))
        assert server is not None, "the shared server did not start"
        return runtime

    @property
    def runtime(self) -> Runtime | None:
        return self.value
