"""The channel-free staff service: who is staff, inbox decisions, reload, one confirmation per
announcement (even across processes)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core.chat_state import MemoryChatState
from bot.core.staff import InboxView, Reloaded, StaffUnavailable, staff_identity
from bot.staff.service import StaffService
from bot.storage import Storage
from tests.fakes.ports import FakeAnnouncer, MemoryStaffBackend
from tests.storage.backends import Backend


def service(
    backend: MemoryStaffBackend | None = None,
    announcer: FakeAnnouncer | None = None,
    state: object | None = None,
) -> tuple[StaffService, list[int]]:
    reloads: list[int] = []

    async def reload() -> Reloaded:
        reloads.append(1)
        return Reloaded(len(reloads), 10)

    desk = StaffService(
        {"telegram:1", "zalo:abc", "web:lan"},
        backend=backend,
        reload=reload,
        state=state or MemoryChatState(),  # type: ignore[arg-type]
        announcer=announcer,
    )
    return desk, reloads


def test_identities_are_per_channel() -> None:
    settings = Settings(_env_file=None, telegram_admin_ids="1, 2", staff_identities="zalo:abc;x")  # type: ignore[call-arg]
    assert settings.staff == {"telegram:1", "telegram:2", "zalo:abc"}
    desk, _ = service()
    assert desk.is_staff(staff_identity("zalo", "abc"))
    assert not desk.is_staff("telegram:abc") and not desk.is_staff("zalo:1")


async def test_promote_makes_the_wording_live_and_dismiss_does_not_reload() -> None:
    backend = MemoryStaffBackend(items=[InboxView(1, "no_match", "giá xăng", 2, "a.b")])
    backend.items.append(InboxView(2, "no_match", "xin chào", 1, None))
    desk, reloads = service(backend)
    assert await desk.promote("zalo:abc", 1, "a.b")
    assert backend.promoted == [(1, "a.b", "zalo:abc")] and reloads == [1]
    assert not await desk.promote("zalo:abc", 1, "a.b")  # gone
    assert await desk.dismiss("web:lan", 2)
    assert backend.dismissed == [(2, "web:lan")] and reloads == [1]


async def test_without_storage_or_broadcasts_the_tools_say_so() -> None:
    desk, _ = service()
    with pytest.raises(StaffUnavailable):
        await desk.stats(1)
    with pytest.raises(StaffUnavailable):
        await desk.inbox(5)
    with pytest.raises(StaffUnavailable):
        await desk.prepare_broadcast("telegram:1", "Bảo trì")
    assert await desk.confirm_broadcast("telegram:1") is None


async def test_an_announcement_needs_a_preview_and_starts_once() -> None:
    announcer = FakeAnnouncer()
    desk, _ = service(announcer=announcer)
    with pytest.raises(ValueError, match="quá dài"):
        await desk.prepare_broadcast("telegram:1", "x" * 200)
    assert await desk.prepare_broadcast("telegram:1", "  Bảo trì tối nay ") == "📢 Bảo trì tối nay"
    assert await desk.confirm_broadcast("zalo:abc") is None  # someone else's preview
    assert await desk.confirm_broadcast("telegram:1") == 1
    assert await desk.confirm_broadcast("telegram:1") is None  # a double tap
    assert announcer.created == [("Bảo trì tối nay", "telegram:1")]
    assert announcer.delivering == [1]
    await desk.prepare_broadcast("telegram:1", "Hủy thử")
    assert await desk.cancel_broadcast("telegram:1")
    assert await desk.confirm_broadcast("telegram:1") is None


async def test_a_confirmation_may_reach_another_process(db: Backend) -> None:
    first = await Storage.open(db.settings())
    second = await Storage.open(db.settings())
    announcer = FakeAnnouncer()
    try:
        one, _ = service(announcer=announcer, state=first.chat_state)
        two, _ = service(announcer=announcer, state=second.chat_state)
        await one.prepare_broadcast("zalo:abc", "Lịch trực Tết")
        assert await two.confirm_broadcast("zalo:abc") == 1
        assert await one.confirm_broadcast("zalo:abc") is None
        assert announcer.created == [("Lịch trực Tết", "zalo:abc")]
    finally:
        await first.close()
        await second.close()
