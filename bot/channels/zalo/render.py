"""Reply → Zalo messages: plain text of at most 2,000 characters, choices as numbered lines.

Zalo shows no markup and no buttons: links stay bare URLs (the core writes "🔗 title: url"),
menus, did-you-mean questions and 👍/👎 become "1. …" lines the citizen answers by typing the
number (see choices.py). The list goes last, so it is what the citizen reads before typing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.text_split import split_text
from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo.client import MAX_TEXT
from bot.core import texts
from bot.core.messages import Choice, Outcome, Reply, action

MAX_LABEL = 200


@dataclass(frozen=True, slots=True)
class Rendered:
    messages: list[str]
    choices: tuple[Choice, ...]  # in the order they were numbered


def privacy_choice() -> Choice:
    return Choice(zalo_texts.PRIVACY_CHOICE, action("faq", zalo_texts.PRIVACY_FAQ))


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def feedback_choices(reply: Reply) -> tuple[Choice, ...]:
    if not (reply.ask_feedback and reply.faq_id):
        return ()
    try:
        return (
            Choice(texts.FEEDBACK_UP, action("fb", "1", reply.faq_id)),
            Choice(texts.FEEDBACK_DOWN, action("fb", "0", reply.faq_id)),
        )
    except ValueError:
        return ()


def render(reply: Reply, *, notice: bool = False, limit: int = MAX_TEXT) -> Rendered:
    """The reply as messages (split at paragraph boundaries) and the choices they number."""
    paragraphs = [zalo_texts.NOTICE] if notice else []
    paragraphs.append(reply.text.strip() or texts.EMPTY)
    hint = reply.extra.get("hint")
    if hint:
        paragraphs.append(hint)
    votes = feedback_choices(reply)
    privacy = (privacy_choice(),) if notice and privacy_choice() not in reply.choices else ()
    choices = (*reply.choices, *privacy, *votes)
    if choices:
        lines = [texts.RELATED] if reply.outcome is Outcome.ANSWERED and reply.choices else []
        lines += [f"{n}. {_label(c.label)}" for n, c in enumerate(choices, 1)]
        # One paragraph with its hint: the list and how to answer it stay in one message.
        lines.append(zalo_texts.FEEDBACK_HINT if votes else zalo_texts.CHOOSE_HINT)
        paragraphs.append("\n".join(lines))
    return Rendered(split_text("\n\n".join(paragraphs), limit), choices)


def render_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A channel sentence (or staff text) as messages."""
    return split_text(text, limit)
