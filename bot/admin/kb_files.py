"""Knowledge files staff exchange: read any import source, validate, and write exports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.admin import sheets
from bot.core.jsonl import read_jsonl_entries
from bot.core.knowledge import (
    Category,
    FaqEntry,
    KnowledgeIssue,
    check_entries,
    faq_files,
    find_categories_file,
    load_categories,
    read_entry_files,
)

Located = tuple[FaqEntry, str, int | None]
Loaded = tuple[list[Located], list[KnowledgeIssue], list[str]]
YAML_SUFFIXES = (".yaml", ".yml")
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
FORMATS = ("jsonl", "yaml", "csv", "xlsx")


def read_source(path: Path) -> Loaded:
    """Entries from a YAML directory/file, .jsonl, .csv or .xlsx, with every issue found."""
    if not path.exists():
        return [], [KnowledgeIssue(str(path), None, None, None, "không tồn tại (not found)")], []
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in YAML_SUFFIXES:
        return _read_yaml(path)
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".csv":
        return sheets.read_csv(path)
    if suffix in SHEET_SUFFIXES:
        return sheets.read_xlsx(path)
    message = "không nhận dạng được loại tệp: dùng .xlsx, .csv (UTF-8), .yaml hoặc .jsonl"
    return [], [KnowledgeIssue(str(path), None, None, None, message)], []


def _read_yaml(path: Path) -> Loaded:
    files = [p for p in faq_files(path) if p.name != "categories.yaml"]
    located, issues = read_entry_files(files)
    if not files:
        issues.append(KnowledgeIssue(str(path), None, None, None, "không có tệp YAML nào"))
    return located, issues, []


def _read_jsonl(path: Path) -> Loaded:
    located, issues = read_jsonl_entries(path)
    return located, issues, []


def categories_for(path: Path, knowledge_dir: Path) -> list[Category]:
    """categories.yaml beside a YAML source, else the configured knowledge directory's."""
    start = path if path.is_dir() else path.parent
    found = find_categories_file(start) if path.suffix.lower() in ("", *YAML_SUFFIXES) else None
    return load_categories(found or knowledge_dir / "categories.yaml")


def validate(
    located: Sequence[Located],
    categories: Iterable[Category],
    context: Sequence[Located] = (),
) -> list[KnowledgeIssue]:
    """Cross-entry checks of ``located``; ``context`` (other live entries) only resolves ids."""
    incoming = {e.id for e, _, _ in located}
    sources = {s for _, s, _ in located}
    others = [item for item in context if item[0].id not in incoming]
    issues = check_entries([*located, *others], [c.id for c in categories], strict_content=True)
    return [i for i in issues if i.source in sources]


# ---------------------------------------------------------------- export


def _yaml_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Lists indented under their key, as in the hand-written knowledge/faq files.
        super().increase_indent(flow, False)


_Dumper.add_representer(str, _yaml_str)


def yaml_entry(entry: FaqEntry) -> dict[str, Any]:
    """The hand-written layout of knowledge/faq: empty optional fields left out."""
    data: dict[str, Any] = {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "alternates": list(entry.alternates),
        "answer": entry.answer,
    }
    if entry.links:
        data["links"] = [{"title": link.title, "url": link.url} for link in entry.links]
    if entry.related:
        data["related"] = list(entry.related)
    if entry.source:
        data["source"] = entry.source
    if entry.reviewed:
        data["reviewed"] = entry.reviewed
    if entry.status != "published":
        data["status"] = entry.status
    return data


def dump_yaml(entries: Iterable[FaqEntry]) -> str:
    return yaml.dump(
        {"entries": [yaml_entry(e) for e in entries]},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100_000,  # never fold a line: staff diff these files
    )


def dump_mapping(data: dict[str, Any]) -> str:
    """One entry as a bare mapping (what ``kb edit`` shows in the editor)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100_000)


def write_jsonl(entries: Iterable[FaqEntry], stream: TextIO) -> None:
    for entry in entries:
        stream.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")


def export(
    entries: Sequence[FaqEntry],
    fmt: str,
    output: Path | None,
    stdout: TextIO,
    categories: Sequence[Category] = (),
) -> list[Path]:
    """Write ``entries`` in ``fmt``; return the files written (none when written to stdout)."""
    if fmt == "xlsx":
        target = output or Path("faq-export.xlsx")
        pairs = [(c.id, c.title) for c in categories]
        sheets.write_xlsx(entries, target, categories=pairs)
        return [target]
    if fmt == "yaml" and output is not None and (output.is_dir() or not output.suffix):
        output.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        order = [c.id for c in categories]
        by_cat: dict[str, list[FaqEntry]] = {}
        for entry in entries:
            by_cat.setdefault(entry.category, []).append(entry)
        for cat in sorted(by_cat, key=lambda c: (order.index(c) if c in order else len(order), c)):
            target = output / f"{cat}.yaml"
            target.write_text(dump_yaml(by_cat[cat]), encoding="utf-8")
            written.append(target)
        return written
    if output is None:
        _write_text(entries, fmt, stdout)
        return []
    # newline="" keeps CSV's CRLF record ends and LF inside cells as written.
    with output.open("w", encoding="utf-8", newline="" if fmt == "csv" else None) as stream:
        _write_text(entries, fmt, stream)
    return [output]


def _write_text(entries: Sequence[FaqEntry], fmt: str, stream: TextIO) -> None:
    if fmt == "jsonl":
        write_jsonl(entries, stream)
    elif fmt == "yaml":
        stream.write(dump_yaml(entries))
    elif fmt == "csv":
        sheets.write_csv(entries, stream)
    else:
        raise ValueError(f"unknown format {fmt}")
