"""The conversation service every channel calls: responder + feedback, subscriptions and logging."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from functools import partial

from bot.core import commands, delivery, texts
from bot.core.bookkeeping import WriteBehind
from bot.core.chat_state import MemoryChatState
from bot.core.commands import command_name
from bot.core.erasure import ErasureFlow
from bot.core.memory import UserMemory
from bot.core.messages import (
    QUESTION_OUTCOMES,
    Choice,
    IncomingMessage,
    MessageKind,
    Outcome,
    Reply,
    action,
    parse_action,
)
from bot.core.normalize import DEFAULT_MAX_CHARS
from bot.core.observe import NO_METRICS, Metrics
from bot.core.ports import (
    ChatState,
    ConversationLog,
    FeedbackStore,
    LoggedExchange,
    PersonalDataEraser,
    SubscriptionStore,
    TipSource,
    UserDirectory,
)
from bot.core.redact import contains_personal_data, redact
from bot.core.responder import Responder

log = logging.getLogger(__name__)


# The assistant's memory of a citizen (bot.core.memory): names and how long each lasts.
LAST_QUESTION, LAST_QUESTION_TTL = "a.question", 900.0
# After a 👎 the citizen may type what was wrong ("may:<faq>") or was asked to ("ask:<faq>").
COMMENT = "a.comment"
MAY_COMMENT_TTL, AWAITING_COMMENT_TTL = 600.0, 900.0
# Who was already asked not to send ID or phone numbers.
REMINDED, REMINDED_TTL = "a.reminded", 86_400.0
MEMORY_NAMES = (LAST_QUESTION, COMMENT, REMINDED)


@dataclass(slots=True)
class Ports:
    """Storage-backed collaborators; any may be missing (e.g. staff tools log nothing)."""

    log: ConversationLog | None = None
    feedback: FeedbackStore | None = None
    subscriptions: SubscriptionStore | None = None
    users: UserDirectory | None = None
    tips: TipSource | None = None
    eraser: PersonalDataEraser | None = None
    # The assistant's per-user memory; this process's memory when missing.
    state: ChatState | None = None


class Assistant:
    """Channel-free entry point: ``await assistant.handle(message)`` → Reply.

    Bookkeeping (user touches, conversation logs, feedback) goes to ``bookkeeping`` and is
    written after the answer: a locked or slow database never delays a citizen. A question is
    logged only once its answer went out (see bot.core.delivery).
    """

    def __init__(
        self,
        responder: Responder,
        ports: Ports | None = None,
        bookkeeping: WriteBehind | None = None,
        *,
        max_input_chars: int = DEFAULT_MAX_CHARS,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.responder = responder
        self.metrics = metrics
        self.ports = ports or Ports()
        # Not ``or``: an empty queue is falsy, and the one given carries the configured bound.
        self.bookkeeping = bookkeeping if bookkeeping is not None else WriteBehind()
        self.max_input_chars = max_input_chars
        # Shared with every process serving the same citizens when it is the database.
        self.memory = UserMemory(self.ports.state or MemoryChatState(), self.bookkeeping)
        self._erasure = ErasureFlow(
            lambda: self.ports.eraser, self._forget, self.memory, settle=self.bookkeeping.drain
        )

    async def handle(self, message: IncomingMessage) -> Reply:
        started = time.perf_counter()
        try:
            reply = await self._handle(message)
        except Exception:
            self.metrics.error("answer_failed")
            raise
        self.metrics.question(message.channel, reply.outcome, time.perf_counter() - started)
        return reply

    async def _handle(self, message: IncomingMessage) -> Reply:
        message = self.readable(message)
        key = (message.channel, message.user_id)
        if self._erasure.wants(message):
            return await self._erasure.handle(message)  # nothing recorded, not even a touch
        await self._touch(message)
        if message.action:
            special = await self._on_action(message, key)
            if special is not None:
                return special
        may_comment: str | None = None
        if not message.action and message.kind is MessageKind.TEXT and message.text:
            # After a 👎, many citizens just type what was wrong instead of tapping the button.
            comment = await self.memory.take(key, COMMENT)
            mode, _, comment_on = (comment or "").partition(":")
            pending = comment_on if mode == "ask" and comment_on else None
            may_comment = comment_on if mode == "may" and comment_on else None
            if pending is not None and command_name(message.text) is None:
                return await self._store_comment(message, pending)
            command = command_name(message.text)
            if command in commands.SUBSCRIPTION_NAMES:
                return await self._on_subscription(message, command)

        reply = self.responder.respond(message)
        if may_comment is not None and reply.outcome is Outcome.NO_MATCH:
            # Not a question we know: most likely what the citizen found wrong in the answer.
            await self._store_comment(message, may_comment)
            return Reply(
                self.responder.format(texts.COMMENT_THANKS_UNPROMPTED),
                Outcome.FEEDBACK,
                faq_id=may_comment,
            )
        if message.action and reply.outcome is Outcome.ANSWERED:
            verb, _ = parse_action(message.action)
            if verb == "pick":
                question = await self.memory.get(key, LAST_QUESTION)
                message = replace(message, reply_to_question=question)
                await self._log(message, reply, question or "")
            return reply
        if reply.outcome in QUESTION_OUTCOMES:
            text = message.text or ""
            self.memory.remember(key, LAST_QUESTION, text, LAST_QUESTION_TTL)
            await self._log(message, reply, text)
            reply = await self._remind_personal_data(key, text, reply)
        return reply

    async def _remind_personal_data(self, key: tuple[str, str], text: str, reply: Reply) -> Reply:
        """Once per conversation, ask a citizen who sent ID or phone numbers not to.
        ``text`` is the message as readable() redacted it."""
        if (
            not contains_personal_data(text, redacted=True)
            or await self.memory.get(key, REMINDED) is not None
        ):
            return reply
        self.memory.remember(key, REMINDED, "1", REMINDED_TTL)
        return replace(reply, text=f"{reply.text}\n\n{texts.PERSONAL_DATA_REMINDER}")

    def readable(self, message: IncomingMessage) -> IncomingMessage:
        """The message as the assistant reads it: the first ``max_input_chars`` characters,
        personal data replaced. Redacted once, here: what is matched, remembered for a
        comment and stored is this text, so no stored key can hold what was taken out.
        A channel that redacted the text itself (the web chat, for its history) marks the
        message ``redacted`` and gives ``typed_length``: it is not redacted twice."""
        if not message.text:
            return message
        if message.redacted:
            return replace(message, text=message.text[: self.max_input_chars])
        typed = len(message.text)
        text = redact(message.text[: self.max_input_chars])
        return replace(message, text=text, typed_length=typed, redacted=True)

    async def _forget(self, key: tuple[str, str]) -> None:
        await self.memory.forget(key, MEMORY_NAMES)

    # ------------------------------------------------------------------ internals

    async def _touch(self, message: IncomingMessage) -> None:
        if self.ports.users is None:
            return
        self.bookkeeping.put(
            "user touches",
            partial(
                self.ports.users.touch,
                channel=message.channel,
                user_id=message.user_id,
                display_name=message.display_name,
            ),
        )

    async def _log(self, message: IncomingMessage, reply: Reply, text: str) -> None:
        if self.ports.log is None:
            return
        # The text was redacted once, on arrival (see readable()).
        job = partial(self.ports.log.record, LoggedExchange(message, reply, text))
        # Logged as answered only once the answer has gone out.
        delivery.after_sent(partial(self.bookkeeping.put, "conversation logs", job))

    async def _on_action(self, message: IncomingMessage, key: tuple[str, str]) -> Reply | None:
        verb, args = parse_action(message.action or "")
        if verb in ("fb", "cmt") and not (args and self._published(args[-1])):
            return None  # hand-made or outdated: the responder answers "no longer available"
        if verb == "fb" and len(args) == 2 and args[0] in ("0", "1"):
            helpful = args[0] == "1"
            question = await self.memory.get(key, LAST_QUESTION)
            await self._feedback(message, args[1], helpful, None, question)
            if helpful:
                choices: tuple[Choice, ...] = ()
                if await self._can_offer_subscription(message):
                    choices = (Choice(texts.OFFER_SUBSCRIBE, "sub"),)
                return Reply(texts.FEEDBACK_THANKS, Outcome.FEEDBACK, choices=choices)
            await self.memory.put(key, COMMENT, f"may:{args[1]}", MAY_COMMENT_TTL)
            return Reply(
                self.responder.format(texts.FEEDBACK_SORRY),
                Outcome.FEEDBACK,
                choices=(Choice(texts.LEAVE_COMMENT, action("cmt", args[1])),),
                faq_id=args[1],
            )
        if verb == "cmt" and args:
            await self.memory.put(key, COMMENT, f"ask:{args[0]}", AWAITING_COMMENT_TTL)
            return Reply(texts.COMMENT_PROMPT, Outcome.FEEDBACK, faq_id=args[0])
        if verb in ("sub", "unsub"):
            return await self._on_subscription(
                message, commands.SUBSCRIBE if verb == "sub" else commands.UNSUBSCRIBE
            )
        return None

    def _published(self, faq_id: str) -> bool:
        entry = self.responder.live.current.kb.get(faq_id)
        return entry is not None and entry.status == "published"

    async def _feedback(
        self,
        message: IncomingMessage,
        faq_id: str,
        helpful: bool,
        comment: str | None,
        question: str | None,
    ) -> None:
        if self.ports.feedback is None:
            return
        self.bookkeeping.put(
            "feedback",
            partial(
                self.ports.feedback.record_feedback,
                channel=message.channel,
                user_id=message.user_id,
                faq_id=faq_id,
                helpful=helpful,
                comment=comment or None,
                question=question or None,
            ),
            # A comment amends the 👎 before it: the two are written in that order.
            order=("feedback", message.channel, message.user_id),
        )

    async def _store_comment(self, message: IncomingMessage, faq_id: str) -> Reply:
        text = message.text or ""
        question = await self.memory.get((message.channel, message.user_id), LAST_QUESTION)
        await self._feedback(message, faq_id, False, text, question)
        return Reply(texts.COMMENT_THANKS, Outcome.FEEDBACK, faq_id=faq_id)

    async def _can_offer_subscription(self, message: IncomingMessage) -> bool:
        subs = self.ports.subscriptions
        if subs is None:
            return False
        try:
            return not await subs.is_subscribed(channel=message.channel, user_id=message.user_id)
        except Exception:
            log.exception("could not read subscription state")
            return False

    async def _on_subscription(self, message: IncomingMessage, command: str) -> Reply:
        if command == commands.TIPS:
            tip = await self.ports.tips.latest_tip() if self.ports.tips is not None else None
            if tip is None:
                return Reply(texts.NO_TIPS, Outcome.COMMAND)
            body = tip.body + (f"\n\n🔗 {tip.link}" if tip.link else "")
            return Reply(texts.TIP.format(title=tip.title, body=body), Outcome.COMMAND)
        subs = self.ports.subscriptions
        if subs is None:
            return Reply(texts.SUBSCRIPTION_UNAVAILABLE, Outcome.COMMAND)
        if command == commands.SUBSCRIBE:
            created = await subs.subscribe(
                channel=message.channel, user_id=message.user_id, chat_id=message.chat_id
            )
            return Reply(texts.SUBSCRIBED if created else texts.ALREADY_SUBSCRIBED, Outcome.COMMAND)
        removed = await subs.unsubscribe(channel=message.channel, user_id=message.user_id)
        return Reply(texts.UNSUBSCRIBED if removed else texts.NOT_SUBSCRIBED, Outcome.COMMAND)
