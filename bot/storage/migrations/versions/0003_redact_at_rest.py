"""redact at rest: conversation keys, inbox keys, feedback and audit texts re-redacted

Revision ID: 0003_redact_at_rest
Revises: 0002_broadcast
Create Date: 2026-12-01

Rows written before this revision kept the raw wording in ``conversations.normalized`` and
``inbox_items.key`` (phone and ID numbers, e-mail names, dossier codes) beside a redacted text,
and nothing redacted bank accounts or addresses. Every stored text is redacted again with
today's rules; a key is rebuilt from its redacted text wherever the text held (or now shows)
personal data. Open inbox items whose keys become equal are merged into the oldest one (counts
added), which keeps "one open item per (kind, key)". Nothing can be un-redacted: downgrading
changes no data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from bot.core.redact import redact
from bot.storage.textkey import fold_key

revision: str = "0003_redact_at_rest"
down_revision: str | None = "0002_broadcast"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_MAX = 2000
BATCH = 1000
# Placeholders the redactor has ever written: their presence means the raw text held data.
_PLACEHOLDER = re.compile(r"\[(?:SĐT|SỐ GIẤY TỜ|EMAIL|MÃ HỒ SƠ|SỐ TÀI KHOẢN|ĐỊA CHỈ)\]")

conversations = sa.table(
    "conversations",
    sa.column("id", sa.Integer()),
    sa.column("text", sa.Text()),
    sa.column("normalized", sa.Text()),
)
inbox = sa.table(
    "inbox_items",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("key", sa.Text()),
    sa.column("text", sa.Text()),
    sa.column("faq_id", sa.String()),
    sa.column("count", sa.Integer()),
    sa.column("first_seen", sa.DateTime()),
    sa.column("last_seen", sa.DateTime()),
    sa.column("open_slot", sa.Integer()),
)
feedback = sa.table(
    "feedback",
    sa.column("id", sa.Integer()),
    sa.column("comment", sa.Text()),
    sa.column("question", sa.Text()),
)
audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("old", sa.JSON()),
    sa.column("new", sa.JSON()),
    sa.column("detail", sa.Text()),
)


def _redacted(value: str | None) -> str | None:
    return None if value is None else redact(value)[:TEXT_MAX]


def new_key(key: str, text: str, redacted_text: str) -> str:
    """A key safe to keep: the old one when the text never held personal data."""
    if _PLACEHOLDER.search(text) is None and redacted_text == text and redact(key) == key:
        return key
    return fold_key(redacted_text)[:TEXT_MAX]


def _chunks(connection: Connection, table: Any, *columns: Any) -> Iterator[Sequence[Any]]:
    """Rows in id order, a batch at a time (keyset pagination: no offset scans)."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *columns)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _rewrite(
    connection: Connection,
    table: Any,
    columns: tuple[str, ...],
    change: Callable[[Any], tuple[Any, ...]],
) -> None:
    """Set ``columns`` to ``change(row)`` wherever that differs, a batch at a time."""
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in columns})
    )
    for rows in _chunks(connection, table, *(table.c[name] for name in columns)):
        changes = []
        for row in rows:
            new = change(row)
            if new != tuple(getattr(row, name) for name in columns):
                values = {f"new_{name}": value for name, value in zip(columns, new, strict=True)}
                changes.append({"row_id": row.id, **values})
        if changes:
            connection.execute(update, changes)


def _conversation(row: Any) -> tuple[str, str]:
    text = _redacted(row.text) or ""
    return text, new_key(row.normalized or "", row.text or "", text)


def _feedback(row: Any) -> tuple[str | None, str | None]:
    return _redacted(row.comment), _redacted(row.question)


def _inbox_key(kind: str, key: str, text: str, redacted_text: str) -> str:
    if kind == "negative_feedback":
        # "faq id|folded question": the question part was folded from a redacted question.
        faq_id, _, question = key.partition("|")
        return f"{faq_id}|{fold_key(redact(question))}"[:TEXT_MAX]
    return new_key(key, text, redacted_text)


def _inbox(connection: Connection) -> None:
    rows = connection.execute(sa.select(inbox).order_by(inbox.c.id)).all()
    final: dict[int, dict[str, Any]] = {}
    open_by_key: dict[tuple[str, str], dict[str, Any]] = {}
    merged_away: list[int] = []
    for row in rows:
        text = _redacted(row.text) or ""
        values = {
            "row_id": row.id,
            "new_key": _inbox_key(row.kind, row.key, row.text, text),
            "new_text": text,
            "new_count": row.count,
            "new_first": row.first_seen,
            "new_last": row.last_seen,
            "changed": False,
        }
        values["changed"] = (values["new_key"], text) != (row.key, row.text)
        if row.open_slot != 0:
            final[row.id] = values
            continue
        kept = open_by_key.get((row.kind, values["new_key"]))
        if kept is None:
            open_by_key[(row.kind, values["new_key"])] = final[row.id] = values
            continue
        # Two open items for what is now one question: the older keeps both counts.
        kept["new_count"] += row.count
        kept["new_first"] = min(kept["new_first"], row.first_seen)
        if row.last_seen >= kept["new_last"]:
            kept["new_last"], kept["new_text"] = row.last_seen, text
        kept["changed"] = True
        merged_away.append(row.id)
    if merged_away:
        connection.execute(inbox.delete().where(inbox.c.id.in_(merged_away)))
    changes = [v for v in final.values() if v["changed"]]
    if not changes:
        return
    # Two steps, so that no row ever takes a key another row still holds ("#" is in no key:
    # fold_key turns punctuation into spaces).
    connection.execute(
        inbox.update()
        .where(inbox.c.id == sa.bindparam("row_id"))
        .values(key=sa.literal("#rekey#") + sa.cast(inbox.c.id, sa.Text())),
        [{"row_id": v["row_id"]} for v in changes],
    )
    connection.execute(
        inbox.update()
        .where(inbox.c.id == sa.bindparam("row_id"))
        .values(
            key=sa.bindparam("new_key"),
            text=sa.bindparam("new_text"),
            count=sa.bindparam("new_count"),
            first_seen=sa.bindparam("new_first"),
            last_seen=sa.bindparam("new_last"),
        ),
        [{k: v for k, v in change.items() if k != "changed"} for change in changes],
    )


def _redact_json(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v) for k, v in value.items()}
    return value


def _audit(connection: Connection) -> None:
    """Inbox decisions quote the citizen's wording."""
    rows = connection.execute(
        sa.select(audit.c.id, audit.c.old, audit.c.new, audit.c.detail).where(
            audit.c.action.like("inbox.%")
        )
    ).all()
    for row in rows:
        old, new, detail = _redact_json(row.old), _redact_json(row.new), redact(row.detail or "")
        if (old, new, detail) != (row.old, row.new, row.detail or ""):
            connection.execute(
                audit.update().where(audit.c.id == row.id).values(old=old, new=new, detail=detail)
            )


def upgrade() -> None:
    connection = op.get_bind()
    _rewrite(connection, conversations, ("text", "normalized"), _conversation)
    _inbox(connection)
    _rewrite(connection, feedback, ("comment", "question"), _feedback)
    _audit(connection)


def downgrade() -> None:
    """Redacted data cannot be restored; the schema did not change."""
