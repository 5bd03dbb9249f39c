"""After a conversation full of personal data, no text column of any table holds any of it.

Driven through the real assistant and storage (questions, 👎 with a comment, a did-you-mean
pick, subscribe, staff inbox decisions); the tables are read from the database itself, so a
table added later is scanned too.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, MetaData, Numeric, select
from sqlalchemy.engine import Connection

from bot.config import PROJECT_ROOT
from bot.core.messages import IncomingMessage, MessageKind, Outcome
from bot.runtime import Runtime, open_runtime
from bot.storage.textkey import fold_key
from tests.storage.backends import Backend

USER = "4242"
NAME = "Trịnh Thị Bích Ngọc"
# (how it is looked for, the value): digits are compared without separators, words folded.
PLANTED = {
    "phone": ("digits", "0912 345 678"),
    "second phone": ("digits", "0987 654 321"),
    "e-mail name": ("words", "an.nguyenvan1987"),
    "citizen id": ("digits", "001203001234"),
    "dossier code": ("digits", "241127-0001"),
    "bank account": ("digits", "0071000123456"),
    "card": ("digits", "9704 0512 3456 7890"),
    "street": ("words", "47 đường Hoàng Hoa Thám"),
    "street name": ("words", "Hoàng Hoa Thám"),
    "display name": ("words", NAME),
}
NOT_TEXT = (Integer, Float, Numeric, Boolean, DateTime, Date)


def said(text: str) -> IncomingMessage:
    return IncomingMessage("telegram", USER, USER, text=text, display_name=NAME)


def tapped(action: str) -> IncomingMessage:
    return IncomingMessage(
        "telegram", USER, USER, kind=MessageKind.ACTION, action=action, display_name=NAME
    )


async def converse(runtime: Runtime) -> None:
    handle = runtime.assistant.handle
    answered = await handle(
        said("quên mật khẩu dịch vụ công, sđt 0912 345 678, email an.nguyenvan1987@gmail.com")
    )
    assert answered.outcome is Outcome.ANSWERED and answered.faq_id
    await handle(tapped(f"fb:0:{answered.faq_id}"))
    await handle(tapped(f"cmt:{answered.faq_id}"))
    await handle(said("sai rồi, stk của tôi 0071000123456, nhà ở số nhà 47 đường Hoàng Hoa Thám"))
    await handle(said("tra cứu hồ sơ H12.34-241127-0001 giúp, cccd 001203001234"))
    missed = await handle(said("thẻ 9704 0512 3456 7890 bị trừ tiền hai lần ở quầy xyzw"))
    # Not answered outright (no match, or choices): either way it goes to the staff inbox.
    assert missed.outcome in (Outcome.NO_MATCH, Outcome.AMBIGUOUS)
    vague = await handle(said("tài khoản 0987 654 321"))
    if vague.outcome is Outcome.AMBIGUOUS:
        pick = next(c.action for c in vague.choices if c.action.startswith("pick:"))
        await handle(tapped(pick))
    await handle(said("/subscribe"))
    await handle(tapped(f"fb:1:{answered.faq_id}"))
    await handle(said("nhà ở 47 Hoàng Hoa Thám, sđt 0912345678, nộp hồ sơ ở đâu xyzw"))
    await runtime.assistant.bookkeeping.drain()  # logs and feedback are written behind answers
    storage = runtime.storage
    assert storage is not None
    items = await storage.inbox.items()
    assert len(items) >= 2
    await storage.inbox.promote(items[0].id, answered.faq_id, by="staff")
    await storage.inbox.dismiss(items[1].id, by="staff")


def stored_texts(connection: Connection) -> list[tuple[str, str]]:
    metadata = MetaData()
    metadata.reflect(connection)
    found: list[tuple[str, str]] = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, NOT_TEXT):
                continue
            for value in connection.execute(select(column)).scalars():
                if value is None:
                    continue
                if isinstance(column.type, JSON) or not isinstance(value, str):
                    value = json.dumps(value, ensure_ascii=False, default=str)
                found.append((f"{table.name}.{column.name}", value))
    return found


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks(where: str, value: str) -> list[str]:
    words, numbers = fold_key(value), digits(value)
    return [
        f"{name} in {where}: {value[:120]!r}"
        for name, (kind, planted) in PLANTED.items()
        if (kind == "digits" and digits(planted) in numbers)
        or (kind == "words" and fold_key(planted) in words)
    ]


async def test_no_planted_value_is_stored_anywhere(db: Backend) -> None:
    settings = db.settings(knowledge_dir=PROJECT_ROOT / "knowledge")
    async with open_runtime(settings) as runtime:
        await converse(runtime)
        storage = runtime.storage
        assert storage is not None
        await storage.writer.drain()
        async with storage.engine.connect() as connection:
            texts = await connection.run_sync(stored_texts)
    tables = {where.split(".")[0] for where, _ in texts}
    assert {"conversations", "feedback", "inbox_items", "audit_log", "users"} <= tables
    assert any(where == "feedback.comment" for where, _ in texts)
    problems = [leak for where, value in texts for leak in leaks(where, value)]
    assert problems == [], "\n".join(problems)


def test_the_scan_would_see_a_leak() -> None:
    assert leaks("t.c", "gọi 0912.345.678") and leaks("t.c", "nha 47 duong hoang hoa tham")
    assert leaks("t.c", json.dumps({"text": "AN.NGUYENVAN1987@x.vn"}))
    assert not leaks("t.c", "[SĐT] [ĐỊA CHỈ] 1900 1234")
