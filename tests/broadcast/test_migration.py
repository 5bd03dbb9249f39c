"""The broadcast migration: one head, matches the models, downgrades cleanly."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import bot.broadcast.models  # noqa: F401 - registers the broadcast tables on Base.metadata
from bot.storage import migrate
from bot.storage.models import Base
from tests.broadcast.conftest import Db

OURS = {
    "broadcast_runs",
    "broadcast_deliveries",
    "broadcast_schedules",
    "broadcast_leases",
    "tips",
    "tip_deliveries",
}


def _tables_in(diff: Any) -> set[str]:
    found: set[str] = set()
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if isinstance(part, str) and part in OURS:
                found.add(part)
            if isinstance(name, str) and name in OURS:
                found.add(name)
            if table is not None and getattr(table, "name", None) in OURS:
                found.add(table.name)
    return found


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if _tables_in(d)]


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, heads


async def test_migration_matches_models_and_downgrades(db: Db) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diffs) == []
    await migrate.downgrade(db.engine, "0001")
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert not names & OURS
    await migrate.upgrade(db.engine)
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diffs) == []
