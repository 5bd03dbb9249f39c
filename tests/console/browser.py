"""Real-browser helpers: the console in a thread with its own event loop, Debian's Chromium
driven by Selenium with explicit paths (never a browser download), axe-core injected.

Shaped like the web chat's helpers so both can move to one shared module once they meet.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

from bot.config import PROJECT_ROOT, Settings
from bot.runtime import Runtime, open_runtime

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = PROJECT_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "console"
WAIT = 60  # seconds a browser wait may take on a loaded CI machine before it is a failure
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} missing: apt-get install chromium chromium-driver"
    return None


def new_browser(width: int = 1280, height: int = 900) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(WAIT)
    return driver


def wait_for(driver: Any, condition: Callable[[Any], Any]) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def screenshot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(int(height) + 120, 600), 4000))
    driver.save_screenshot(str(target))
    return target


def run_axe(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (injected through WebDriver, not the page)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result: Any = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
          .then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" "))
          }))))
          .catch(e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
        """
    )
    return list(result)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


class LiveConsole:
    """The runtime and the shared HTTP server with the console, as `make run` starts them, in a
    thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.web_port}"
        self.runtime: Runtime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-console", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def main() -> None:
            from bot.app import route_providers, start_http_server

            self._stop = asyncio.Event()
            async with AsyncExitStack() as stack:
                self.runtime = await stack.enter_async_context(open_runtime(self.settings))
                providers = route_providers(self.runtime, stack)
                server = await start_http_server(stack, self.settings, list(providers.values()))
                assert server is not None, "the shared server did not start"
                self._ready.set()
                await self._stop.wait()

        try:
            loop.run_until_complete(main())
        except BaseException as exc:
            self.error = exc
            self._ready.set()
        finally:
            loop.close()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(WAIT)
        if self.error is not None:
            raise RuntimeError("the console did not start") from self.error
        deadline = time.monotonic() + WAIT
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + "/staff/login", timeout=5) as r,
            ):
                if r.status == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("the console did not answer")
            time.sleep(0.2)

    def run(self, make: Callable[[Runtime], Awaitable[T]]) -> T:
        """Run a coroutine on the app's loop (citizens asking, accounts being made)."""
        assert self._loop is not None and self.runtime is not None
        runtime = self.runtime

        async def call() -> T:
            return await make(runtime)

        coroutine: Coroutine[Any, Any, T] = call()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(WAIT)

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT)
