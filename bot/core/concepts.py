"""Situations that name a topic without its words: "con mới đẻ" is about the birth entries.

Staff own the data (knowledge/concepts.yaml): each concept lists the phrases citizens use and
the entries that answer it. An empty ``entries`` list marks a matter no entry covers (tax
disputes, divorce): a question about it must not be answered with a neighbour that shares a
word. The index adds a concept's token to its entries and to a query that uses a phrase, so
retrieval and scoring see the situation like any other word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import yaml

from bot.core.knowledge import KnowledgeError, KnowledgeIssue, compose_yaml

Phrase = tuple[str, ...]
_TOKEN_RE = re.compile(r"[^\W_]+")


def phrase_tokens(text: str) -> Phrase:
    """Split the way the normalizer splits citizen text (NFC, lowercase)."""
    return tuple(_TOKEN_RE.findall(unicodedata.normalize("NFC", text).lower()))


PREFIX = "~"  # concept tokens start with a character no citizen text token can contain
GAP = "…"  # in a phrase, "đổi ... máy": up to MAX_GAP other words may stand here
MAX_GAP = 3
_GAP_RE = re.compile(r"\s*(?:\.\.\.|…)\s*")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ENTRY_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    entries: tuple[str, ...]  # ids of the entries that answer it; empty: nothing does
    phrases: tuple[Phrase, ...]
    line: int | None = None

    @property
    def token(self) -> str:
        return PREFIX + self.id


@dataclass(frozen=True)
class Concepts:
    concepts: tuple[Concept, ...] = ()
    source: str = "<empty>"
    by_id: Mapping[str, Concept] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Concepts:
        return cls()

    @classmethod
    def build(cls, concepts: Sequence[Concept], source: str = "<built>") -> Concepts:
        return cls(tuple(concepts), source, {c.id: c for c in concepts})

    @classmethod
    def load(cls, path: Path) -> Concepts:
        """Read and check concepts YAML; problems raise KnowledgeError naming file and line."""
        root = compose_yaml(path)
        return _Reader(str(path)).read(root)

    def entry_tokens(self, entry_id: str) -> tuple[str, ...]:
        """Concept tokens an entry answers."""
        return tuple(c.token for c in self.concepts if entry_id in c.entries)

    def unknown_entries(self, entry_ids: set[str]) -> list[KnowledgeIssue]:
        """Entries named by a concept that the knowledge base lacks (for ``kb check``)."""
        return [
            KnowledgeIssue(self.source, c.line, None, c.id, f"unknown entry {entry!r}")
            for c in self.concepts
            for entry in c.entries
            if entry not in entry_ids
        ]


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[KnowledgeIssue] = []

    def issue(self, node: yaml.Node, concept: str | None, message: str) -> None:
        self.issues.append(
            KnowledgeIssue(self.source, node.start_mark.line + 1, None, concept, message)
        )

    def read(self, root: yaml.Node | None) -> Concepts:
        concepts: list[Concept] = []
        body = self.section(root)
        owner: dict[Phrase, str] = {}
        for key_node, value_node in body:
            concept = self.concept(key_node, value_node)
            if concept is None:
                continue
            for phrase in concept.phrases:
                if owner.setdefault(phrase, concept.id) != concept.id:
                    self.issue(
                        value_node,
                        concept.id,
                        f"phrase {' '.join(phrase)!r} already belongs to {owner[phrase]!r}",
                    )
            concepts.append(concept)
        if self.issues:
            raise KnowledgeError(self.issues)
        return Concepts.build(concepts, self.source)

    def section(self, root: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
        if root is None:
            return []
        if not isinstance(root, yaml.MappingNode):
            self.issue(root, None, "expected a mapping with a 'concepts' section")
            return []
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in root.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value != "concepts":
                self.issue(key_node, None, f"unknown section {getattr(key_node, 'value', '')!r}")
            elif not isinstance(value_node, yaml.MappingNode):
                self.issue(value_node, None, "expected a mapping of concept ids")
            else:
                pairs.extend(value_node.value)
        return pairs

    def concept(self, key_node: yaml.Node, node: yaml.Node) -> Concept | None:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if not _ID_RE.match(str(name)):
            self.issue(key_node, None, f"concept id {name!r}: lowercase ASCII, digits and _")
            return None
        if not isinstance(node, yaml.MappingNode):
            self.issue(node, name, "expected 'entries' and 'phrases'")
            return None
        fields = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        for unknown in set(fields) - {"entries", "phrases"}:
            self.issue(node, name, f"unknown field {unknown!r}")
        entries = tuple(text for text, _ in self.scalars(fields.get("entries"), name))
        for entry in entries:
            if not _ENTRY_RE.match(entry):
                self.issue(node, name, f"{entry!r} is not an entry id")
        phrases: list[Phrase] = []
        for text, item in self.scalars(fields.get("phrases"), name):
            parts = [phrase_tokens(part) for part in _GAP_RE.split(text)]
            if not all(parts):
                self.issue(item, name, f"{text!r}: every part around '...' needs a word")
            else:
                phrases.append(
                    tuple(t for n, part in enumerate(parts) for t in (*([GAP] if n else []), *part))
                )
        if not phrases:
            self.issue(node, name, "a concept needs at least one phrase")
        return Concept(name, entries, tuple(dict.fromkeys(phrases)), key_node.start_mark.line + 1)

    def scalars(self, node: yaml.Node | None, name: str) -> Iterator[tuple[str, yaml.Node]]:
        if node is None:
            return
        if not isinstance(node, yaml.SequenceNode):
            self.issue(node, name, "expected a list")
            return
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                self.issue(item, name, "expected a non-empty word or phrase")
                continue
            yield str(item.value).strip(), item


Parts = tuple[tuple[str, ...], ...]  # a phrase in key spelling, cut at its gaps
# A phrase to try: its parts, their accented spelling, its concept token and all its words.
_Option = tuple[Parts, Parts, str, frozenset[str]]


def split_gaps(phrase: Phrase) -> list[tuple[str, ...]]:
    """("đổi", "…", "máy") → [("đổi",), ("máy",)]."""
    parts: list[tuple[str, ...]] = [()]
    for token in phrase:
        if token == GAP:
            parts.append(())
        else:
            parts[-1] = (*parts[-1], token)
    return parts


class ConceptTable:
    """Concept phrases in the index's key spelling, found in a query's tokens."""

    def __init__(
        self,
        phrases: Mapping[Parts, str],
        linked: set[str],
        accents: Mapping[Parts, Parts] | None = None,
        open_matters: Collection[str] = (),
    ) -> None:
        """``phrases``: key parts → concept token; ``linked``: tokens some entry answers;
        ``accents``: key parts → the phrase's accented parts (spelled like the keys);
        ``open_matters``: tokens of the matters no entry answers (``entries: []``)."""
        self.linked = frozenset(linked)
        self.open = frozenset(open_matters)
        # The words an open matter's phrases start with: most wordings hold none (one C pass).
        self.open_first = frozenset(
            parts[0][0] for parts, concept in phrases.items() if concept in self.open and parts[0]
        )
        # Each concept's vocabulary, words and adjacent pairs ("moi_sinh"): a story that uses
        # "sanh" but none of the phrases whole still leans towards the birth entries (the
        # reranker counts these as it counts a phrasing's words and pairs).
        words: dict[str, set[str]] = {}
        for parts, concept in phrases.items():
            said = words.setdefault(concept, set())
            for part in parts:
                said.update(part)
                said.update(map("_".join, pairwise(part)))
        self.words: Mapping[str, frozenset[str]] = {c: frozenset(w) for c, w in words.items()}
        accents = accents or {}
        first: dict[str, list[_Option]] = {}
        for parts, concept in phrases.items():
            if parts and parts[0]:
                every = frozenset(t for part in parts for t in part)
                option = (parts, accents.get(parts, ()), concept, every)
                first.setdefault(parts[0][0], []).append(option)
        # Per first word, the phrases to try, longest first; split by the word after it
        # (a phrase whose first part has two words or more can only start before its second
        # word), each list in that same order: a query tries a few phrases, not all of them.
        self._first: dict[str, tuple[dict[str, tuple[_Option, ...]], tuple[_Option, ...]]] = {}
        for token, options in first.items():
            options.sort(key=lambda option: -sum(map(len, option[0])))
            seconds = {o[0][0][1] for o in options if len(o[0][0]) > 1}
            by_next = {
                second: tuple(o for o in options if len(o[0][0]) == 1 or o[0][0][1] == second)
                for second in seconds
            }
            self._first[token] = (by_next, tuple(o for o in options if len(o[0][0]) == 1))

    def __bool__(self) -> bool:
        return bool(self._first)

    def vocabulary(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """The words and word pairs of the phrases of the concepts ``tokens`` (each once,
        sorted)."""
        return tuple(sorted({w for t in tokens for w in self.words.get(t, ())}))

    def named_matters(self, tokens: Sequence[str], accents: Sequence[str] = ()) -> frozenset[str]:
        """The open matters (no entry answers them) that ``tokens`` name. An entry whose own
        wordings name one ("xác nhận độc thân để vay ngân hàng": loans) mentions it as the
        citizen's context, so the matter does not count against that entry."""
        if self.open_first.isdisjoint(tokens):
            return frozenset()
        found, _ = self.find(tokens, accents)
        return frozenset(t for t in found if t in self.open)

    def find(
        self, tokens: Sequence[str], accents: Sequence[str] = ()
    ) -> tuple[list[str], set[int]]:
        """Concept tokens used in ``tokens`` (in order, once each) and the positions they span.

        Where the citizen typed diacritics they must agree with the phrase's: "nộp hồ sơ" is
        not "nộp hộ" although both fold to "nop ho".
        """
        found: dict[str, None] = {}
        covered: set[int] = set()
        first = self._first
        present = frozenset(tokens)  # a phrase is only tried when all its words are here
        last = len(tokens) - 1
        for start, token in enumerate(tokens):
            starting = first.get(token)
            if starting is None:
                continue
            by_next, alone = starting
            options = by_next.get(tokens[start + 1], alone) if start < last else alone
            for parts, spelled, concept, words in options:
                if not words <= present:
                    continue
                span = _match(tokens, accents, start, parts, spelled)
                if span is not None:
                    found[concept] = None
                    covered.update(span)
                    break
        return list(found), covered


def _match(
    tokens: Sequence[str], accents: Sequence[str], start: int, parts: Parts, spelled: Parts
) -> list[int] | None:
    """Positions of ``parts`` found from ``start``, each within MAX_GAP words of the last."""
    positions: list[int] = []
    at = start
    for number, part in enumerate(parts):
        last = at if number == 0 else min(at + MAX_GAP, len(tokens) - len(part))
        for begin in range(at, last + 1):
            end = begin + len(part)
            if tuple(tokens[begin:end]) != part:
                continue
            if accents and spelled and not _agree(accents[begin:end], spelled[number]):
                continue
            positions.extend(range(begin, end))
            at = end
            break
        else:
            return None
    return positions


def _agree(typed: Sequence[str], spelled: Sequence[str]) -> bool:
    """Each word typed (or written in the phrase) without diacritics, or with the same."""
    return all(t.isascii() or s.isascii() or t == s for t, s in zip(typed, spelled, strict=True))
