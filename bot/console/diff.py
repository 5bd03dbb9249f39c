"""Field-by-field differences between two versions of an entry, for history and conflicts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

FIELD_LABELS = {
    "id": "Mã",
    "category": "Nhóm",
    "question": "Câu hỏi chuẩn",
    "alternates": "Cách hỏi khác",
    "answer": "Câu trả lời",
    "links": "Liên kết",
    "related": "Mục liên quan",
    "source": "Nguồn",
    "reviewed": "Ngày rà soát",
    "status": "Trạng thái",
}


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    label: str
    lines: list[tuple[str, str]]  # (" " | "-" | "+", text)


def as_lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict):
                out.append(f"{item.get('title', '')} | {item.get('url', '')}")
            else:
                out.append(str(item))
        return out
    return str(value).splitlines() or [""]


def diff_entries(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[FieldDiff]:
    old, new = old or {}, new or {}
    found = []
    for name, label in FIELD_LABELS.items():
        before, after = as_lines(old.get(name)), as_lines(new.get(name))
        if before == after:
            continue
        lines = [
            (line[0], line[2:])
            for line in difflib.ndiff(before, after)
            if line[:1] in (" ", "-", "+")
        ]
        found.append(FieldDiff(name, label, lines))
    return found
