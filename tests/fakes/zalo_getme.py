"""A fake Zalo Bot API answering getMe on 127.0.0.1, the way Zalo does (POST JSON, envelope
{ok, result, error_code, description}; a wrong token gets HTTP 200 with ok false and 401)."""

from __future__ import annotations

from aiohttp import web

ZALO_TOKEN = "2913384750112233445:Zx9-kq_Lm3Pw7Rt"


class FakeZaloGetMe:
    def __init__(self, token: str = ZALO_TOKEN) -> None:
        self.token = token
        self.calls: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{bot_token}/{method}", self._call)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if request.match_info["bot_token"] != f"bot{self.token}":
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        if method != "getMe":
            return web.json_response({"ok": False, "error_code": 404, "description": "Not found"})
        return web.json_response(
            {"ok": True, "result": {"id": "2913384750112233445", "account_name": "dvc_bot"}}
        )
