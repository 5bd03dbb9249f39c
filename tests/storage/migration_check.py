"""One migration's round trip: the schema matches the models, downgrades, upgrades again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import bot.broadcast.models
import bot.console.models
from bot.storage import Storage, migrate
from bot.storage.models import Base
from tests.storage.backends import Backend


def _names(connection: Connection) -> set[str]:
    """Table names, and column names of the tables migrations add columns to."""
    tables = set(connection.dialect.get_table_names(connection))
    columns = {c["name"] for c in connection.dialect.get_columns(connection, "inbound_updates")}
    return tables | columns


async def round_trip(
    db: Backend, ours: Callable[[str], bool], previous: str, names: set[str]
) -> None:
    """``ours``: whether a schema difference (its repr) concerns the migration; ``names``: the
    tables and columns it adds; ``previous``: the revision before it."""
    assert bot.broadcast.models is not None and bot.console.models is not None

    def diffs(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if ours(repr(d))]

    storage = await Storage.open(db.settings())
    engine = storage.engine
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(diffs) == []
            assert names <= await conn.run_sync(_names)
        await migrate.downgrade(engine, previous)
        async with engine.connect() as conn:
            assert not names & await conn.run_sync(_names)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(diffs) == []
    finally:
        await storage.close()
