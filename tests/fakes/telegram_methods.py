"""The simpler Bot API methods of the fake server (a mixin over FakeTelegram's state)."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_objects import (
    BOT_ID,
    BOT_USERNAME,
    COMMAND_RE,
    ApiError,
    check_markup,
    check_text,
)


class SimpleMethods:
    """getMe, edits, callback answers, chat actions, commands and webhooks."""

    # State and helpers provided by FakeTelegram.
    updates: list[dict[str, Any]]
    actions: list[tuple[int, str]]
    callback_answers: dict[str, dict[str, Any] | None]
    commands: dict[str, list[dict[str, Any]]]
    webhook: dict[str, Any] | None

    def _chat(self, params: dict[str, Any]) -> int:
        raise NotImplementedError

    def _message(self, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def _deliver(self, update: dict[str, Any]) -> None:
        raise NotImplementedError

    def message_json(self, message: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Trợ lý DVC",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(params)
        visible = check_text(params)
        markup = check_markup(params)
        if visible == message.text and markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.text, message.raw, message.reply_markup = visible, str(params["text"]), markup
        message.parse_mode = params.get("parse_mode")
        message.edits += 1
        return self.message_json(message)

    async def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(params)
        markup = check_markup(params)
        if markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        return self.message_json(message)

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.callback_answers or self.callback_answers[query_id] is not None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        self.actions.append((chat_id, str(params.get("action"))))
        return True

    async def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands are invalid")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not COMMAND_RE.match(name) or not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        self.commands[key] = commands
        return True

    async def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret} if url else None
        pending, self.updates = self.updates, []
        for update in pending:
            await self._deliver(update)
        return True

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
