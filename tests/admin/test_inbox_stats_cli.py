"""CONTRACT: `inbox list [--json]`, `inbox promote ITEM_ID --to FAQ_ID`, `inbox dismiss`,
`inbox suggestions`, `stats [--days N] [--json]`, `db upgrade`, `db purge`."""

from __future__ import annotations

import asyncio
import json

from bot.core.knowledge import load_knowledge_dir
from bot.core.messages import IncomingMessage, Outcome, Reply
from bot.core.ports import LoggedExchange
from bot.storage import Storage
from bot.storage.migrate import head_revision
from tests.admin.conftest import Run
from tests.admin.kb_helpers import db, db_state, export_jsonl
from tests.storage.backends import KB_DIR, Backend

__all__ = ["db"]


def populate(db: Backend) -> None:
    async def fill() -> None:
        storage = await Storage.open(db.settings())
        try:
            await storage.knowledge.seed_if_empty(load_knowledge_dir(KB_DIR))
            for user, text, outcome, channel in [
                ("1", "làm căn cước cho con", Outcome.NO_MATCH, "telegram"),
                ("2", "Làm căn cước cho con?", Outcome.NO_MATCH, "zalo"),
                ("3", "tk bị khoá 0912345678", Outcome.AMBIGUOUS, "telegram"),
                ("4", "quên mk", Outcome.ANSWERED, "console"),
            ]:
                faq = "account.forgot_password" if outcome is Outcome.ANSWERED else None
                message = IncomingMessage(channel, user, user, text=text)
                reply = Reply("…", outcome, faq_id=faq)
                await storage.conversations.record(LoggedExchange(message, reply, text))
            await storage.feedback.record_feedback(
                channel="telegram", user_id="5", faq_id="pay.fee_online", helpful=False,
                question="đóng phí ở đâu",
            )  # fmt: skip
            for user in ("6", "7"):
                message = IncomingMessage("telegram", user, user, action="pick:account.register")
                reply = Reply("…", Outcome.ANSWERED, faq_id="account.register")
                await storage.conversations.record(LoggedExchange(message, reply, "mở tk mới"))
        finally:
            await storage.close()

    asyncio.run(fill())


def test_inbox_list_promote_dismiss(run_cli: Run, db: Backend) -> None:
    populate(db)
    listed = run_cli("inbox", "list", "--json", env=db.env())
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [(i["kind"], i["count"]) for i in items] == [
        ("negative_feedback", 1),
        ("ambiguous", 1),
        ("no_match", 2),
    ]
    for item in items:
        assert {"id", "text", "count", "kind"} <= set(item)
    assert items[1]["text"] == "tk bị khoá [SĐT]"
    text_view = run_cli("inbox", "list", env=db.env())
    assert "không tìm thấy" in text_view.stdout

    miss = items[2]
    promoted = run_cli(
        "inbox", "promote", str(miss["id"]), "--to", "account.register", "--by", "hoa",
        env=db.env(),
    )  # fmt: skip
    assert promoted.returncode == 0, promoted.stderr
    [entry] = [e for e in export_jsonl(run_cli, db) if e["id"] == "account.register"]
    assert isinstance(entry["alternates"], list) and miss["text"] in entry["alternates"]
    history = run_cli("kb", "history", "account.register", env=db.env()).stdout
    assert "hoa  inbox.promote" in history

    again = run_cli("inbox", "promote", str(miss["id"]), "--to", "account.register", env=db.env())
    assert again.returncode == 1 and "đã được xử lý" in again.stderr
    unknown = run_cli("inbox", "promote", str(items[0]["id"]), "--to", "no.such", env=db.env())
    assert unknown.returncode == 1
    assert run_cli("inbox", "dismiss", str(items[0]["id"]), env=db.env()).returncode == 0
    assert run_cli("inbox", "dismiss", "9999", env=db.env()).returncode == 1
    left = json.loads(run_cli("inbox", "list", "--json", env=db.env()).stdout)
    assert [i["id"] for i in left] == [items[1]["id"]]


def test_suggestions(run_cli: Run, db: Backend) -> None:
    populate(db)
    result = run_cli("inbox", "suggestions", "--json", env=db.env())
    assert json.loads(result.stdout) == [
        {"text": "mở tk mới", "faq_id": "account.register", "count": 2}
    ]
    accepted = run_cli("inbox", "suggestions", "--accept", env=db.env())
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(run_cli("inbox", "suggestions", "--json", env=db.env()).stdout) == []


def test_stats_contract(run_cli: Run, db: Backend) -> None:
    populate(db)
    result = run_cli("stats", "--days", "7", "--json", env=db.env())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    keys = {"questions", "answered", "ambiguous", "no_match"}
    assert keys <= set(data)
    assert (data["questions"], data["answered"], data["ambiguous"], data["no_match"]) == (
        4,
        1,
        1,
        2,
    )
    assert data["not_helpful"] == 1 and data["picked"] == 2
    assert set(data["by_channel"]) == {"telegram", "zalo", "console"}
    for counts in data["by_channel"].values():
        assert keys <= set(counts)
    assert data["by_channel"]["telegram"]["no_match"] == 1
    text = run_cli("stats", "--days", "1", env=db.env())
    assert text.returncode == 0 and "Thống kê hôm nay" in text.stdout


def test_db_upgrade_and_purge(run_cli: Run, db: Backend) -> None:
    upgraded = run_cli("db", "upgrade", env=db.env())
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"phiên bản {head_revision()}" in upgraded.stdout
    populate(db)
    purged = run_cli("db", "purge", env={**db.env(), "LOG_RETENTION_DAYS": "0"})
    assert purged.returncode == 0, purged.stderr
    assert "Đã xoá 6 lượt" in purged.stdout
    assert db_state(db)[0] == 1
