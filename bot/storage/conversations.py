"""Conversation log and feedback; both feed the staff inbox. Purge of old logs."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Outcome, parse_action
from bot.core.ports import LoggedExchange
from bot.core.redact import redact
from bot.storage.availability import raises_unavailable
from bot.storage.batch import GroupCommit, sqlite_form
from bot.storage.engine import dialect_insert
from bot.storage.models import ConversationRow, FeedbackRow, InboxRow, utcnow
from bot.storage.sqlite_direct import Statement
from bot.storage.textkey import fold_key

TEXT_MAX = 2000
# Core tables for the hot write path: no ORM unit of work for rows nobody reads back.
CONVERSATIONS = cast(Table, ConversationRow.__table__)
INBOX = cast(Table, InboxRow.__table__)
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
    await feed_inbox_many(session, [InboxHit(kind, key, text, faq_id)], now=now)


@dataclass(frozen=True, slots=True)
class InboxHit:
    kind: str
    key: str
    text: str
    faq_id: str | None = None


async def feed_inbox_many(
    session: AsyncSession, hits: Sequence[InboxHit], *, now: dt.datetime | None = None
) -> None:
    """Count occurrences of open inbox items, creating the missing ones.

    One upsert on the (kind, key, open_slot) constraint, executed for every distinct key: safe
    when two processes see the same new question at once.
    """
    rows = _inbox_rows(hits, now or utcnow())
    if rows:
        await session.execute(_inbox_upsert(dialect_insert(session, INBOX)), rows)


def _inbox_rows(hits: Sequence[InboxHit], now: dt.datetime) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for hit in hits:
        row = grouped.get((hit.kind, hit.key))
        if row is None:
            grouped[(hit.kind, hit.key)] = {
                "kind": hit.kind,
                "key": hit.key,
                "text": hit.text,
                "faq_id": hit.faq_id,
                "count": 1,
                "first_seen": now,
                "last_seen": now,
                "status": "open",
                "open_slot": 0,
            }
        else:
            row["count"] += 1
            row["text"] = hit.text  # the latest wording is shown
    return list(grouped.values())


def _inbox_upsert(statement: Any) -> Any:
    return statement.on_conflict_do_update(
        index_elements=["kind", "key", "open_slot"],
        set_={
            "count": INBOX.c.count + statement.excluded["count"],
            "last_seen": statement.excluded.last_seen,
            "text": statement.excluded.text,
        },
    )


_INBOX_KEYS = (
    "kind",
    "key",
    "text",
    "faq_id",
    "count",
    "first_seen",
    "last_seen",
    "status",
    "open_slot",
)
_INBOX_SQLITE = Statement(_inbox_upsert(sqlite_insert(INBOX)), _INBOX_KEYS)
_CONVERSATION_KEYS = (
    "channel",
    "user_id",
    "text",
    "normalized",
    "outcome",
    "matched_id",
    "confidence",
    "picked",
    "created_at",
)
_CONVERSATIONS_SQLITE = Statement(insert(CONVERSATIONS), _CONVERSATION_KEYS)


class ConversationRepository:
    """Implements bot.core.ports.ConversationLog."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], retention_days: int, writer: GroupCommit
    ) -> None:
        self._sessions = sessions
        self._retention = dt.timedelta(days=retention_days)
        self._writer = writer

    async def record(self, exchange: LoggedExchange) -> None:
        """Log one exchange; concurrent calls are committed together (see storage.batch)."""
        await self._writer.submit(_write_exchanges, exchange)

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


def _exchange_rows(
    exchanges: Sequence[LoggedExchange], now: dt.datetime
) -> tuple[list[dict[str, object]], list[InboxHit]]:
    rows: list[dict[str, object]] = []
    misses: list[InboxHit] = []
    for exchange in exchanges:
        message, reply = exchange.message, exchange.reply
        text = clean(exchange.redacted_text)
        picked = bool(message.action) and parse_action(message.action or "")[0] == "pick"
        key = fold_key(text) if picked else (reply.normalized or fold_key(text))
        rows.append(
            {
                "channel": message.channel,
                "user_id": message.user_id,
                "text": text,
                "normalized": key[:TEXT_MAX],
                "outcome": str(reply.outcome),
                "matched_id": reply.faq_id,
                "confidence": float(reply.confidence),
                "picked": picked,
                "created_at": now,
            }
        )
        kind = INBOX_OUTCOMES.get(reply.outcome)
        if kind and not picked and key:
            misses.append(InboxHit(kind, key[:TEXT_MAX], text))
    return rows, misses


def _write_exchanges_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, exchanges: Sequence[LoggedExchange]
) -> list[None]:
    now = utcnow()
    rows, misses = _exchange_rows(exchanges, now)
    _CONVERSATIONS_SQLITE.many(conn, dialect, rows)
    _INBOX_SQLITE.many(conn, dialect, _inbox_rows(misses, now))
    return [None] * len(exchanges)


@sqlite_form(_write_exchanges_sqlite)
async def _write_exchanges(
    session: AsyncSession, exchanges: Sequence[LoggedExchange]
) -> list[None]:
    now = utcnow()
    rows, misses = _exchange_rows(exchanges, now)
    await session.execute(insert(CONVERSATIONS), rows)
    await feed_inbox_many(session, misses, now=now)
    return [None] * len(exchanges)


class FeedbackRepository:
    """Implements bot.core.ports.FeedbackStore."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @raises_unavailable  # written behind the answer: an outage is retried, not dropped
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
