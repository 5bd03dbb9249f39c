"""Erasure on a citizen's request (/xoadulieu): every row about one (channel, user) goes.

Implements bot.core.ports.PersonalDataEraser. The inbox keeps redacted wordings with no link to
whoever asked, so it has nothing to delete. The audit row says that an erasure happened and how
many rows went, never whose.
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.audit import add_audit
from bot.storage.batch import GroupCommit
from bot.storage.models import Base, ConversationRow, FeedbackRow, SubscriptionRow, UserRow

# Tables of bot.broadcast (which builds on storage), named here without importing it.
_TIP_DELIVERIES = sa.table("tip_deliveries", sa.column("channel"), sa.column("user_id"))
_DELIVERIES = sa.table("broadcast_deliveries", sa.column("channel"), sa.column("user_id"))


class ErasureRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], writer: GroupCommit) -> None:
        self._sessions = sessions
        self._writer = writer

    async def erase_user(self, *, channel: str, user_id: str) -> dict[str, int]:
        # A conversation row of this user may still be waiting for the group commit.
        await self._writer.drain()
        deleted: dict[str, int] = {}
        async with self._sessions.begin() as session:
            for name, table, column in _WHERE_THE_USER_IS:
                result = await session.execute(
                    sa.delete(table).where(table.c.channel == channel, table.c[column] == user_id)
                )
                deleted[name] = int(result.rowcount)  # type: ignore[attr-defined]
            add_audit(session, "citizen", "privacy.erase", channel, new=deleted)
        return deleted


def _table(model: type[Base]) -> sa.TableClause:
    return cast(sa.Table, model.__table__)


# (what, table, column holding the channel's user id); users last: subscriptions refer to it.
_WHERE_THE_USER_IS: tuple[tuple[str, sa.TableClause, str], ...] = (
    ("conversations", _table(ConversationRow), "user_id"),
    ("feedback", _table(FeedbackRow), "user_id"),
    ("subscriptions", _table(SubscriptionRow), "user_id"),
    ("tip_deliveries", _TIP_DELIVERIES, "user_id"),
    ("broadcast_deliveries", _DELIVERIES, "user_id"),
    ("users", _table(UserRow), "external_id"),
)
