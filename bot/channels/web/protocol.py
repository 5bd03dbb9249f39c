"""The JSON contract of POST /api/chat and GET /api/chat/history, and Reply → JSON.

Request: {"text": "...", "session": null | id} or {"session": id, "choice": "<choice id>"}.
Reply: {"session": id, "reply": {"text", "outcome", "faq_id", "choices": [{"id", "label"}]}}.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core import texts
from bot.core.messages import ACTION_MAX_BYTES, Choice, Outcome, Reply, action, parse_action
from bot.storage.web_chat import HistoryEntry, Pair

# Outcomes the contract names; every other one (menu, small talk, feedback…) is "other".
CONTRACT_OUTCOMES = {Outcome.ANSWERED, Outcome.AMBIGUOUS, Outcome.NO_MATCH}
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
CHOICE_RE = re.compile(rf"[\x21-\x7e]{{1,{ACTION_MAX_BYTES}}}")
# Never shown here: the web cannot deliver weekly tips (the page points to Telegram/Zalo).
HIDDEN_VERBS = frozenset({"sub", "unsub"})
FEEDBACK_VERB = "fb"


class BadRequest(ValueError):
    """The body is not the contract's JSON (answered 400)."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    session: str | None
    text: str | None = None
    choice: str | None = None


def parse_request(body: bytes) -> ChatRequest:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("body is not JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    session, text, choice = data.get("session"), data.get("text"), data.get("choice")
    if session is not None and not isinstance(session, str):
        raise BadRequest("session must be a string or null")
    if (text is None) == (choice is None):
        raise BadRequest("send either text or choice")
    if text is not None and not isinstance(text, str):
        raise BadRequest("text must be a string")
    if choice is not None and not isinstance(choice, str):
        raise BadRequest("choice must be a string")
    return ChatRequest(valid_token(session), text, choice)


def valid_token(value: str | None) -> str | None:
    """The token if it looks like one we issue; anything else counts as no session."""
    return value if value is not None and TOKEN_RE.fullmatch(value) else None


def plausible_choice(value: str) -> bool:
    return CHOICE_RE.fullmatch(value) is not None


def outcome_name(outcome: Outcome) -> str:
    return outcome.value if outcome in CONTRACT_OUTCOMES else "other"


def reply_choices(reply: Reply) -> tuple[Pair, ...]:
    """Buttons as (id, label): the reply's choices (never a tips subscription) plus 👍/👎."""
    choices = [c for c in reply.choices if parse_action(c.action)[0] not in HIDDEN_VERBS]
    has_feedback = any(parse_action(c.action)[0] == FEEDBACK_VERB for c in choices)
    if reply.ask_feedback and reply.faq_id and not has_feedback:
        choices += [
            Choice(texts.FEEDBACK_UP, action(FEEDBACK_VERB, "1", reply.faq_id)),
            Choice(texts.FEEDBACK_DOWN, action(FEEDBACK_VERB, "0", reply.faq_id)),
        ]
    return tuple((c.action, c.label) for c in choices)


def reply_text(reply: Reply) -> str:
    return f"{reply.text}\n\n{reply.hint}" if reply.hint else reply.text


def present(reply: Reply) -> HistoryEntry:
    """The reply as the page shows it and the history keeps it."""
    return HistoryEntry(
        "assistant",
        reply_text(reply),
        outcome_name(reply.outcome),
        reply.faq_id,
        reply_choices(reply),
    )


def entry_json(entry: HistoryEntry) -> dict[str, Any]:
    body: dict[str, Any] = {"role": entry.role, "text": entry.text}
    if entry.role == "assistant":
        body.update(reply_json(entry))
    return body


def reply_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "text": entry.text,
        "outcome": entry.outcome or "other",
        "faq_id": entry.faq_id,
        "choices": [{"id": choice, "label": label} for choice, label in entry.choices],
    }
