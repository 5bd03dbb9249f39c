"""Migration 0007_chat_state: matches the model, downgrades and upgrades again."""

from __future__ import annotations

from tests.storage.backends import Backend
from tests.storage.migration_check import round_trip

TABLE = "chat_state"


async def test_chat_state_migration_matches_model_and_downgrades(db: Backend) -> None:
    await round_trip(db, lambda diff: TABLE in diff, "0006_staff", {TABLE})
