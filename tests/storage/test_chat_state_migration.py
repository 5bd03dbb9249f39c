"""Migration 0007_chat_state: matches the model, downgrades and upgrades again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import bot.broadcast.models
import bot.console.models
from bot.storage import Storage, migrate
from bot.storage.models import Base
from tests.storage.backends import Backend

TABLE = "chat_state"


def _ours(diff: Any) -> bool:
    text = repr(diff)
    return TABLE in text


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if _ours(d)]


def _tables(connection: Connection) -> set[str]:
    return set(connection.dialect.get_table_names(connection))


async def test_chat_state_migration_matches_model_and_downgrades(db: Backend) -> None:
    assert bot.broadcast.models is not None and bot.console.models is not None
    storage = await Storage.open(db.settings())
    engine = storage.engine
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
            assert TABLE in await conn.run_sync(_tables)
        await migrate.downgrade(engine, "0006_staff")
        async with engine.connect() as conn:
            assert TABLE not in await conn.run_sync(_tables)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
    finally:
        await storage.close()
