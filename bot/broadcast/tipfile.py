"""knowledge/tips.yaml: load and validate (errors name file, line, tip id and field), export.

Format::

    tips:
      - id: scam.otp
        title: "Không bao giờ đọc mã OTP cho người khác"
        body: |-
          ...
        link: https://...        # optional
        faq_id: account.otp      # optional, must exist in the knowledge base
        tags: [an-toan, otp]
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.broadcast import texts
from bot.core import texts as core_texts
from bot.core.knowledge import (
    LINE_KEY,
    KnowledgeError,
    KnowledgeIssue,
    load_yaml_with_lines,
    nfc,
)
from bot.core.ports import Tip

TIP_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
TITLE_MAX = 200
BODY_MAX = 1000
KEYS = frozenset({"id", "title", "body", "link", "faq_id", "tags"})


@dataclass(frozen=True, slots=True)
class TipEntry:
    """One tip as staff write it."""

    id: str
    title: str
    body: str
    link: str | None = None
    faq_id: str | None = None
    tags: tuple[str, ...] = field(default=())

    def to_tip(self) -> Tip:
        return Tip(self.id, self.title, self.body, self.link, self.faq_id)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title, "body": self.body}
        if self.link:
            data["link"] = self.link
        if self.faq_id:
            data["faq_id"] = self.faq_id
        data["tags"] = list(self.tags)
        return data


def render_tip(tip: Tip) -> str:
    """The message a subscriber receives for a tip (plain text)."""
    body = tip.body + (f"\n\n🔗 {tip.link}" if tip.link else "")
    return with_footer(core_texts.TIP.format(title=tip.title, body=body))


def render_announcement(text: str) -> str:
    return with_footer(texts.ANNOUNCEMENT.format(text=text.strip()))


def with_footer(text: str) -> str:
    return f"{text}\n\n{texts.UNSUBSCRIBE_FOOTER}"


@dataclass(slots=True)
class _Where:
    """Collects issues for one tip, each located by file, line and id."""

    source: str
    line: int | None
    tip_id: str | None = None
    found: list[KnowledgeIssue] = field(default_factory=list)

    def __call__(self, name: str | None, message: str) -> None:
        self.found.append(KnowledgeIssue(self.source, self.line, self.tip_id, name, message))


def _text(raw: Mapping[str, Any], key: str, required: bool, where: _Where) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            where(key, texts.TIP_FIELD_MISSING)
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        where(key, texts.TIP_FIELD_TEXT)
        return None
    return nfc(str(value).strip())


def _parse_one(
    raw: Mapping[str, Any], where: _Where, known_faq_ids: Collection[str] | None
) -> TipEntry | None:
    tip_id = _text(raw, "id", True, where)
    where.tip_id = tip_id
    if tip_id is not None and not TIP_ID_RE.match(tip_id):
        where("id", texts.TIP_BAD_ID)
    extra = sorted(str(k) for k in raw if k != LINE_KEY and k not in KEYS)
    if extra:
        where(None, texts.TIP_UNKNOWN_KEYS.format(keys=", ".join(extra)))
    title = _text(raw, "title", True, where)
    body = _text(raw, "body", True, where)
    if title is not None and len(title) > TITLE_MAX:
        where("title", texts.TIP_BODY_TOO_LONG.format(length=len(title), limit=TITLE_MAX))
    if body is not None and len(body) > BODY_MAX:
        where("body", texts.TIP_BODY_TOO_LONG.format(length=len(body), limit=BODY_MAX))
    link = _text(raw, "link", False, where)
    if link is not None and not link.startswith(("https://", "http://")):
        where("link", texts.TIP_BAD_LINK)
    faq_id = _text(raw, "faq_id", False, where)
    if faq_id is not None and known_faq_ids is not None and faq_id not in known_faq_ids:
        where("faq_id", texts.TIP_UNKNOWN_FAQ.format(faq_id=faq_id))
    tags = _tags(raw.get("tags"), where)
    if where.found or tip_id is None or title is None or body is None:
        return None
    return TipEntry(tip_id, title, body, link, faq_id, tags)


def parse_tips(
    raw_items: Sequence[Any], source: str, known_faq_ids: Collection[str] | None = None
) -> list[TipEntry]:
    """Validate raw tip mappings; raise KnowledgeError listing every problem."""
    issues: list[KnowledgeIssue] = []
    tips: list[TipEntry] = []
    seen: dict[str, int | None] = {}
    for raw in raw_items:
        if not isinstance(raw, Mapping):
            issues.append(KnowledgeIssue(source, None, None, None, texts.TIP_NOT_MAPPING))
            continue
        where = _Where(source, raw.get(LINE_KEY))
        tip = _parse_one(raw, where, known_faq_ids)
        if where.tip_id is not None:
            if where.tip_id in seen:
                where("id", texts.TIP_DUPLICATE.format(line=seen[where.tip_id]))
                tip = None
            else:
                seen[where.tip_id] = where.line
        issues.extend(where.found)
        if tip is not None:
            tips.append(tip)
    if issues:
        raise KnowledgeError(issues)
    return tips


def _tags(value: Any, where: _Where) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str | int) for t in value):
        where("tags", texts.TIP_BAD_TAGS)
        return ()
    tags: list[str] = []
    for item in value:
        tag = nfc(str(item).strip())
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def load_tips_file(path: Path, known_faq_ids: Collection[str] | None = None) -> list[TipEntry]:
    """Read a tips YAML file; every problem is reported with its location."""
    data = load_yaml_with_lines(path)
    items = data.get("tips") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise KnowledgeError([KnowledgeIssue(str(path), 1, None, None, texts.TIP_FILE_SHAPE)])
    return parse_tips(items, str(path), known_faq_ids)


class _BlockDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Bodies as "|-" blocks, like staff write them; short values plain.
    style = "|" if "\n" in value or len(value) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list_representer(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(item, str) and len(item) <= 30 for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_BlockDumper.add_representer(str, _str_representer)
_BlockDumper.add_representer(list, _list_representer)


def dump_tips(tips: Iterable[TipEntry]) -> str:
    """YAML in the same shape ``load_tips_file`` reads (lossless round trip)."""
    document = {"tips": [tip.to_dict() for tip in tips]}
    return yaml.dump(document, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100)
