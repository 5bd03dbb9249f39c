"""Migration 0009_shared_windows: matches the models, downgrades and upgrades again."""

from __future__ import annotations

from tests.storage.backends import Backend
from tests.storage.migration_check import round_trip


async def test_shared_windows_migration_matches_models_and_downgrades(db: Backend) -> None:
    await round_trip(
        db,
        lambda diff: "flood_windows" in diff or "claimed_at" in diff,
        "0008_web_chat",
        {"flood_windows", "claimed_at"},
    )
