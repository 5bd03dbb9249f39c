"""Database backends the storage contract runs on: SQLite always, PostgreSQL when configured.

Each PostgreSQL test gets its own schema (dropped afterwards), so tests never see each other's
rows and leave nothing behind.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT, Settings

KB_DIR = PROJECT_ROOT / "tests" / "data" / "storage_kb"
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set"),
    ),
]


@dataclass(frozen=True)
class Backend:
    kind: str
    url: str
    schema: str | None

    def env(self) -> dict[str, str]:
        values = {"DATABASE_URL": self.url, "KNOWLEDGE_DIR": str(KB_DIR)}
        if self.schema:
            values["DATABASE_SCHEMA"] = self.schema
        return values

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.url,
            "database_schema": self.schema,
            "knowledge_dir": KB_DIR,
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _run(sql: str) -> None:
    # Called from sync fixtures, possibly while an event loop exists but is not running.
    with_loop = asyncio.new_event_loop()
    try:
        with_loop.run_until_complete(_pg(sql))
    finally:
        with_loop.close()


@contextmanager
def backend(kind: str, tmp_path: Path) -> Iterator[Backend]:
    if kind == "sqlite":
        yield Backend(kind, f"sqlite:///{tmp_path / 'test.db'}", None)
        return
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _run(f'CREATE SCHEMA "{schema}"')
    try:
        yield Backend(kind, PG_URL, schema)
    finally:
        _run(f'DROP SCHEMA "{schema}" CASCADE')
