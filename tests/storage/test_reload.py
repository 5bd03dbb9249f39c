"""Hot reload: a knowledge change reaches the callback; database errors do not stop the watcher."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.core.knowledge import KnowledgeBase
from bot.storage import Storage
from bot.storage.reload import KnowledgeWatcher

GUARD = 30  # seconds; only stops a broken test from hanging, never asserts speed


async def test_a_change_fires_the_callback(storage: Storage) -> None:
    seen: asyncio.Queue[tuple[KnowledgeBase, int]] = asyncio.Queue()

    async def on_change(kb: KnowledgeBase, version: int) -> None:
        await seen.put((kb, version))

    start = await storage.knowledge.version()
    watcher = KnowledgeWatcher(storage, 0.05, on_change, initial_version=start)
    watcher.start()
    try:
        assert await storage.knowledge.add_alternate(
            "account.register", "tk mới", by="t", action="kb.edit"
        )
        kb, version = await asyncio.wait_for(seen.get(), GUARD)
        assert version == start + 1
        entry = kb.get("account.register")
        assert entry is not None and "tk mới" in entry.alternates
    finally:
        await watcher.stop()


async def test_without_a_start_version_the_first_poll_delivers(storage: Storage) -> None:
    got: list[int] = []

    async def on_change(kb: KnowledgeBase, version: int) -> None:
        got.append(version)

    watcher = KnowledgeWatcher(storage, 1.0, on_change)
    assert await watcher.check()
    assert not await watcher.check()
    assert got == [await storage.knowledge.version()]


class FlakyKnowledge:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.calls = 0

    async def version(self) -> int:
        self.calls += 1
        if self.calls <= 2:
            raise ConnectionError("database restarting")
        return 5

    async def load(self) -> KnowledgeBase:
        return self.kb


async def test_watcher_survives_database_errors(seed_kb: KnowledgeBase) -> None:
    fake = dataclasses.make_dataclass("FakeStorage", [("knowledge", object)])(
        FlakyKnowledge(seed_kb)
    )
    delivered = asyncio.Event()

    async def on_change(kb: KnowledgeBase, version: int) -> None:
        assert version == 5
        delivered.set()

    watcher = KnowledgeWatcher(fake, 0.01, on_change, initial_version=1)  # type: ignore[arg-type]
    watcher.start()
    try:
        await asyncio.wait_for(delivered.wait(), GUARD)
    finally:
        await watcher.stop()
    assert fake.knowledge.calls >= 3
