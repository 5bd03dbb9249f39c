"""FAQ entries and categories: model, loading and validation (province profiles: provinces.py).

Errors name the file, the line and the entry id, and loading refuses to return a half-valid
knowledge base.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDERS = frozenset(
    {"province_name", "portal_url", "hotline", "one_stop_address", "working_hours"}
)
PLACEHOLDER_RE = re.compile(r"\{([^{}\s]*)\}")
STATUSES = ("draft", "published", "disabled")
MIN_ALTERNATES = 6
FIRST_PARAGRAPH_MAX = 400
ANSWER_MAX = 4000
LINE_KEY = "__line__"
# Citizens tap these: web pages, a phone number or an e-mail address, nothing a client would run
# ("javascript:", "data:"). "{portal_url}" stands for the province's portal (itself checked).
LINK_SCHEMES = ("https://", "http://", "tel:", "mailto:")
_URL_PLACEHOLDER = "{portal_url}"
_NOT_IN_URL = frozenset(' <>"`\\')


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One FAQ entry as staff write it."""

    id: str
    category: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    links: tuple[Link, ...] = ()
    related: tuple[str, ...] = ()
    source: str = ""
    reviewed: dt.date | None = None
    status: str = "published"

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question followed by every alternate."""
        return (self.question, *self.alternates)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict in the exchange format (YAML / JSONL)."""
        return {
            "id": self.id,
            "category": self.category,
            "question": self.question,
            "alternates": list(self.alternates),
            "answer": self.answer,
            "links": [{"title": link.title, "url": link.url} for link in self.links],
            "related": list(self.related),
            "source": self.source,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    title: str
    emoji: str = ""

    @property
    def label(self) -> str:
        return f"{self.emoji} {self.title}".strip()


# An entry with where it was read from (file or sheet, line or row), for located errors.
Located = tuple[FaqEntry, str, int | None]


@dataclass(frozen=True, slots=True)
class KnowledgeIssue:
    """One validation problem, located well enough for staff to fix it."""

    source: str
    line: int | None
    entry_id: str | None
    field: str | None
    message: str
    # A warning is reported but does not refuse a staff import or edit (the seed stays strict).
    warning: bool = False

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.entry_id:
            parts.append(f"entry {self.entry_id}")
        if self.field:
            parts.append(f"field {self.field}")
        prefix = "warning: " if self.warning else ""
        return f"{', '.join(parts)}: {prefix}{self.message}"


class KnowledgeError(Exception):
    """Raised when knowledge cannot be loaded; carries every issue found."""

    def __init__(self, issues: Sequence[KnowledgeIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """A validated, immutable set of categories and entries."""

    categories: tuple[Category, ...]
    entries: tuple[FaqEntry, ...]
    by_id: Mapping[str, FaqEntry] = field(default_factory=dict)

    @classmethod
    def build(cls, categories: Iterable[Category], entries: Iterable[FaqEntry]) -> KnowledgeBase:
        entries_t = tuple(entries)
        return cls(tuple(categories), entries_t, {e.id: e for e in entries_t})

    @property
    def published(self) -> tuple[FaqEntry, ...]:
        return tuple(e for e in self.entries if e.status == "published")

    def get(self, faq_id: str) -> FaqEntry | None:
        return self.by_id.get(faq_id)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def in_category(self, category_id: str) -> list[FaqEntry]:
        return [e for e in self.published if e.category == category_id]


# ---------------------------------------------------------------- YAML with line numbers


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping (1-based) under LINE_KEY."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def compose_yaml(path: Path) -> yaml.Node | None:
    """Read a YAML file into its node tree (nodes keep their line numbers); unreadable files
    and syntax errors raise a located KnowledgeError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(
            [KnowledgeIssue(str(path), None, None, None, f"cannot read: {exc}")]
        ) from exc
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise KnowledgeError(
            [KnowledgeIssue(str(path), line, None, None, f"invalid YAML: {exc}")]
        ) from exc


def load_yaml_with_lines(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into a located KnowledgeError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(
            [KnowledgeIssue(str(path), None, None, None, f"not UTF-8 text ({exc.reason})")]
        ) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(
            [KnowledgeIssue(str(path), line, None, None, f"invalid YAML: {problem}")]
        ) from exc


def strip_lines(value: Any) -> Any:
    """Remove LINE_KEY markers recursively."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


# ---------------------------------------------------------------- entry parsing


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _text(
    raw: Mapping[str, Any], key: str, issues: list[KnowledgeIssue], ctx: _Ctx, required: bool
) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            issues.append(ctx.issue(key, "missing or empty"))
        return ""
    if not isinstance(value, str | int | float):
        issues.append(ctx.issue(key, f"must be text, got {type(value).__name__}"))
        return ""
    return nfc(str(value).strip())


@dataclass(slots=True)
class _Ctx:
    source: str
    line: int | None
    entry_id: str | None

    def issue(
        self, field_name: str | None, message: str, *, warning: bool = False
    ) -> KnowledgeIssue:
        return KnowledgeIssue(
            self.source, self.line, self.entry_id, field_name, message, warning=warning
        )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        return [part for part in value.splitlines() if part.strip()]
    return [value]


def parse_date(value: Any) -> dt.date | None:
    """Accept a date, an ISO string or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def parse_entry(
    raw: Any, source: str, line: int | None = None
) -> tuple[FaqEntry | None, list[KnowledgeIssue]]:
    """Turn one raw mapping into an entry; return every issue found in it."""
    issues: list[KnowledgeIssue] = []
    if not isinstance(raw, Mapping):
        return None, [KnowledgeIssue(source, line, None, None, "an entry must be a mapping")]
    line = raw.get(LINE_KEY, line)
    ctx = _Ctx(source, line, None)
    entry_id = _text(raw, "id", issues, ctx, required=True)
    ctx.entry_id = entry_id or None
    if entry_id and not ID_RE.match(entry_id):
        issues.append(ctx.issue("id", "must look like 'category.topic' (a-z, 0-9, _)"))
    category = _text(raw, "category", issues, ctx, required=False)
    if not category and entry_id:
        category = entry_id.split(".", 1)[0]
    question = _text(raw, "question", issues, ctx, required=True)
    answer = _text(raw, "answer", issues, ctx, required=True)
    alternates: list[str] = []
    for alt in _as_list(raw.get("alternates")):
        if not isinstance(alt, str | int | float):
            issues.append(ctx.issue("alternates", "every alternate must be text"))
            continue
        text = nfc(str(alt).strip())
        if text and text not in alternates:
            alternates.append(text)
    links: list[Link] = []
    for item in _as_list(raw.get("links")):
        if isinstance(item, Mapping) and item.get("url"):
            link = Link(nfc(str(item.get("title") or item["url"])), str(item["url"]).strip())
        elif isinstance(item, str) and item.strip():
            title, sep, url = item.rpartition("|")
            link = Link(nfc(title.strip()) if sep else item.strip(), url.strip())
        else:
            issues.append(ctx.issue("links", "each link needs a url"))
            continue
        problem = link_problem(link.url)
        if problem:
            issues.append(ctx.issue("links", problem))
        links.append(link)
    related = [str(r).strip() for r in _as_list(raw.get("related")) if str(r).strip()]
    if len(related) == 1 and "," in related[0]:
        related = [r.strip() for r in related[0].split(",") if r.strip()]
    status = _text(raw, "status", issues, ctx, required=False) or "published"
    if status not in STATUSES:
        issues.append(ctx.issue("status", f"must be one of {', '.join(STATUSES)}"))
    try:
        reviewed = parse_date(raw.get("reviewed"))
    except ValueError:
        reviewed = None
        issues.append(ctx.issue("reviewed", "must be a date like 2026-11-20"))
    source_text = _text(raw, "source", issues, ctx, required=False)
    if issues:
        return None, issues
    return (
        FaqEntry(
            id=entry_id,
            category=category,
            question=question,
            alternates=tuple(alternates),
            answer=answer,
            links=tuple(links),
            related=tuple(related),
            source=source_text,
            reviewed=reviewed,
            status=status,
        ),
        [],
    )


def split_warnings(
    issues: Sequence[KnowledgeIssue],
) -> tuple[list[KnowledgeIssue], list[KnowledgeIssue]]:
    """(errors, warnings): staff imports refuse the first and report the second."""
    return [i for i in issues if not i.warning], [i for i in issues if i.warning]


def link_problem(url: str) -> str | None:
    """Why a link may not be shown to citizens, or None when it may."""
    if _NOT_IN_URL.intersection(url) or any(ord(ch) < 32 for ch in url):
        return f"liên kết có khoảng trắng hoặc ký tự lạ (invalid characters): {url[:60]!r}"
    if url.startswith(_URL_PLACEHOLDER):
        rest = url[len(_URL_PLACEHOLDER) :]
        if rest and not rest.startswith(("/", "?", "#")):
            return f"sau {_URL_PLACEHOLDER} chỉ được là đường dẫn /… (a path): {url[:60]!r}"
        return None
    lowered = url.lower()
    if not lowered.startswith(LINK_SCHEMES):
        return (
            "chỉ nhận liên kết https://, http://, tel: hoặc mailto: "
            f"(only web, phone or e-mail links), not {url[:60]!r}"
        )
    if lowered.startswith(("https://", "http://")) and not urlsplit(url).netloc:
        return f"liên kết thiếu tên miền (no host): {url[:60]!r}"
    return None


def first_paragraph(answer: str) -> str:
    return answer.strip().split("\n\n", 1)[0].strip()


def check_entries(
    entries: Sequence[Located],
    categories: Iterable[str],
    *,
    strict_content: bool = True,
) -> list[KnowledgeIssue]:
    """Cross-entry validation: duplicate ids, unknown categories/related ids, content rules.

    ``entries`` holds (entry, source, line) so every issue can be located.
    """
    issues: list[KnowledgeIssue] = []
    known_categories = set(categories)
    seen: dict[str, str] = {}
    ids = {e.id for e, _, _ in entries}
    for entry, source, line in entries:
        ctx = _Ctx(source, line, entry.id)
        if entry.id in seen:
            issues.append(ctx.issue("id", f"duplicate id (first defined in {seen[entry.id]})"))
        else:
            seen[entry.id] = f"{source}:{line}" if line else source
        if entry.category not in known_categories:
            issues.append(ctx.issue("category", f"unknown category {entry.category!r}"))
        for rel in entry.related:
            if rel not in ids:
                issues.append(ctx.issue("related", f"unknown related id {rel!r}"))
            elif rel == entry.id:
                issues.append(ctx.issue("related", "an entry cannot relate to itself"))
        for name in PLACEHOLDER_RE.findall(entry.answer):
            if name not in PLACEHOLDERS:
                issues.append(
                    ctx.issue(
                        "answer",
                        f"unknown placeholder {{{name}}}; use one of "
                        + ", ".join(sorted(f"{{{p}}}" for p in PLACEHOLDERS)),
                    )
                )
        if len(entry.answer) > ANSWER_MAX:
            issues.append(ctx.issue("answer", f"longer than {ANSWER_MAX} characters"))
        if strict_content and entry.status == "published":
            if len(entry.alternates) < MIN_ALTERNATES:
                missing = MIN_ALTERNATES - len(entry.alternates)
                issues.append(
                    ctx.issue(
                        "alternates",
                        f"has {len(entry.alternates)}, needs at least {MIN_ALTERNATES}: "
                        f"{missing} more would help the assistant recognise citizens' wordings",
                        warning=True,
                    )
                )
            if len(first_paragraph(entry.answer)) > FIRST_PARAGRAPH_MAX:
                issues.append(
                    ctx.issue(
                        "answer", f"first paragraph longer than {FIRST_PARAGRAPH_MAX} characters"
                    )
                )
    return issues


# ---------------------------------------------------------------- directory loading


def load_categories(path: Path) -> list[Category]:
    data = load_yaml_with_lines(path)
    items = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise KnowledgeError(
            [KnowledgeIssue(str(path), None, None, "categories", "expected a list")]
        )
    issues: list[KnowledgeIssue] = []
    result: list[Category] = []
    for item in items:
        line = item.get(LINE_KEY) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not CATEGORY_RE.match(str(item.get("id", ""))):
            issues.append(KnowledgeIssue(str(path), line, None, "id", "invalid category"))
            continue
        result.append(
            Category(
                str(item["id"]), nfc(str(item.get("title", item["id"]))), item.get("emoji", "")
            )
        )
    if issues:
        raise KnowledgeError(issues)
    return result


def read_entry_file(path: Path) -> tuple[list[Located], list[KnowledgeIssue]]:
    """Read one FAQ YAML file: a mapping with ``entries`` or a bare list of entries."""
    data = load_yaml_with_lines(path)
    if isinstance(data, dict) and "entries" in data:
        raw_entries = data["entries"]
    elif isinstance(data, list):
        raw_entries = data
    elif isinstance(data, dict) and "id" in data:
        raw_entries = [data]
    else:
        return [], [KnowledgeIssue(str(path), None, None, None, "expected a list under 'entries'")]
    if not isinstance(raw_entries, list):
        return [], [KnowledgeIssue(str(path), None, None, "entries", "expected a list")]
    found: list[Located] = []
    issues: list[KnowledgeIssue] = []
    for raw in raw_entries:
        line = raw.get(LINE_KEY) if isinstance(raw, dict) else None
        entry, entry_issues = parse_entry(raw, str(path), line)
        issues.extend(entry_issues)
        if entry is not None:
            found.append((entry, str(path), line))
    return found, issues


def read_entry_files(files: Iterable[Path]) -> tuple[list[Located], list[KnowledgeIssue]]:
    """Read several FAQ YAML files; a file that cannot be read adds its issues, not an error."""
    located: list[Located] = []
    issues: list[KnowledgeIssue] = []
    for file in files:
        try:
            found, file_issues = read_entry_file(file)
        except KnowledgeError as exc:
            issues.extend(exc.issues)
            continue
        located.extend(found)
        issues.extend(file_issues)
    return located, issues


def faq_files(path: Path) -> list[Path]:
    """YAML files holding FAQ entries under a knowledge directory or FAQ directory."""
    if path.is_file():
        return [path]
    faq_dir = path / "faq" if (path / "faq").is_dir() else path
    return sorted(p for p in faq_dir.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def find_categories_file(path: Path) -> Path | None:
    for candidate in (path, *path.parents):
        target = candidate / "categories.yaml" if candidate.is_dir() else None
        if target is not None and target.is_file():
            return target
    return None


def load_knowledge_dir(
    path: Path, *, categories_path: Path | None = None, strict_content: bool = True
) -> KnowledgeBase:
    """Load and validate every FAQ file; raise KnowledgeError listing every problem."""
    if not path.exists():
        raise KnowledgeError([KnowledgeIssue(str(path), None, None, None, "does not exist")])
    cat_file = categories_path or find_categories_file(path if path.is_dir() else path.parent)
    if cat_file is None:
        raise KnowledgeError(
            [KnowledgeIssue(str(path), None, None, None, "no categories.yaml found")]
        )
    categories = load_categories(cat_file)
    files = [p for p in faq_files(path) if p.resolve() != cat_file.resolve()]
    located, issues = read_entry_files(files)
    issues.extend(check_entries(located, (c.id for c in categories), strict_content=strict_content))
    if not located and not issues:
        issues.append(KnowledgeIssue(str(path), None, None, None, "no FAQ entries found"))
    if issues:
        raise KnowledgeError(issues)
    return KnowledgeBase.build(categories, (e for e, _, _ in located))


def with_status(entry: FaqEntry, status: str) -> FaqEntry:
    return replace(entry, status=status)
