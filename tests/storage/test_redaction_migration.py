"""Migration 0003 re-redacts rows written before it, merging inbox items that become one."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import migrate
from bot.storage.engine import create_engine
from bot.storage.models import AuditRow, ConversationRow, FeedbackRow, InboxRow
from tests.storage.backends import Backend

BEFORE = "0002_broadcast"
T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
async def engine(db: Backend) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db.settings())
    try:
        await migrate.upgrade(engine, BEFORE)
        yield engine
    finally:
        await engine.dispose()


def inbox_row(row_id: int, key: str, text: str, count: int = 1, **extra: Any) -> dict[str, Any]:
    values = {
        "id": row_id,
        "kind": "no_match",
        "key": key,
        "text": text,
        "faq_id": None,
        "count": count,
        "first_seen": T0 + dt.timedelta(hours=row_id),
        "last_seen": T0 + dt.timedelta(hours=row_id),
        "status": "open",
        "open_slot": 0,
    }
    values.update(extra)
    return values


async def seed(engine: AsyncEngine) -> None:
    conversation = {"channel": "telegram", "user_id": "1", "outcome": "no_match"}
    conversation |= {"confidence": 0.0, "picked": False, "created_at": T0}
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(ConversationRow.__table__),
            [
                {**conversation, "text": "gọi [SĐT] giúp", "normalized": "goi 0912345678 giup"},
                {**conversation, "text": "stk 0071000123456", "normalized": "stk 0071000123456"},
                {**conversation, "text": "hỏi về phí", "normalized": "hoi ve phi"},
            ],
        )
        await conn.execute(
            sa.insert(InboxRow.__table__),
            [
                inbox_row(1, "a [sdt]", "a [SĐT] b", 4),  # new key "a [sdt] b"
                inbox_row(2, "a 0912345678", "a [SĐT]", 1),  # new key: row 1's old key
                inbox_row(3, "goi 0912345678 giup", "gọi [SĐT] giúp", 2),
                inbox_row(4, "goi 0987654321 giup", "gọi [SĐT] giúp", 3),  # same question
                inbox_row(5, "hoi ve phi", "hỏi về phí", 7),
                inbox_row(6, "goi 0911111111 giup", "gọi [SĐT] giúp", status="dismissed"),
                inbox_row(
                    7,
                    "account.register|tao tk 0912345678",
                    "tạo tk [SĐT]",
                    kind="negative_feedback",
                    faq_id="account.register",
                ),
            ],
        )
        await conn.execute(
            sa.update(InboxRow.__table__).where(InboxRow.id == 6).values(open_slot=6)
        )
        await conn.execute(
            sa.insert(FeedbackRow.__table__),
            [
                {
                    "channel": "telegram",
                    "user_id": "1",
                    "faq_id": "account.register",
                    "helpful": False,
                    "comment": "stk 0071000123456 nhà số nhà 12 đường Lê Lợi",
                    "question": "tạo tk gọi 0912345678",
                    "created_at": T0,
                }
            ],
        )
        await conn.execute(
            sa.insert(AuditRow.__table__),
            [
                {
                    "at": T0,
                    "actor": "mai",
                    "action": "inbox.promote",
                    "target": "inbox:3",
                    "old": {"status": "open"},
                    "new": {"status": "promoted", "text": "thẻ 9704 0512 3456 7890"},
                    "detail": "",
                }
            ],
        )


async def test_old_rows_are_redacted_and_equal_items_merged(engine: AsyncEngine) -> None:
    await seed(engine)
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        conversations = (
            await conn.execute(
                sa.select(ConversationRow.text, ConversationRow.normalized).order_by(
                    ConversationRow.id
                )
            )
        ).all()
        items = (
            await conn.execute(
                sa.select(InboxRow.id, InboxRow.key, InboxRow.text, InboxRow.count).order_by(
                    InboxRow.id
                )
            )
        ).all()
        feedback = (await conn.execute(sa.select(FeedbackRow.comment, FeedbackRow.question))).one()
        audit = (await conn.execute(sa.select(AuditRow.new))).scalar_one()
    assert [tuple(r) for r in conversations] == [
        ("gọi [SĐT] giúp", "goi [sdt] giup"),
        ("stk [SỐ TÀI KHOẢN]", "stk [so tai khoan]"),
        ("hỏi về phí", "hoi ve phi"),  # nothing personal: the key is kept
    ]
    assert [tuple(r) for r in items] == [
        (1, "a [sdt] b", "a [SĐT] b", 4),
        (2, "a [sdt]", "a [SĐT]", 1),
        (3, "goi [sdt] giup", "gọi [SĐT] giúp", 5),  # item 4 merged in
        (5, "hoi ve phi", "hỏi về phí", 7),
        (6, "goi [sdt] giup", "gọi [SĐT] giúp", 1),  # dismissed: its own slot
        (7, "account.register|tao tk [sdt]", "tạo tk [SĐT]", 1),
    ]
    assert tuple(feedback) == ("stk [SỐ TÀI KHOẢN] nhà [ĐỊA CHỈ]", "tạo tk gọi [SĐT]")
    assert audit == {"status": "promoted", "text": "thẻ [SỐ TÀI KHOẢN]"}


async def test_downgrade_keeps_the_redacted_data(engine: AsyncEngine) -> None:
    await seed(engine)
    await migrate.upgrade(engine)
    await migrate.downgrade(engine, BEFORE)
    async with engine.connect() as conn:
        keys = set((await conn.execute(sa.select(InboxRow.key))).scalars())
    assert "goi 0912345678 giup" not in keys
    assert await migrate.current_revision(engine) == BEFORE
