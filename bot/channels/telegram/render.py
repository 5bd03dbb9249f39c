"""Reply → Telegram messages: escaped HTML chunks of at most 4,096 characters plus a keyboard."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.text_split import split_paragraphs
from bot.core import texts
from bot.core.messages import ACTION_MAX_BYTES, FEEDBACK_VERB, Choice, Outcome, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # Telegram's limit, counted in UTF-16 code units after entity parsing
MAX_BUTTON_LABEL = 120  # clients cut long labels anyway; a cap keeps requests small
MAX_BUTTONS = 90  # Telegram refuses keyboards of more than 100 buttons


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One sendMessage worth of content."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


def escape(text: str) -> str:
    """Escape citizen or staff text for parse_mode=HTML (&, <, > only: quotes stay readable)."""
    return html.escape(text, quote=False)


def fits_callback(data: str) -> bool:
    return 0 < len(data.encode("utf-8")) <= ACTION_MAX_BYTES


def _paragraphs(reply: Reply) -> list[tuple[str, bool]]:
    paragraphs = [p.strip("\n") for p in reply.text.split("\n\n")]
    marked = [(p, False) for p in paragraphs if p.strip()]
    if reply.outcome is Outcome.ANSWERED and reply.faq_id and len(marked) > 1:
        # The first paragraph of an answer is its question: a bold title reads well on phones.
        marked[0] = (marked[0][0], True)
    if reply.hint:
        marked.append((reply.hint, False))
    if reply.outcome is Outcome.ANSWERED and reply.topic_choices:
        marked.append((texts.RELATED, False))  # a label for the buttons below
    return marked or [(texts.EMPTY, False)]


def _html(chunk: Iterable[tuple[str, bool]]) -> str:
    return "\n\n".join(f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in chunk)


# ---------------------------------------------------------------- keyboard


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_BUTTON_LABEL else text[: MAX_BUTTON_LABEL - 1] + "…"


def keyboard(
    choices: Sequence[Choice], feedback: Sequence[Choice] = ()
) -> InlineKeyboardMarkup | None:
    """One choice per row (labels are whole questions), feedback buttons side by side last."""
    rows: list[list[InlineKeyboardButton]] = []
    for choice in choices[:MAX_BUTTONS]:
        if not fits_callback(choice.action):
            log.warning("button dropped: callback_data over 64 bytes: %r", choice.action)
            continue
        rows.append([InlineKeyboardButton(_label(choice.label), callback_data=choice.action)])
    pair = [
        InlineKeyboardButton(c.label, callback_data=c.action)
        for c in feedback
        if fits_callback(c.action)
    ]
    if pair:
        rows.append(pair)
    return InlineKeyboardMarkup(rows) if rows else None


@functools.lru_cache(maxsize=1024)
def _same_keyboard(
    choices: tuple[Choice, ...], feedback: tuple[Choice, ...]
) -> InlineKeyboardMarkup | None:
    """One frozen keyboard for the same buttons (answers repeat: see sender.as_json)."""
    return keyboard(choices, feedback)


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus 👍/👎 (after a vote), or None when nothing is left."""
    if markup is None:
        return None
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(FEEDBACK_VERB + ":")]
        for row in markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


# ---------------------------------------------------------------- public


def render(reply: Reply, limit: int = MAX_TEXT) -> list[Outgoing]:
    """Render a Reply as one or more HTML messages; the keyboard goes on the last one."""
    chunks = split_paragraphs(_paragraphs(reply), limit)
    markup = _same_keyboard(tuple(reply.topic_choices), tuple(reply.feedback_choices))
    messages = [Outgoing(_html(chunk)) for chunk in chunks]
    messages[-1] = Outgoing(messages[-1].html, markup)
    return messages


def render_plain(text: str) -> list[Outgoing]:
    """A channel-only sentence (or staff text) as escaped HTML chunks."""
    return [Outgoing(_html(chunk)) for chunk in split_paragraphs([(text, False)], MAX_TEXT)]
