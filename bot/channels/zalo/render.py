"""Reply → Zalo messages: plain text of at most 2,000 characters, choices as numbered lines.

Zalo shows no markup and no buttons: links stay bare URLs (the core writes "🔗 title: url"),
menus, did-you-mean questions and 👍/👎 become numbered lines through the shared text-choices
fallback (bot/channels/text_choices.py), which remembers per chat what each number means. The
list goes last, with a line saying how to answer, so it is what the citizen reads before typing.
"""

from __future__ import annotations

from dataclasses import replace

from bot.channels.text_split import split_text
from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo.client import MAX_TEXT
from bot.core.messages import Choice, Reply, action


def privacy_choice() -> Choice:
    return Choice(zalo_texts.PRIVACY_CHOICE, action("faq", zalo_texts.PRIVACY_FAQ))


def for_zalo(reply: Reply, *, notice: bool = False) -> Reply:
    """The reply as Zalo shows it: the automated-assistant notice and the privacy entry first
    (on /start and a chat's first message), and how to answer the numbered lines."""
    if notice:
        extra = () if privacy_choice() in reply.choices else (privacy_choice(),)
        reply = replace(
            reply,
            text=f"{zalo_texts.NOTICE}\n\n{reply.text}",
            choices=(*reply.topic_choices, *extra, *reply.feedback_choices),
        )
    if reply.choices:
        how = zalo_texts.FEEDBACK_HINT if reply.feedback_choices else zalo_texts.CHOOSE_HINT
        reply = replace(reply, hint="\n".join(h for h in (reply.hint, how) if h))
    return reply


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Messages of at most ``limit`` characters, cut at paragraph boundaries first."""
    return split_text(text, limit)
