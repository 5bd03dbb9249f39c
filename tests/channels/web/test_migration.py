"""Migration 0008_web_chat: matches the models, downgrades cleanly, upgrades again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import bot.storage.web_chat_models
from bot.storage import Storage, migrate
from bot.storage.models import Base
from tests.storage.backends import Backend

OURS = {"web_chat_sessions", "web_chat_messages", "web_chat_rate_limits"}


def _ours(diff: Any) -> bool:
    if isinstance(diff, tuple | list):
        return any(_ours(part) for part in diff)
    table = getattr(diff, "table", None)
    return getattr(diff, "name", None) in OURS or getattr(table, "name", None) in OURS


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if _ours(d)]


def _tables(connection: Connection) -> set[str]:
    return set(connection.dialect.get_table_names(connection))


async def test_migration_matches_models_and_downgrades(db: Backend) -> None:
    assert bot.storage.web_chat_models.WebChatSessionRow.__tablename__ in OURS
    storage = await Storage.open(db.settings())
    try:
        async with storage.engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
            assert await conn.run_sync(_tables) >= OURS
        await migrate.downgrade(storage.engine, "0006_staff")
        async with storage.engine.connect() as conn:
            assert not await conn.run_sync(_tables) & OURS
        await migrate.upgrade(storage.engine)
        async with storage.engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
    finally:
        await storage.close()
