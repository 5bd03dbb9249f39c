"""Numbered text choices for Zalo, which has no buttons: a reply lists "1. …", the citizen types
a digit (or 👍 / 👎) and the channel turns it back into the choice's action.

Local to Zalo until the shared text-choices fallback (bot/channels/text_choices.py, pending
choices per chat in the database) is on main; the interface is kept small for that swap.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from bot.core.messages import Choice

_NUMBER = re.compile(r"\s*(?:số\s*)?(\d{1,3})\s*[.)]?\s*", re.IGNORECASE)
THUMBS_UP = ("👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿")
THUMBS_DOWN = ("👎", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿")


@dataclass(frozen=True, slots=True)
class Picked:
    """A typed reply read against the chat's pending choices."""

    choice: Choice | None = None  # the choice meant
    out_of_range: int = 0  # a number with no such choice: how many there are
    nothing_pending: bool = False  # a number while no list is waiting


def number_of(text: str) -> int | None:
    match = _NUMBER.fullmatch(text)
    return int(match.group(1)) if match else None


def thumbs(text: str) -> str | None:
    """ "1" for 👍, "0" for 👎 (typed alone), else None."""
    stripped = text.strip().replace("\ufe0f", "")
    if stripped in THUMBS_UP:
        return "1"
    if stripped in THUMBS_DOWN:
        return "0"
    return None


class PendingChoices:
    """The last numbered list shown in each chat, for an hour, bounded."""

    def __init__(self, max_chats: int = 50_000, ttl_seconds: float = 3600.0) -> None:
        self._chats: OrderedDict[str, tuple[float, tuple[Choice, ...]]] = OrderedDict()
        self.max_chats = max_chats
        self.ttl = ttl_seconds

    def remember(self, chat: str, choices: tuple[Choice, ...]) -> None:
        """A new reply replaces the list (an empty one clears it)."""
        self._chats.pop(chat, None)
        if choices:
            self._chats[chat] = (time.monotonic() + self.ttl, choices)
            while len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)

    def pending(self, chat: str) -> tuple[Choice, ...]:
        item = self._chats.get(chat)
        if item is None or item[0] < time.monotonic():
            return ()
        return item[1]

    def read(self, chat: str, text: str) -> Picked | None:
        """What a typed reply picks; None when it is not a pick (read it as a question)."""
        choices = self.pending(chat)
        vote = thumbs(text)
        if vote is not None:
            for choice in choices:
                if choice.action.startswith(f"fb:{vote}:"):
                    return Picked(choice)
            return None  # an emoji on its own: the assistant answers it
        number = number_of(text)
        if number is None:
            return None
        if not choices:
            return Picked(nothing_pending=True)
        if not 1 <= number <= len(choices):
            return Picked(out_of_range=len(choices))
        return Picked(choices[number - 1])
