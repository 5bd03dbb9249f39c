"""Conversation log and feedback; both feed the staff inbox. Purge of old logs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Outcome, parse_action
from bot.core.ports import LoggedExchange
from bot.core.redact import redact
from bot.storage.models import ConversationRow, FeedbackRow, InboxRow, utcnow
from bot.storage.textkey import fold_key

TEXT_MAX = 2000
INBOX_OUTCOMES = {Outcome.NO_MATCH: "no_match", Outcome.AMBIGUOUS: "ambiguous"}
NEGATIVE = "negative_feedback"
# The assistant stores a 👎 at once and the optional comment a little later.
_COMMENT_WINDOW = dt.timedelta(hours=1)


def clean(text: str | None) -> str:
    # Redacted again here: a caller that forgot must not put personal data on disk.
    return redact((text or "").strip())[:TEXT_MAX]


async def feed_inbox(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    text: str,
    faq_id: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Count one more occurrence of an open inbox item, creating it the first time."""
    now = now or utcnow()
    open_item = (InboxRow.kind == kind, InboxRow.key == key, InboxRow.open_slot == 0)
    bump = (
        update(InboxRow)
        .where(*open_item)
        .values(count=InboxRow.count + 1, last_seen=now, text=text)
        .execution_options(synchronize_session=False)
    )
    if (await session.execute(bump)).rowcount:  # type: ignore[attr-defined]
        return
    try:
        async with session.begin_nested():
            session.add(
                InboxRow(
                    kind=kind,
                    key=key,
                    text=text,
                    faq_id=faq_id,
                    count=1,
                    first_seen=now,
                    last_seen=now,
                    status="open",
                    open_slot=0,
                )
            )
    except IntegrityError:
        # Another process created the same item between our UPDATE and INSERT.
        await session.execute(bump)


class ConversationRepository:
    """Implements bot.core.ports.ConversationLog."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], retention_days: int) -> None:
        self._sessions = sessions
        self._retention = dt.timedelta(days=retention_days)

    async def record(self, exchange: LoggedExchange) -> None:
        message, reply = exchange.message, exchange.reply
        text = clean(exchange.redacted_text)
        picked = bool(message.action) and parse_action(message.action or "")[0] == "pick"
        key = fold_key(text) if picked else (reply.normalized or fold_key(text))
        now = utcnow()
        async with self._sessions.begin() as session:
            session.add(
                ConversationRow(
                    channel=message.channel,
                    user_id=message.user_id,
                    text=text,
                    normalized=key[:TEXT_MAX],
                    outcome=str(reply.outcome),
                    matched_id=reply.faq_id,
                    confidence=float(reply.confidence),
                    picked=picked,
                    created_at=now,
                )
            )
            kind = INBOX_OUTCOMES.get(reply.outcome)
            if kind and not picked and key:
                await feed_inbox(session, kind=kind, key=key[:TEXT_MAX], text=text, now=now)

    async def purge_old_logs(self, now: dt.datetime | None = None) -> int:
        """Delete conversations, feedback and inbox items last seen before the retention period."""
        cutoff = (now or utcnow()) - self._retention
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ConversationRow).where(ConversationRow.created_at < cutoff)
            )
            await session.execute(delete(FeedbackRow).where(FeedbackRow.created_at < cutoff))
            # Inbox items quote citizens too; one nobody asked again within retention goes.
            await session.execute(delete(InboxRow).where(InboxRow.last_seen < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]


class FeedbackRepository:
    """Implements bot.core.ports.FeedbackStore."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record_feedback(
        self,
        *,
        channel: str,
        user_id: str,
        faq_id: str,
        helpful: bool,
        comment: str | None = None,
        question: str | None = None,
    ) -> None:
        comment_text = clean(comment) or None
        question_text = clean(question) or None
        now = utcnow()
        async with self._sessions.begin() as session:
            if comment_text and not helpful:
                earlier = await session.scalar(
                    select(FeedbackRow)
                    .where(
                        FeedbackRow.channel == channel,
                        FeedbackRow.user_id == user_id,
                        FeedbackRow.faq_id == faq_id,
                        FeedbackRow.helpful.is_(False),
                        FeedbackRow.comment.is_(None),
                        FeedbackRow.created_at >= now - _COMMENT_WINDOW,
                    )
                    .order_by(FeedbackRow.id.desc())
                    .limit(1)
                )
                if earlier is not None:
                    # The comment belongs to the 👎 already counted: one vote, not two.
                    earlier.comment = comment_text
                    return
            session.add(
                FeedbackRow(
                    channel=channel,
                    user_id=user_id,
                    faq_id=faq_id,
                    helpful=helpful,
                    comment=comment_text,
                    question=question_text,
                    created_at=now,
                )
            )
            if not helpful:
                shown = question_text or comment_text or faq_id
                key = f"{faq_id}|{fold_key(question_text or '')}"
                await feed_inbox(
                    session, kind=NEGATIVE, key=key, text=shown, faq_id=faq_id, now=now
                )
