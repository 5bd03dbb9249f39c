"""The citizen's right to be forgotten: /xoadulieu, a confirmation, then everything goes.

Channel-free: the command (or the help message's button) shows what will be deleted and asks
for a confirmation tap; only a confirmation shown to that user in the last ten minutes counts,
so an old or hand-made button never erases anything by surprise. The offer is kept in the
assistant's memory of the citizen (bot.core.memory: the database when there is one), so the tap
counts on whichever process receives it (two web processes behind a load balancer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.core import commands, texts
from bot.core.commands import command_name
from bot.core.memory import UserMemory
from bot.core.messages import Choice, IncomingMessage, Outcome, Reply, action, parse_action
from bot.core.ports import PersonalDataEraser
from bot.core.responder import ERASE_VERB as VERB

log = logging.getLogger(__name__)

COMMAND = commands.ERASE
CONFIRM_SECONDS = 600.0
SETTLE_SECONDS = 10.0  # queued writes about the user must land first, or they would outlive us
OFFERED = "e.offered"  # the memory's name for a confirmation shown and not yet answered

Key = tuple[str, str]


class ErasureFlow:
    """Confirmation, then deletion through the port, then the assistant's memory of the user."""

    def __init__(
        self,
        eraser: Callable[[], PersonalDataEraser | None],
        forget: Callable[[Key], Awaitable[None]],
        memory: UserMemory,
        *,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._eraser = eraser
        self._forget = forget
        self._settle = settle
        self.memory = memory

    @staticmethod
    def wants(message: IncomingMessage) -> bool:
        if message.action:
            return parse_action(message.action)[0] == VERB
        return command_name(message.text or "") == COMMAND

    async def handle(self, message: IncomingMessage) -> Reply:
        key = (message.channel, message.user_id)
        args = parse_action(message.action)[1] if message.action else []
        # Taken, not read: of two taps on two processes only one erases; it expires by itself.
        offered = await self.memory.take(key, OFFERED)
        if args == ["no"]:
            return Reply(texts.ERASE_CANCELLED, Outcome.COMMAND)
        if args == ["yes"] and offered is not None:
            return await self._erase(message, key)
        return await self._confirmation(key)

    async def _confirmation(self, key: Key) -> Reply:
        await self.memory.put(key, OFFERED, "1", CONFIRM_SECONDS)
        choices = (
            Choice(texts.ERASE_YES, action(VERB, "yes")),
            Choice(texts.ERASE_NO, action(VERB, "no")),
        )
        return Reply(texts.ERASE_CONFIRM, Outcome.COMMAND, choices=choices)

    async def _erase(self, message: IncomingMessage, key: Key) -> Reply:
        await self._forget(key)
        eraser = self._eraser()
        if eraser is None:
            return Reply(texts.ERASE_NOTHING_STORED, Outcome.COMMAND)
        try:
            if self._settle is not None:
                await asyncio.wait_for(self._settle(), SETTLE_SECONDS)
            counts = await eraser.erase_user(channel=message.channel, user_id=message.user_id)
        except Exception:
            log.exception("could not erase a user's data on %s", message.channel)
            return Reply(texts.ERASE_FAILED, Outcome.COMMAND)
        log.info("a user's data erased on request on %s: %s", message.channel, counts)
        return Reply(texts.ERASED, Outcome.COMMAND)
