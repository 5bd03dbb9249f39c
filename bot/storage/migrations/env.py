"""Alembic environment for both drivers.

The assistant runs migrations through ``bot.storage.migrate`` and hands over an open
connection (``config.attributes["connection"]``); the ``alembic`` command line has none, so
this module then opens its own async engine from Settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.models import Base

# Feature modules add their tables to Base.metadata; import them so autogenerate sees them.
for _module in ("bot.broadcast.models", "bot.console.models", "bot.storage.web_chat_models"):
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module(_module)

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_engine() -> None:
    from bot.config import Settings
    from bot.storage.engine import create_engine

    engine = create_engine(Settings())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_own_engine())


run()
