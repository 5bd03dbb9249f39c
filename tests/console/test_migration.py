"""Migration 0006_staff: one head, matches the models (tables and indexes), downgrades cleanly."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import bot.broadcast.models
import bot.console.models
from bot.storage import Storage, migrate
from bot.storage.models import Base
from tests.storage.backends import Backend

OURS = {"staff_accounts", "staff_sessions", "staff_login_failures"}
INDEXES = {
    "ix_conversations_created_outcome",
    "ix_conversations_picked_matched",
    "ix_inbox_items_status_last_seen",
    "ix_inbox_items_status_count",
    "ix_inbox_items_status_kind_count",
}


def _names(diff: Any) -> set[str]:
    found: set[str] = set()
    for part in diff if isinstance(diff, tuple | list) else (diff,):
        if isinstance(part, tuple | list):
            found |= _names(part)
            continue
        for name in (
            part,
            getattr(part, "name", None),
            getattr(getattr(part, "table", None), "name", None),
        ):
            if isinstance(name, str):
                found.add(name)
    return found


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if _names(d) & (OURS | INDEXES)]


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, heads
    assert bot.broadcast.models is not None


async def test_migration_matches_models_and_downgrades(db: Backend) -> None:
    storage = await Storage.open(db.settings())
    engine = storage.engine
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
        before = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0006_staff")
        assert isinstance(before.down_revision, str)
        await migrate.downgrade(engine, before.down_revision)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
            indexes = await conn.run_sync(
                lambda c: {i["name"] for i in c.dialect.get_indexes(c, "conversations")}
            )
        assert not names & OURS and not indexes & INDEXES
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
    finally:
        await storage.close()
