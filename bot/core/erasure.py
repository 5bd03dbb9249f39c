"""The citizen's right to be forgotten: /xoadulieu, a confirmation, then everything goes.

Channel-free: the command (or the help message's button) shows what will be deleted and asks
for a confirmation tap; only a confirmation shown to that user in the last ten minutes counts,
so an old or hand-made button never erases anything by surprise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.core import commands, texts
from bot.core.commands import command_name
from bot.core.messages import Choice, IncomingMessage, Outcome, Reply, action, parse_action
from bot.core.ports import PersonalDataEraser
from bot.core.responder import ERASE_VERB as VERB

log = logging.getLogger(__name__)

COMMAND = commands.ERASE
CONFIRM_SECONDS = 600.0
SETTLE_SECONDS = 10.0  # queued writes about the user must land first, or they would outlive us
_MAX_OFFERS = 10_000

Key = tuple[str, str]


class ErasureFlow:
    """Confirmation, then deletion through the port, then the assistant's memory of the user."""

    def __init__(
        self,
        eraser: Callable[[], PersonalDataEraser | None],
        forget: Callable[[Key], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        *,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._eraser = eraser
        self._forget = forget
        self._settle = settle
        self._clock = clock
        self._offered: dict[Key, float] = {}

    @staticmethod
    def wants(message: IncomingMessage) -> bool:
        if message.action:
            return parse_action(message.action)[0] == VERB
        return command_name(message.text or "") == COMMAND

    async def handle(self, message: IncomingMessage) -> Reply:
        key = (message.channel, message.user_id)
        args = parse_action(message.action)[1] if message.action else []
        if args == ["no"]:
            self._offered.pop(key, None)
            return Reply(texts.ERASE_CANCELLED, Outcome.COMMAND)
        offered = self._offered.pop(key, None)
        if args == ["yes"] and offered is not None and self._clock() - offered < CONFIRM_SECONDS:
            return await self._erase(message, key)
        return self._confirmation(key)

    def _confirmation(self, key: Key) -> Reply:
        if len(self._offered) >= _MAX_OFFERS:
            self._offered.clear()
        self._offered[key] = self._clock()
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
