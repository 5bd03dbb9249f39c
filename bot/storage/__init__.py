"""Storage facade: one object the composition root opens, passes down and closes.

Its attributes implement the core ports (``conversations``, ``feedback``, ``subscriptions``,
``users``, ``erasure``, ``chat_state``, ``memory``, ``flood``) and the staff repositories
(``knowledge``, ``inbox``, ``stats``, ``audit``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.storage import migrate as migrations
from bot.storage.audit import AuditRepository, current_actor
from bot.storage.batch import GroupCommit
from bot.storage.chat_state import ChatStateRepository
from bot.storage.conversations import ConversationRepository, FeedbackRepository
from bot.storage.engine import DatabaseUrlError, create_engine, session_factory
from bot.storage.erasure import ErasureRepository
from bot.storage.flood import FloodRepository
from bot.storage.inbound import InboundRepository
from bot.storage.inbox import InboxError, InboxItem, InboxRepository, Suggestion
from bot.storage.knowledge_repo import ImportPlan, KnowledgeRepository
from bot.storage.people import Subscriber, SubscriptionRepository, UserRepository
from bot.storage.sqlite_direct import release
from bot.storage.stats import StatsReport, StatsRepository


class SchemaOutOfDate(RuntimeError):
    """The database schema is older than this code and migrations were not requested."""


class Storage:
    """Everything persisted, behind repositories. Create with ``await Storage.open(settings)``."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.session_factory: async_sessionmaker[AsyncSession] = session_factory(engine)
        sessions = self.session_factory
        self.audit = AuditRepository(sessions)
        self.knowledge = KnowledgeRepository(sessions, settings.knowledge_dir, self.audit)
        # Conversation rows, user touches and inbound update states of concurrent answers share
        # transactions; the answer path waits for SQLite's lock briefly, then degrades.
        self.writer = GroupCommit(sessions, wait_ms=int(settings.journal_wait_seconds * 1000))
        self.inbound = InboundRepository(sessions, self.writer)
        self.conversations = ConversationRepository(
            sessions, settings.log_retention_days, self.writer
        )
        self.feedback = FeedbackRepository(sessions)
        self.users = UserRepository(sessions, self.writer)
        self.subscriptions = SubscriptionRepository(sessions)
        self.inbox = InboxRepository(sessions, self.knowledge)
        self.stats = StatsRepository(sessions, settings.timezone)
        self.erasure = ErasureRepository(sessions, self.writer)
        # Per-chat values and the assistant's per-user memory: written behind every answer,
        # the writes of concurrent answers in shared batches.
        self.chat_state = ChatStateRepository(sessions, writer=self.writer)
        self.memory = self.chat_state
        self.flood = FloodRepository(
            self.writer, settings.flood_max_messages, settings.flood_window_seconds
        )

    @classmethod
    async def open(cls, settings: Settings, *, migrate: bool = True) -> Storage:
        """Create the engine in the running loop and bring the schema to the latest version."""
        engine = create_engine(settings)
        try:
            if migrate:
                await migrations.upgrade(engine)
            elif await migrations.current_revision(engine) != migrations.head_revision():
                raise SchemaOutOfDate(
                    "Cơ sở dữ liệu chưa được nâng cấp: chạy `python -m bot db upgrade`."
                )
        except BaseException:
            await engine.dispose()
            raise
        return cls(settings, engine)

    async def ping(self) -> None:
        """One cheap round trip (SELECT 1): raises when the database does not answer."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.writer.drain()
        await release(self.engine)
        await self.engine.dispose()

    async def purge_old_logs(self, now: dt.datetime | None = None) -> int:
        """Delete logs older than settings.log_retention_days; return conversations deleted.

        Closed inbound updates older than two days and expired chat state go too (they hold
        keys, no text)."""
        await self.inbound.purge(now)
        await self.chat_state.purge(now)
        return await self.conversations.purge_old_logs(now)


__all__ = [
    "DatabaseUrlError",
    "ImportPlan",
    "InboxError",
    "InboxItem",
    "SchemaOutOfDate",
    "StatsReport",
    "Storage",
    "Subscriber",
    "Suggestion",
    "current_actor",
]
