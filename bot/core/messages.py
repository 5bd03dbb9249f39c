"""Neutral message values exchanged between channels and the core."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.core import texts

log = logging.getLogger(__name__)


class MessageKind(StrEnum):
    """What a citizen sent."""

    TEXT = "text"
    ACTION = "action"  # a tapped button / typed choice number resolved by the channel
    VOICE = "voice"
    PHOTO = "photo"
    STICKER = "sticker"
    DOCUMENT = "document"
    LOCATION = "location"
    OTHER = "other"


class Outcome(StrEnum):
    """How the responder dealt with a message."""

    ANSWERED = "answered"
    AMBIGUOUS = "ambiguous"
    NO_MATCH = "no_match"
    SMALLTALK = "smalltalk"
    COMMAND = "command"
    MENU = "menu"
    NON_TEXT = "non_text"
    EMPTY = "empty"
    FEEDBACK = "feedback"
    STALE = "stale"


# Outcomes that count as a citizen question for logs and statistics.
QUESTION_OUTCOMES = frozenset({Outcome.ANSWERED, Outcome.AMBIGUOUS, Outcome.NO_MATCH})


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from a citizen, already stripped of every channel detail.

    ``action`` carries a tapped choice (see :class:`Choice`); ``text`` carries typed text.
    """

    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    kind: MessageKind = MessageKind.TEXT
    action: str | None = None
    display_name: str | None = None
    # The question text a tapped choice answered (for learning from "did you mean" picks).
    reply_to_question: str | None = None
    # Characters the citizen typed when ``text`` holds only the part that is read.
    typed_length: int | None = None
    # ``text`` already had its personal data replaced (Assistant.readable): not done twice.
    redacted: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """A button (or numbered line on text channels).

    ``action`` is short ASCII, at most 64 bytes, e.g. ``faq:account.register``,
    ``cat:account``, ``menu``, ``fb:1:account.register``, ``pick:account.register``.
    """

    label: str
    action: str

    @property
    def is_feedback(self) -> bool:
        """👍 / 👎: channels that can show them side by side do so."""
        return self.action.startswith(FEEDBACK_VERB + ":")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked FAQ candidate with a bounded confidence."""

    faq_id: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything a channel needs to render an answer; channels degrade what they cannot show."""

    text: str
    outcome: Outcome
    choices: tuple[Choice, ...] = ()
    faq_id: str | None = None
    confidence: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    ask_feedback: bool = False
    normalized: str = ""
    # A sentence about the choices ("if none fits, rephrase"); channels place it.
    hint: str = ""

    @property
    def topic_choices(self) -> tuple[Choice, ...]:
        """The choices other than 👍 / 👎."""
        return tuple(c for c in self.choices if not c.is_feedback)

    @property
    def feedback_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.is_feedback)


ACTION_MAX_BYTES = 64
FEEDBACK_VERB = "fb"


def action(verb: str, *args: str) -> str:
    """Build a choice action and check it fits Telegram's callback_data limit."""
    value = ":".join((verb, *args))
    if len(value.encode("utf-8")) > ACTION_MAX_BYTES:
        raise ValueError(f"action too long for a button: {value!r}")
    return value


def parse_action(value: str) -> tuple[str, list[str]]:
    """Split an action into its verb and arguments."""
    verb, *args = value.split(":")
    return verb, args


def with_feedback(reply: Reply) -> Reply:
    """``reply`` with its 👍 / 👎 choices last, when it asks for feedback and has none yet."""
    if not (reply.ask_feedback and reply.faq_id) or reply.feedback_choices:
        return reply
    try:
        pair = (
            Choice(texts.FEEDBACK_UP, action(FEEDBACK_VERB, "1", reply.faq_id)),
            Choice(texts.FEEDBACK_DOWN, action(FEEDBACK_VERB, "0", reply.faq_id)),
        )
    except ValueError:
        log.warning("feedback choices dropped: id %r too long for an action", reply.faq_id)
        return reply
    return replace(reply, choices=(*reply.choices, *pair))
