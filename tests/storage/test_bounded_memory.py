"""What storage keeps in the process's memory per citizen stays bounded however many there are."""

from __future__ import annotations

import asyncio
import tracemalloc

from bot.core.recent import RecentKeys
from bot.storage import Storage
from bot.storage.people import RECENT_TOUCHES, touch_key


async def test_recent_user_touches_stay_within_their_cap(storage: Storage) -> None:
    users = storage.users
    assert users.recent.max_items == RECENT_TOUCHES
    users.recent = RecentKeys(60.0, 100)  # the same structure, a cap a test can pass quickly
    touches = [
        users.touch(channel="telegram", user_id=f"u{i}", display_name=None) for i in range(300)
    ]
    assert all(await asyncio.gather(*touches))  # each seen the first time
    assert len(users.recent) == 100
    assert await users.count() == 300
    batches = storage.writer.batches
    assert not await users.touch(channel="telegram", user_id="u299", display_name=None)
    assert storage.writer.batches == batches  # touched within the minute: nothing written
    # One forgotten early (past the cap) is written again, and is not new.
    assert not await users.touch(channel="telegram", user_id="u0", display_name=None)
    assert storage.writer.batches == batches + 1


def test_recent_touches_at_their_cap_cost_under_a_mebibyte() -> None:
    # A peak fills the cap; what it holds is a key and a stamp per user (about 190 bytes).
    # The cap was 10,000 tuple keys (a tuple, the id's string, a stamp): 2.4 MiB in all.
    tracemalloc.start()
    try:
        recent: RecentKeys[str] = RecentKeys(60.0, RECENT_TOUCHES)
        for user in range(RECENT_TOUCHES + 1_000):
            recent.mark(touch_key("telegram", str(1_000_000_000 + user)))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(recent) == RECENT_TOUCHES
    assert held < 2**20
