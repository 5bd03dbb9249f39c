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


def load_jsonl(path: Path, *, categories_path: Path | None = None) -> KnowledgeBase:
    """Parse every line; report every bad line with its number."""
    issues: list[KnowledgeIssue] = []
    located: list[Located] = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError([KnowledgeIssue(str(path), None, None, None, str(exc))]) from exc
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
    cat_file = find_categories_file(path.parent) or categories_path
    if cat_file is None:
        issues.append(KnowledgeIssue(str(path), None, None, None, "no categories.yaml found"))
        raise KnowledgeError(issues)
    categories = load_categories(cat_file)
    issues.extend(check_entries(located, (c.id for c in categories), strict_content=False))
    if issues:
        raise KnowledgeError(issues)
    return KnowledgeBase.build(categories, (e for e, _, _ in located))
