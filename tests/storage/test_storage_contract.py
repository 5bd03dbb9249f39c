"""One contract suite for storage, run on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from bot.core.knowledge import FaqEntry, KnowledgeBase, KnowledgeError
from bot.core.messages import IncomingMessage, Outcome, Reply
from bot.core.ports import LoggedExchange
from bot.storage import InboxError, SchemaOutOfDate, Storage
from bot.storage import migrate as migrations
from bot.storage.models import ConversationRow, FeedbackRow, utcnow
from tests.storage.backends import Backend


def exchange(
    text: str,
    outcome: Outcome,
    *,
    channel: str = "telegram",
    user: str = "u1",
    faq_id: str | None = None,
    normalized: str = "",
    action: str | None = None,
) -> LoggedExchange:
    message = IncomingMessage(channel, user, user, text=text, action=action)
    reply = Reply("…", outcome, faq_id=faq_id, confidence=0.5, normalized=normalized)
    return LoggedExchange(message, reply, text)


def new_entry(faq_id: str = "help.hotline", **changes: object) -> FaqEntry:
    entry = FaqEntry(
        id=faq_id,
        category=faq_id.split(".")[0],
        question="Số tổng đài hỗ trợ là gì?",
        alternates=tuple(f"tổng đài hỗ trợ cách {i}" for i in range(6)),
        answer="Gọi {hotline} trong giờ hành chính.",
    )
    return dataclasses.replace(entry, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------- knowledge


async def test_seed_loads_back_identically(storage: Storage, seed_kb: KnowledgeBase) -> None:
    kb = await storage.knowledge.load()
    assert kb.entries == seed_kb.entries
    assert [c.id for c in kb.categories] == [c.id for c in seed_kb.categories]
    assert await storage.knowledge.version() == 1
    assert not await storage.knowledge.seed_if_empty(seed_kb)
    assert await storage.knowledge.version() == 1
    draft = kb.get("pay.draft_refund")
    assert draft is not None and draft.status == "draft"


async def test_import_plans_then_applies_in_one_step(storage: Storage) -> None:
    current = await storage.knowledge.get("account.register")
    assert current is not None
    changed = dataclasses.replace(current, answer=current.answer + "\n\nCập nhật.")
    located = [(changed, "f.csv", 2), (new_entry(), "f.csv", 3)]
    plan = await storage.knowledge.import_entries(located, by="lan", dry_run=True)
    assert [e.id for e in plan.added] == ["help.hotline"]
    assert [new.id for _, new in plan.changed] == ["account.register"]
    assert await storage.knowledge.version() == 1
    assert await storage.knowledge.get("help.hotline") is None

    plan = await storage.knowledge.import_entries(located, by="lan", detail="f.csv")
    assert plan.has_changes
    assert await storage.knowledge.version() == 2
    assert await storage.knowledge.get("account.register") == changed
    history = await storage.knowledge.history("account.register")
    assert [r.action for r in history] == ["kb.seed", "kb.import"]
    assert history[-1].actor == "lan"
    assert history[-1].old["answer"] == current.answer
    assert history[-1].new["answer"] == changed.answer

    again = await storage.knowledge.import_entries(located, by="lan")
    assert not again.has_changes and again.unchanged == 2
    assert await storage.knowledge.version() == 2


async def test_invalid_import_changes_nothing(storage: Storage) -> None:
    bad = [
        (new_entry(related=("nowhere.at_all",)), "bad.xlsx", 2),
        (new_entry("zzz.unknown"), "bad.xlsx", 3),
        (new_entry(), "bad.xlsx", 4),
    ]
    with pytest.raises(KnowledgeError) as caught:
        await storage.knowledge.import_entries(bad, by="lan")
    messages = [str(i) for i in caught.value.issues]
    assert any("bad.xlsx:2" in m and "related" in m for m in messages)
    assert any("bad.xlsx:3" in m and "category" in m for m in messages)
    assert any("bad.xlsx:4" in m and "duplicate" in m for m in messages)
    assert await storage.knowledge.version() == 1
    assert await storage.knowledge.get("help.hotline") is None


async def test_related_ids_may_point_at_live_entries(storage: Storage) -> None:
    entry = new_entry(related=("account.register",))
    await storage.knowledge.import_entries([(entry, "one.csv", 2)], by="lan")
    assert (await storage.knowledge.get("help.hotline")) == entry


async def test_prune_disables_what_the_file_lacks(storage: Storage) -> None:
    kb = await storage.knowledge.load()
    keep = [(e, "all.yaml", i) for i, e in enumerate(kb.entries) if e.id != "pay.fee_online"]
    plan = await storage.knowledge.import_entries(keep, by="lan", prune=True)
    assert [e.id for e in plan.removed] == ["pay.fee_online"]
    gone = await storage.knowledge.get("pay.fee_online")
    assert gone is not None and gone.status == "disabled"


async def test_edit_status_and_alternates_are_audited(storage: Storage) -> None:
    assert await storage.knowledge.save(new_entry(), by="an", action="kb.add")
    assert not await storage.knowledge.save(new_entry(), by="an", action="kb.edit")
    disabled = await storage.knowledge.set_status("help.hotline", "disabled", by="an")
    assert disabled is not None and disabled.status == "disabled"
    assert await storage.knowledge.set_status("no.such", "disabled", by="an") is None
    assert await storage.knowledge.add_alternate(
        "account.register", "mở tk dvc", by="an", action="kb.edit"
    )
    assert not await storage.knowledge.add_alternate(
        "account.register", "mở tk dvc", by="an", action="kb.edit"
    )
    actions = [r.action for r in await storage.knowledge.history("help.hotline")]
    assert actions == ["kb.add", "kb.disabled"]
    assert await storage.knowledge.version() == 4


# ---------------------------------------------------------------- conversations and inbox


async def test_log_is_redacted_and_misses_reach_the_inbox(storage: Storage) -> None:
    log = storage.conversations
    await log.record(exchange("gọi 0912345678 giúp", Outcome.NO_MATCH, normalized="goi giup"))
    await log.record(exchange("gọi 0987654321 giúp", Outcome.NO_MATCH, normalized="goi giup"))
    await log.record(exchange("mơ hồ quá", Outcome.AMBIGUOUS, normalized="mo ho"))
    await log.record(exchange("quên mk", Outcome.ANSWERED, faq_id="account.forgot_password"))
    items = await storage.inbox.items()
    assert [(i.kind, i.count) for i in items] == [("ambiguous", 1), ("no_match", 2)]
    assert items[1].text == "gọi [SĐT] giúp"
    async with storage.session_factory() as session:
        texts = list(await session.scalars(select(ConversationRow.text)))
    assert not any("0912345678" in t or "0987654321" in t for t in texts)


async def test_feedback_counts_once_with_its_comment(storage: Storage) -> None:
    fb = storage.feedback
    await fb.record_feedback(
        channel="zalo", user_id="u2", faq_id="account.register", helpful=False, question="tạo tk"
    )
    await fb.record_feedback(
        channel="zalo",
        user_id="u2",
        faq_id="account.register",
        helpful=False,
        comment="sai rồi, email tôi là a@b.vn",
    )
    await fb.record_feedback(channel="zalo", user_id="u3", faq_id="pay.fee_online", helpful=True)
    async with storage.session_factory() as session:
        rows = list(await session.scalars(select(FeedbackRow).order_by(FeedbackRow.id)))
    assert [(r.helpful, r.comment) for r in rows] == [
        (False, "sai rồi, email tôi là [EMAIL]"),
        (True, None),
    ]
    [item] = await storage.inbox.items()
    assert (item.kind, item.text, item.faq_id) == (
        "negative_feedback",
        "tạo tk",
        "account.register",
    )


async def test_promote_adds_the_wording_and_closes_the_item(storage: Storage) -> None:
    await storage.conversations.record(exchange("lập tk công dân", Outcome.NO_MATCH))
    [item] = await storage.inbox.items()
    assert await storage.inbox.promote(item.id, "account.register", by="mai")
    entry = await storage.knowledge.get("account.register")
    assert entry is not None and entry.alternates[-1] == "lập tk công dân"
    assert await storage.knowledge.version() == 2
    assert await storage.inbox.items() == []
    with pytest.raises(InboxError):
        await storage.inbox.promote(item.id, "account.register", by="mai")
    assert [r.action for r in await storage.audit.history(f"inbox:{item.id}")] == ["inbox.promote"]

    await storage.conversations.record(exchange("lập tk công dân", Outcome.NO_MATCH))
    [again] = await storage.inbox.items()
    assert again.id != item.id and again.count == 1
    with pytest.raises(KnowledgeError):
        await storage.inbox.promote(again.id, "no.such_entry", by="mai")
    await storage.inbox.dismiss(again.id, by="mai")
    assert await storage.inbox.items() == []
    assert [i.id for i in await storage.inbox.items(status="dismissed")] == [again.id]


async def test_concurrent_misses_make_one_item(storage: Storage) -> None:
    record = storage.conversations.record
    await asyncio.gather(
        *(record(exchange("abc xyz", Outcome.NO_MATCH, user=f"u{i}")) for i in range(20))
    )
    [item] = await storage.inbox.items()
    assert item.count == 20


async def test_repeated_picks_become_suggestions(storage: Storage) -> None:
    for user in ("a", "b", "c"):
        await storage.conversations.record(
            exchange(
                "làm lại tk",
                Outcome.ANSWERED,
                user=user,
                faq_id="account.register",
                action="pick:account.register",
            )
        )
    await storage.conversations.record(
        exchange(
            "quên mk",  # already an alternate: no suggestion
            Outcome.ANSWERED,
            faq_id="account.forgot_password",
            action="pick:account.forgot_password",
        )
    )
    [suggestion] = await storage.inbox.suggestions(min_count=2)
    assert (suggestion.text, suggestion.faq_id, suggestion.count) == (
        "làm lại tk",
        "account.register",
        3,
    )
    assert await storage.inbox.items() == []  # a resolved pick is not a miss


# ---------------------------------------------------------------- users and subscriptions


async def test_users_and_subscriptions(storage: Storage) -> None:
    assert await storage.users.touch(channel="telegram", user_id="7", display_name="An")
    assert not await storage.users.touch(channel="telegram", user_id="7", display_name="An")
    subs = storage.subscriptions
    assert not await subs.is_subscribed(channel="telegram", user_id="7")
    assert await subs.subscribe(channel="telegram", user_id="7", chat_id="70")
    assert not await subs.subscribe(channel="telegram", user_id="7", chat_id="70")
    assert await subs.is_subscribed(channel="telegram", user_id="7")
    assert await subs.subscribe(channel="zalo", user_id="8", chat_id="80", topics=("tips", "x"))
    assert [s.user_id for s in await subs.active(topic="x")] == ["8"]
    assert await subs.unsubscribe(channel="telegram", user_id="7")
    assert not await subs.unsubscribe(channel="telegram", user_id="7")
    assert not await subs.is_subscribed(channel="telegram", user_id="7")
    assert await subs.subscribe(channel="telegram", user_id="7", chat_id="71")
    [again] = await subs.active(channel="telegram")
    assert again.chat_id == "71" and again.consent_at <= utcnow()
    assert await storage.users.count() == 2


# ---------------------------------------------------------------- stats and purge


async def _age(storage: Storage, days: int) -> None:
    """Move every logged row ``days`` into the past."""
    async with storage.session_factory.begin() as session:
        for row in await session.scalars(select(ConversationRow)):
            row.created_at -= dt.timedelta(days=days)
        for fb in await session.scalars(select(FeedbackRow)):
            fb.created_at -= dt.timedelta(days=days)


async def test_stats_per_channel_and_window(storage: Storage) -> None:
    log = storage.conversations
    await log.record(exchange("cũ", Outcome.ANSWERED, faq_id="account.register"))
    await _age(storage, 30)
    for text, outcome, channel in [
        ("quên mk", Outcome.ANSWERED, "telegram"),
        ("quên mk", Outcome.ANSWERED, "zalo"),
        ("hỏi lạ", Outcome.NO_MATCH, "telegram"),
        ("mơ hồ", Outcome.AMBIGUOUS, "telegram"),
        ("xin chào", Outcome.SMALLTALK, "telegram"),
    ]:
        faq = "account.forgot_password" if outcome is Outcome.ANSWERED else None
        await log.record(exchange(text, outcome, channel=channel, faq_id=faq))
    await log.record(
        exchange("mơ hồ", Outcome.ANSWERED, faq_id="account.register", action="pick:x")
    )
    await storage.feedback.record_feedback(
        channel="zalo", user_id="u", faq_id="account.register", helpful=True
    )
    report = await storage.stats.for_days(7)
    data = report.to_json()
    assert (data["questions"], data["answered"], data["ambiguous"], data["no_match"]) == (
        4,
        2,
        1,
        1,
    )
    assert (data["picked"], data["helpful"], data["not_helpful"]) == (1, 1, 0)
    by_channel = data["by_channel"]
    assert isinstance(by_channel, dict)
    assert by_channel["zalo"]["questions"] == 1 and by_channel["zalo"]["helpful"] == 1
    assert by_channel["telegram"]["questions"] == 3
    assert report.top_questions[0].text == "quên mk" and report.top_questions[0].count == 2
    assert {t.text for t in report.top_misses} == {"hỏi lạ", "mơ hồ"}
    month = await storage.stats.for_days(60)
    assert month.totals.questions == 5


async def test_purge_deletes_only_old_logs(storage: Storage) -> None:
    await storage.conversations.record(exchange("cũ", Outcome.NO_MATCH))
    await storage.feedback.record_feedback(
        channel="zalo", user_id="u", faq_id="account.register", helpful=True
    )
    await _age(storage, 200)
    await storage.conversations.record(exchange("mới", Outcome.NO_MATCH))
    assert await storage.purge_old_logs() == 1
    async with storage.session_factory() as session:
        assert list(await session.scalars(select(ConversationRow.text))) == ["mới"]
        assert list(await session.scalars(select(FeedbackRow.id))) == []
    assert await storage.purge_old_logs() == 0


# ---------------------------------------------------------------- schema


async def test_migrations_go_down_and_up(storage: Storage) -> None:
    await migrations.downgrade(storage.engine, "base")
    assert await migrations.current_revision(storage.engine) is None
    await migrations.upgrade(storage.engine)
    assert await migrations.current_revision(storage.engine) == migrations.head_revision()
    assert await storage.knowledge.version() == 0


async def test_unmigrated_database_is_refused_without_migrate(db: Backend) -> None:
    with pytest.raises(SchemaOutOfDate):
        await Storage.open(db.settings(), migrate=False)
    store = await Storage.open(db.settings())
    await store.close()
    store = await Storage.open(db.settings(), migrate=False)
    await store.close()
