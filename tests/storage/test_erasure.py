"""/xoadulieu through the real assistant and storage: no row keeps the user's id afterwards."""

from __future__ import annotations

import json

from sqlalchemy import JSON, MetaData, String, Text, select
from sqlalchemy.engine import Connection

from bot.broadcast.models import BroadcastRunRow, DeliveryRow, TipDeliveryRow
from bot.config import PROJECT_ROOT
from bot.core import texts
from bot.core.messages import IncomingMessage, MessageKind
from bot.runtime import Runtime, open_runtime
from tests.storage.backends import Backend

GONE, STAYS = "4242", "777"


def said(user: str, text: str) -> IncomingMessage:
    return IncomingMessage("telegram", user, user, text=text)


def tapped(user: str, action: str) -> IncomingMessage:
    return IncomingMessage("telegram", user, user, kind=MessageKind.ACTION, action=action)


async def use_the_bot(runtime: Runtime, user: str) -> None:
    handle = runtime.assistant.handle
    answered = await handle(said(user, "quên mật khẩu dịch vụ công"))
    await handle(tapped(user, f"fb:0:{answered.faq_id}"))
    await handle(tapped(user, f"cmt:{answered.faq_id}"))
    await handle(said(user, "thiếu bước đổi số điện thoại"))
    await handle(said(user, "giá vàng hôm nay xyzw"))
    await handle(said(user, "/subscribe"))
    storage = runtime.storage
    assert storage is not None
    async with storage.session_factory.begin() as session:
        run = BroadcastRunRow(kind="tip", status="finished", created_by="test")
        session.add(run)
        await session.flush()
        session.add(DeliveryRow(run_id=run.id, channel="telegram", chat_id=user, user_id=user))
        session.add(TipDeliveryRow(channel="telegram", user_id=user, tip_id="t1", run_id=run.id))


def where_ids_are(connection: Connection, value: str) -> list[str]:
    metadata = MetaData()
    metadata.reflect(connection)
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            for stored in connection.execute(select(column)).scalars():
                text = json.dumps(stored) if not isinstance(stored, str) else stored
                if stored is not None and value in text:
                    found.append(f"{table.name}.{column.name}")
    return found


async def test_erasure_leaves_no_row_about_the_user_and_audits_only_counts(db: Backend) -> None:
    async with open_runtime(db.settings(knowledge_dir=PROJECT_ROOT / "knowledge")) as runtime:
        storage = runtime.storage
        assert storage is not None
        await use_the_bot(runtime, GONE)
        await use_the_bot(runtime, STAYS)
        async with storage.engine.connect() as connection:
            before = await connection.run_sync(where_ids_are, GONE)
        assert {"conversations.user_id", "feedback.user_id", "users.external_id"} <= set(before)

        asked = await runtime.assistant.handle(said(GONE, "/xoadulieu"))
        assert asked.text == texts.ERASE_CONFIRM
        done = await runtime.assistant.handle(tapped(GONE, "erase:yes"))
        assert done.text == texts.ERASED

        async with storage.engine.connect() as connection:
            assert await connection.run_sync(where_ids_are, GONE) == []
            kept = await connection.run_sync(where_ids_are, STAYS)
        assert {"conversations.user_id", "subscriptions.user_id", "tip_deliveries.user_id"} <= set(
            kept
        )
        [audit] = [r for r in await storage.audit.recent() if r.action == "privacy.erase"]
        assert (audit.actor, audit.target) == ("citizen", "telegram")
        assert audit.new["users"] == 1 and audit.new["subscriptions"] == 1
        assert audit.new["conversations"] >= 2 and audit.new["feedback"] == 1
        assert audit.new["tip_deliveries"] == 1 and audit.new["broadcast_deliveries"] == 1
        assert await storage.subscriptions.active() != []  # the other subscriber stays
