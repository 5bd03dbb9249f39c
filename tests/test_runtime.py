"""The composition: storage-backed runtime, seeding, and hot reload without a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.core.messages import IncomingMessage, Outcome
from bot.runtime import open_runtime
from bot.storage.reload import KnowledgeWatcher

NEW_WORDING = "con mèo nhà hàng xóm cắn có được bồi thường không"


def make_settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'rt.db'}",
        knowledge_dir=PROJECT_ROOT / "knowledge",
        knowledge_poll_seconds=0.05,
    )


def question(text: str) -> IncomingMessage:
    return IncomingMessage("test", "u", "c", text=text)


async def test_an_empty_database_is_seeded_and_questions_are_logged(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with open_runtime(settings) as runtime:
        assert runtime.storage is not None
        assert len(runtime.snapshot.kb.published) >= 50
        reply = await runtime.assistant.handle(question("giá vàng hôm nay bao nhiêu"))
        assert reply.outcome is Outcome.NO_MATCH
        await runtime.bookkeeping.drain()  # logs are written behind the answer
        items = await runtime.storage.inbox.items()
        assert [item.kind for item in items] == ["no_match"]


async def test_staff_edits_go_live_without_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with open_runtime(settings) as runtime:
        storage = runtime.storage
        assert storage is not None
        before = runtime.responder.respond(question(NEW_WORDING))
        assert before.outcome is not Outcome.ANSWERED
        watcher = KnowledgeWatcher(
            storage, 0.05, runtime.install, initial_version=runtime.snapshot.version
        )
        watcher.start()
        try:
            entry = await storage.knowledge.get("help.hotline")
            assert entry is not None
            extra = (NEW_WORDING, "mèo hàng xóm cắn đòi bồi thường", "bị mèo cắn bồi thường")
            changed = dataclasses.replace(entry, alternates=(*entry.alternates, *extra))
            await storage.knowledge.save(changed, by="test", action="kb.edit")
            old_snapshot = runtime.snapshot
            for _ in range(400):  # a bounded wait for the poller, not a timing assertion
                if runtime.snapshot is not old_snapshot:
                    break
                await asyncio.sleep(0.05)
            after = runtime.responder.respond(question(NEW_WORDING))
            assert after.faq_id == "help.hotline"
            # The old snapshot object is untouched: readers holding it saw a complete index.
            assert old_snapshot.kb.get("help.hotline") == entry
        finally:
            await watcher.stop()


async def test_a_staff_tool_runtime_logs_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with open_runtime(settings, log_conversations=False) as runtime:
        await runtime.assistant.handle(question("giá vàng hôm nay bao nhiêu"))
        await runtime.bookkeeping.drain()
        assert runtime.storage is not None
        assert await runtime.storage.inbox.items() == []


async def test_stopping_writes_the_logs_still_queued_behind_the_answers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with open_runtime(settings) as runtime:
        for number in range(300):
            message = IncomingMessage("test", f"u{number}", f"c{number}", text="quên mật khẩu")
            await runtime.assistant.handle(message)
        queued = len(runtime.bookkeeping)
        assert queued > 0  # answered; their logs not written yet
    # The same as SIGTERM: leaving the runtime flushes the queue before storage closes.
    async with open_runtime(settings) as runtime:
        assert runtime.storage is not None
        report = await runtime.storage.stats.report(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert report.totals.questions == 300, (queued, report.totals)


async def test_the_configured_bound_on_writes_waiting_in_memory_is_the_one_used(
    tmp_path: Path,
) -> None:
    # The queue starts empty (falsy): it must still be the one the settings sized.
    settings = make_settings(tmp_path).model_copy(update={"bookkeeping_max_items": 7})
    async with open_runtime(settings) as runtime:
        assert runtime.bookkeeping.max_items == 7
