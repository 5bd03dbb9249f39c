"""Numbered text choices: rendering, typed answers, memory in the database and in memory."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest

from bot.channels.console import ConsoleChannel
from bot.channels.text_choices import MAX_CHOICES, TextChoices, numbered, resolve
from bot.config import PROJECT_ROOT, Settings
from bot.core import texts
from bot.core.assistant import Assistant
from bot.core.chat_state import MemoryChatState
from bot.core.knowledge import load_knowledge_dir
from bot.core.messages import Choice, IncomingMessage, MessageKind, Outcome, Reply
from bot.runtime import make_runtime
from bot.storage import Storage
from bot.storage.chat_state import ChatStateRepository
from bot.storage.models import utcnow
from tests.fakes.ports import MemoryPorts
from tests.storage.backends import Backend

ANSWER = Reply(
    "Câu hỏi?\n\nTrả lời.",
    Outcome.ANSWERED,
    choices=(Choice("Câu liên quan", "faq:a.b"),),
    faq_id="x.y",
    ask_feedback=True,
)


def _with_feedback(reply: Reply) -> Reply:
    from bot.core.messages import with_feedback

    return with_feedback(reply)


def test_numbered_lines_include_feedback_and_the_related_label() -> None:
    text = numbered(_with_feedback(ANSWER))
    assert text.splitlines() == [
        "Câu hỏi?",
        "",
        "Trả lời.",
        texts.RELATED,
        "  1. Câu liên quan",
        f"  2. {texts.FEEDBACK_UP}",
        f"  3. {texts.FEEDBACK_DOWN}",
    ]


def test_hint_follows_the_choices() -> None:
    reply = Reply("Có phải?", Outcome.AMBIGUOUS, (Choice("A", "pick:a"),), hint="Gõ lại.")
    assert numbered(reply).splitlines() == ["Có phải?", "  1. A", "Gõ lại."]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", "faq:a.b"),
        (" 2 ", "fb:1:x.y"),
        ("3.", "fb:0:x.y"),
        ("👍", "fb:1:x.y"),
        ("👎\ufe0f", "fb:0:x.y"),
        ("4", None),
        ("0", None),
        ("١", None),  # an Arabic-Indic digit is not a number the list showed
        ("một", None),
    ],
)
def test_resolve(typed: str, expected: str | None) -> None:
    actions = [c.action for c in _with_feedback(ANSWER).choices]
    assert resolve(typed, actions) == expected


def test_thumbs_without_feedback_choices_stay_text() -> None:
    assert resolve("👍", ["faq:a.b"]) is None


async def test_memory_picks_only_from_the_last_reply() -> None:
    choices = TextChoices("zalo", MemoryChatState())
    await choices.render("c1", _with_feedback(ANSWER))
    picked = await choices.incoming("u1", "c1", "1")
    assert picked.kind is MessageKind.ACTION and picked.action == "faq:a.b"
    other = await choices.incoming("u2", "c2", "1")
    assert other.action is None and other.text == "1"
    await choices.render("c1", Reply("Cảm ơn.", Outcome.FEEDBACK))
    after = await choices.incoming("u1", "c1", "1")
    assert after.action is None and after.text == "1"


async def test_long_lists_are_cut_and_numbers_past_them_are_text() -> None:
    many = tuple(Choice(f"Mục {i}", f"faq:e.{i}") for i in range(MAX_CHOICES + 10))
    choices = TextChoices("console", MemoryChatState())
    text = await choices.render("c", Reply("Chọn:", Outcome.MENU, many))
    assert f"  {MAX_CHOICES}. Mục {MAX_CHOICES - 1}" in text
    assert f"  {MAX_CHOICES + 1}." not in text
    late = await choices.incoming("u", "c", str(MAX_CHOICES + 1))
    assert late.action is None


async def test_memory_is_bounded_and_expires() -> None:
    now = [0.0]
    state = MemoryChatState(max_items=2, clock=lambda: now[0])
    for chat in ("a", "b", "c"):
        await state.put("console", chat, "choices", "[]", 10)
    assert len(state) == 2
    assert await state.get("console", "a", "choices") is None
    now[0] = 11
    assert await state.get("console", "c", "choices") is None


async def test_a_broken_store_costs_the_pick_not_the_answer() -> None:
    class Broken(MemoryChatState):
        async def put(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

        async def get(self, *args: object, **kwargs: object) -> str | None:
            raise OSError("disk full")

    choices = TextChoices("console", Broken())
    text = await choices.render("c", _with_feedback(ANSWER))
    assert "  1. Câu liên quan" in text
    message = await choices.incoming("u", "c", "1")
    assert message.text == "1" and message.action is None


async def test_database_memory_survives_a_restart_and_is_shared(db: Backend) -> None:
    first = await Storage.open(db.settings())
    second = await Storage.open(db.settings())
    try:
        await TextChoices("zalo", first.chat_state).render("chat-1", _with_feedback(ANSWER))
        # Another process (or the same one after a restart) understands the number.
        message = await TextChoices("zalo", second.chat_state).incoming("u", "chat-1", "👎")
        assert message.action == "fb:0:x.y"
        other_channel = await TextChoices("web", second.chat_state).incoming("u", "chat-1", "1")
        assert other_channel.action is None
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("shared", [False, True], ids=["own", "group-commit"])
async def test_database_memory_expires_and_is_purged(db: Backend, shared: bool) -> None:
    storage = await Storage.open(db.settings())
    now = [utcnow()]
    writer = storage.writer if shared else None
    repo = ChatStateRepository(storage.session_factory, clock=lambda: now[0], writer=writer)
    try:
        await repo.put("zalo", "c", "choices", '["menu"]', 60)
        await repo.put("zalo", "d", "choices", '["menu"]', 3600)
        assert await repo.get("zalo", "c", "choices") == '["menu"]'
        await repo.put("zalo", "c", "choices", '["cat:x"]', 60)  # replaced, not duplicated
        assert await repo.get("zalo", "c", "choices") == '["cat:x"]'
        now[0] += dt.timedelta(seconds=61)
        assert await repo.get("zalo", "c", "choices") is None
        assert await repo.purge() == 1
        assert await repo.get("zalo", "d", "choices") == '["menu"]'
        with pytest.raises(ValueError, match="too large"):
            await repo.put("zalo", "c", "choices", "x" * 20_000, 60)
    finally:
        await storage.close()


async def test_writes_of_concurrent_answers_share_one_transaction(db: Backend) -> None:
    storage = await Storage.open(db.settings())
    repo = storage.chat_state
    try:
        before = storage.writer.batches
        await asyncio.gather(
            repo.put("zalo", "a", "choices", '["menu"]', 60),
            repo.put("zalo", "b", "choices", '["menu"]', 60),
            repo.put("zalo", "a", "choices", '["cat:x"]', 60),  # the later write counts
            repo.delete("zalo", "b", "choices"),
            repo.delete("zalo", "nobody", "choices"),
        )
        assert storage.writer.batches == before + 1
        assert await repo.get("zalo", "a", "choices") == '["cat:x"]'
        assert await repo.get("zalo", "b", "choices") is None
    finally:
        await storage.close()


async def test_reads_of_concurrent_answers_share_one_query(db: Backend) -> None:
    storage = await Storage.open(db.settings())
    repo = storage.chat_state
    try:
        await repo.put("zalo", "a", "choices", '["menu"]', 60)
        await repo.put("zalo", "b", "choices", '["cat:x"]', -1)  # expired
        reads = repo._reads.queries
        found = await asyncio.gather(
            repo.get("zalo", "a", "choices"),
            repo.get("zalo", "a", "choices"),
            repo.get("zalo", "b", "choices"),
            repo.get("web", "a", "choices"),
        )
        assert found == ['["menu"]', '["menu"]', None, None]
        assert repo._reads.queries == reads + 1
    finally:
        await storage.close()


async def test_console_chat_picks_by_number_and_thumbs() -> None:
    kb = load_knowledge_dir(PROJECT_ROOT / "knowledge")
    runtime = make_runtime(Settings(knowledge_dir=PROJECT_ROOT / "knowledge", _env_file=None), kb)  # type: ignore[call-arg]
    ports = MemoryPorts()
    assistant = Assistant(runtime.responder, ports.as_ports())
    seen: list[IncomingMessage] = []

    async def handle(message: IncomingMessage) -> Reply:
        seen.append(message)
        return await assistant.handle(message)

    stdin = io.StringIO("quen mat khau dich vu cong\n👍\n")
    stdout = io.StringIO()
    assert await ConsoleChannel(handle, stdin=stdin, stdout=stdout, user_id="an").run() == 0
    assert seen[1].action is not None and seen[1].action.startswith("fb:1:")
    assert texts.FEEDBACK_THANKS in stdout.getvalue()
    await assistant.bookkeeping.drain()
    assert [f["helpful"] for f in ports.feedback] == [True]
