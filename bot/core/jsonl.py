"""Read a knowledge base from the JSON-lines export format."""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.knowledge import (
    KnowledgeBase,
    KnowledgeError,
    KnowledgeIssue,
    Located,
    check_entries,
    find_categories_file,
    load_categories,
    parse_entry,
)


def read_jsonl_entries(path: Path) -> tuple[list[Located], list[KnowledgeIssue]]:
    """Parse every line; every bad line is reported with its number, none stops the others."""
    issues: list[KnowledgeIssue] = []
    located: list[Located] = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [KnowledgeIssue(str(path), None, None, None, f"cannot read: {exc}")]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            issues.append(KnowledgeIssue(str(path), number, None, None, f"invalid JSON: {exc.msg}"))
            continue
        entry, entry_issues = parse_entry(raw, str(path), number)
        issues.extend(entry_issues)
        if entry is not None:
            located.append((entry, str(path), number))
    return located, issues


def load_jsonl(path: Path, *, categories_path: Path | None = None) -> KnowledgeBase:
    """A validated knowledge base from an export file; raise KnowledgeError listing every issue."""
    located, issues = read_jsonl_entries(path)
    cat_file = find_categories_file(path.parent) or categories_path
    if cat_file is None:
        issues.append(KnowledgeIssue(str(path), None, None, None, "no categories.yaml found"))
        raise KnowledgeError(issues)
    categories = load_categories(cat_file)
    issues.extend(check_entries(located, (c.id for c in categories), strict_content=False))
    if issues:
        raise KnowledgeError(issues)
    return KnowledgeBase.build(categories, (e for e, _, _ in located))
