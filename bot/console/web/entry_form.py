"""The editor form: entry ↔ form fields, so a refused save shows exactly what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.admin.sheets import COLUMNS, entry_values
from bot.core.knowledge import FaqEntry, KnowledgeIssue, check_entries, parse_entry

FIELDS = COLUMNS  # the spreadsheet's columns: one order for every staff format
LIST_FIELDS = ("alternates", "links", "related")
MAX_FIELD = 20_000


def fields_of(entry: FaqEntry) -> dict[str, str]:
    return entry_values(entry)


def fields_from(form: Mapping[str, Any], fixed_id: str | None) -> dict[str, str]:
    values = {name: str(form.get(name, ""))[:MAX_FIELD].replace("\r\n", "\n") for name in FIELDS}
    if fixed_id is not None:
        values["id"] = fixed_id  # an entry's id never changes in the editor
    return values


def parse_fields(values: dict[str, str]) -> tuple[FaqEntry | None, list[KnowledgeIssue]]:
    raw: dict[str, Any] = {}
    for name in FIELDS:
        value = values[name].strip()
        if not value:
            continue
        raw[name] = (
            [line for line in value.split("\n") if line.strip()] if name in LIST_FIELDS else value
        )
    return parse_entry(raw, "console")


def local_warnings(entry: FaqEntry, categories: list[str]) -> list[KnowledgeIssue]:
    """Warnings about this entry alone (e.g. few alternates), cheap enough for every page view."""
    return [i for i in check_entries([(entry, "console", None)], categories) if i.warning]
