"""Shared pieces of the kb / inbox / stats CLI tests."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.admin.conftest import Run
from tests.storage.backends import BACKENDS, KB_DIR, Backend, backend

HEADER = ["id", "category", "question", "alternates", "answer", "links", "related", "source"]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend(request.param, tmp_path) as value:
        yield value


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Backend]:
    """For CLI behaviour that does not depend on the database engine."""
    with backend("sqlite", tmp_path) as value:
        yield value


def row(faq_id: str, question: str = "Câu hỏi mới về dịch vụ công?", **cells: str) -> list[str]:
    values = {
        "id": faq_id,
        "category": faq_id.split(".")[0],
        "question": question,
        "alternates": "\n".join(f"cách hỏi số {i} về {faq_id}" for i in range(6)),
        "answer": "Đây là câu trả lời ngắn gọn.\n\n1. Bước một.",
        "links": "Cổng DVC | https://dichvucong.gov.vn",
        "related": "",
        "source": "Nghị định 69/2024/NĐ-CP",
    }
    values.update(cells)
    return [values[name] for name in HEADER]


def csv_text(rows: list[list[str]], *, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letters, tone marks as separate combining marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def export_jsonl(run: Run, db: Backend) -> list[dict[str, object]]:
    result = run("kb", "export", "--format", "jsonl", env=db.env())
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def summary(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("added="))


def db_state(db: Backend, *, seed: bool = False) -> tuple[int, list[dict[str, object]]]:
    """(knowledge version, every entry) read in-process: cheaper than another CLI run."""
    from bot.core.knowledge import load_knowledge_dir
    from bot.storage import Storage

    async def read() -> tuple[int, list[dict[str, object]]]:
        storage = await Storage.open(db.settings())
        try:
            if seed:
                await storage.knowledge.seed_if_empty(load_knowledge_dir(KB_DIR))
            entries = await storage.knowledge.entries()
            return await storage.knowledge.version(), [e.to_dict() for e in entries]
        finally:
            await storage.close()

    return asyncio.run(read())
