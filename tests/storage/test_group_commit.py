"""Concurrent log and user writes share transactions and still fail or succeed one by one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Outcome
from bot.storage import Storage
from bot.storage.models import ConversationRow
from tests.storage.backends import Backend
from tests.storage.test_storage_contract import exchange


async def conversation_count(storage: Storage) -> int:
    async with storage.session_factory() as session:
        return int(await session.scalar(select(func.count(ConversationRow.id))) or 0)


async def test_concurrent_answers_share_transactions(storage: Storage) -> None:
    record, touch = storage.conversations.record, storage.users.touch
    writes = [record(exchange(f"câu {i}", Outcome.ANSWERED, user=f"u{i}")) for i in range(30)]
    writes += [record(exchange("không rõ", Outcome.NO_MATCH, user=f"m{i}")) for i in range(10)]
    # The same new citizen twice in one batch (two channels' messages at once): one is "first".
    writes += [touch(channel="telegram", user_id=u, display_name=None) for u in ("a", "b", "a")]
    before = storage.writer.batches
    results = await asyncio.gather(*writes)
    assert sorted(results[-3:]) == [False, True, True]
    assert storage.writer.batches - before < len(writes)
    assert await conversation_count(storage) == 40
    [item] = await storage.inbox.items()
    assert (item.kind, item.count) == ("no_match", 10)
    assert await storage.users.count() == 2


async def test_one_failing_write_fails_alone(storage: Storage) -> None:
    async def broken(session: AsyncSession, items: Sequence[int]) -> list[None]:
        await session.execute(text("INSERT INTO no_such_table VALUES (1)"))
        return [None] * len(items)

    record = storage.conversations.record
    results = await asyncio.gather(
        record(exchange("một", Outcome.ANSWERED, user="x1")),
        storage.writer.submit(broken, 1),
        record(exchange("hai", Outcome.NO_MATCH, user="x2")),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], Exception)
    assert await conversation_count(storage) == 2
    [item] = await storage.inbox.items()
    assert item.count == 1


async def test_two_processes_see_one_new_user_and_one_inbox_item(
    db: Backend, storage: Storage
) -> None:
    other = await Storage.open(db.settings())
    try:
        firsts = await asyncio.gather(
            *(
                s.users.touch(channel="zalo", user_id="42", display_name=None)
                for s in (storage, other, storage, other)
            )
        )
        await asyncio.gather(
            *(
                s.conversations.record(exchange("hỏi lạ", Outcome.NO_MATCH, user=f"p{i}"))
                for i, s in enumerate((storage, other) * 5)
            )
        )
    finally:
        await other.close()
    # Each process remembers its own recent touches, so each asks the database once.
    assert firsts.count(True) == 1
    assert await storage.users.count("zalo") == 1
    [item] = await storage.inbox.items()
    assert item.count == 10


@pytest.mark.parametrize("size", [1, 7])
async def test_drain_waits_for_every_write(storage: Storage, size: int) -> None:
    tasks = [
        asyncio.create_task(storage.conversations.record(exchange("x", Outcome.ANSWERED)))
        for _ in range(size)
    ]
    await asyncio.sleep(0)
    await storage.writer.drain()
    assert all(task.done() for task in tasks)
    assert await conversation_count(storage) == size


async def test_a_cancelled_writer_leaves_nobody_waiting(storage: Storage) -> None:
    entered = asyncio.Event()

    async def stuck(session: AsyncSession, items: Sequence[int]) -> list[None]:
        entered.set()
        await asyncio.Event().wait()
        return [None] * len(items)

    first = asyncio.create_task(storage.writer.submit(stuck, 1))
    await entered.wait()
    queued = asyncio.create_task(storage.conversations.record(exchange("x", Outcome.ANSWERED)))
    await asyncio.sleep(0)
    flusher = storage.writer._flusher
    assert flusher is not None
    flusher.cancel()
    for task in (first, queued):
        with pytest.raises(RuntimeError, match="storage closed"):
            await task
    # The next write starts a new writer.
    await storage.conversations.record(exchange("y", Outcome.ANSWERED))
    assert await conversation_count(storage) == 1


async def test_a_group_read_that_fails_fails_each_of_its_readers() -> None:
    from bot.storage.batch import GroupRead

    async def broken(keys: Sequence[str]) -> dict[str, str]:
        raise RuntimeError(f"no table for {len(keys)} keys")

    reads: GroupRead[str, str] = GroupRead(broken)
    results = await asyncio.gather(reads.get("a"), reads.get("b"), return_exceptions=True)
    assert [str(r) for r in results] == ["no table for 2 keys"] * 2
    assert reads.queries == 1


async def test_a_cancelled_caller_still_has_its_write_and_others_their_results(
    storage: Storage,
) -> None:
    record = storage.conversations.record
    gone = asyncio.create_task(record(exchange("bỏ đi", Outcome.ANSWERED, user="c1")))
    kept = asyncio.create_task(record(exchange("ở lại", Outcome.ANSWERED, user="c2")))
    await asyncio.sleep(0)  # both submitted to the same batch
    gone.cancel()
    assert await kept is None
    with pytest.raises(asyncio.CancelledError):
        await gone
    await storage.writer.drain()
    # The batch went on without the caller that left: both rows are there.
    assert await conversation_count(storage) == 2
    # And the writer still takes writes.
    await record(exchange("sau đó", Outcome.ANSWERED, user="c3"))
    assert await conversation_count(storage) == 3


async def test_a_cancelled_group_reader_leaves_the_others_their_value() -> None:
    from bot.storage.batch import GroupRead

    async def read_many(keys: Sequence[str]) -> dict[str, str]:
        return {key: key.upper() for key in keys}

    reads: GroupRead[str, str] = GroupRead(read_many)
    gone = asyncio.create_task(reads.get("a"))
    kept = asyncio.create_task(reads.get("a"))
    await asyncio.sleep(0)
    gone.cancel()
    assert await kept == "A"
    with pytest.raises(asyncio.CancelledError):
        await gone
