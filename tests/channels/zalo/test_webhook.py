"""The Zalo webhook route on the shared server: the secret, bad bodies, duplicates answered once
(also by two processes sharing one database)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.runtime import Runtime
from bot.storage import Storage
from tests.channels.zalo.conftest import CITIZEN, SECRET, RunningZalo, start_zalo
from tests.fakes.zalo_server import FakeZalo
from tests.storage.backends import Backend


async def test_set_at_start_and_a_question_answered(webhook: RunningZalo) -> None:
    fake = webhook.fake
    assert fake.webhook == {"url": webhook.url, "secret": SECRET}
    fake.text(CITIZEN, "quen mat khau dich vu cong")
    (answer, *_) = await fake.replies(CITIZEN)
    assert "Tôi quên mật khẩu" in answer.text
    assert fake.webhook_statuses == [200]


@pytest.mark.parametrize("secret", ["", "wrong-secret-123", SECRET + "x", SECRET[:-1]])
async def test_a_missing_or_wrong_secret_is_refused_and_nothing_processed(
    webhook: RunningZalo, secret: str
) -> None:
    fake = webhook.fake
    update = fake.event(CITIZEN, text="quen mat khau dich vu cong")
    assert await fake.deliver(update, secret=secret) == 403
    # The same update with the right secret afterwards is new: nothing of it was recorded.
    assert await fake.deliver(update) == 200
    await fake.replies(CITIZEN)
    await webhook.idle()
    assert webhook.channel.dispatcher.answered == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b'"text"',
        json.dumps({"ok": True}).encode(),
        json.dumps({"ok": True, "result": {"event_name": "message.text.received"}}).encode(),
        json.dumps({"ok": True, "result": [1, 2]}).encode(),
        '{"ok": true, "result": {"message": "\ud800"}}'.encode("utf-8", "surrogatepass"),
    ],
)
async def test_bad_bodies_get_400(webhook: RunningZalo, body: bytes) -> None:
    assert await webhook.fake.deliver(body=body) == 400
    await webhook.idle()
    assert webhook.fake.sent == []


async def test_unknown_event_and_huge_text_are_accepted_and_nothing_crashes(
    webhook: RunningZalo,
) -> None:
    fake = webhook.fake
    assert await fake.deliver(fake.event(CITIZEN, "oa.follow.received", text="hi")) == 200
    huge = "tôi muốn hỏi về tài khoản " * 10_000  # ~350 kB
    assert await fake.deliver(fake.event(CITIZEN, text=huge * 4)) == 413  # over the server's 1 MB
    assert await fake.deliver(fake.event(CITIZEN, text=huge)) == 200
    replies = await fake.replies(CITIZEN)
    await webhook.idle()
    assert all(len(m.text) <= 2000 for m in fake.sent)
    assert len(replies) >= 1
    assert fake.errors == []


async def test_a_duplicate_delivery_is_answered_once(webhook: RunningZalo) -> None:
    fake = webhook.fake
    update = fake.event(CITIZEN, text="/lienhe", message_id="dup-1")
    statuses = await asyncio.gather(*(fake.deliver(update) for _ in range(3)))
    assert statuses == [200, 200, 200]
    await fake.replies(CITIZEN)
    await webhook.idle()
    assert await fake.deliver(update) == 200  # again later
    await webhook.idle()
    assert len(fake.to(CITIZEN)) == 1
    # Same message id, another event: not the same delivery.
    assert (
        await fake.deliver(fake.event(CITIZEN, "message.sticker.received", message_id="dup-1"))
        == 200
    )
    await fake.replies(CITIZEN, count=2)


async def test_two_processes_sharing_the_database_answer_a_redelivery_once(
    fake: FakeZalo, runtime: Runtime, db: Backend
) -> None:
    stores = [await Storage.open(db.settings()) for _ in range(2)]
    running: list[RunningZalo] = []
    try:
        for store in stores:
            running.append(await start_zalo(fake, runtime, webhook=True, store=store))
        update = fake.event(CITIZEN, text="/lienhe", message_id="m-shared")
        statuses = await asyncio.gather(*(fake.deliver(update, url=r.url) for r in running))
        assert statuses == [200, 200]
        await fake.replies(CITIZEN)
        for bot in running:
            await bot.channel.dispatcher.idle()
        assert len(fake.to(CITIZEN)) == 1
    finally:
        for bot in running:
            await bot.close()
        for store in stores:
            await store.close()
