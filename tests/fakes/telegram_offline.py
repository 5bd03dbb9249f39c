"""An offline Bot API seam: a BaseRequest that records every call and answers like Telegram."""

from __future__ import annotations

import itertools
import json
from typing import Any

from telegram.request import BaseRequest, RequestData

from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME

ME = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Trợ lý DVC",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


class RecordingRequest(BaseRequest):
    """Never touches the network; ``fail_next(method, status, description)`` scripts errors."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._ids = itertools.count(100)

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def fail_next(self, method: str, status: int, description: str, times: int = 1) -> None:
        self._failures.setdefault(method, []).extend([(status, description)] * times)

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    @property
    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((api, params))
        queued = self._failures.get(api)
        if queued:
            status, description = queued.pop(0)
            body = {"ok": False, "error_code": status, "description": description}
            return status, json.dumps(body).encode()
        result: Any = True
        if api == "getMe":
            result = ME
        elif api in MESSAGE_METHODS:
            result = {
                "message_id": params.get("message_id") or next(self._ids),
                "date": 0,
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "text": params.get("text", "…"),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()
