"""The matcher's word knowledge: abbreviations, synonyms, fillers, light and protected words.

Staff own the data (knowledge/lexicon.yaml); this module only loads and checks it. Phrases are
kept as tuples of accented lowercase tokens, the form the normalizer looks them up in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.concepts import Concepts, Phrase, phrase_tokens
from bot.core.knowledge import KnowledgeError, KnowledgeIssue, compose_yaml
from bot.core.tones import fold

SECTIONS = ("dialect", "abbreviations", "synonyms", "fillers", "light", "protected")
__all__ = ["Lexicon", "Phrase", "phrase_tokens"]


@dataclass(frozen=True)
class Lexicon:
    """Validated word lists; ``dialect``, ``abbreviations`` and ``synonyms`` map a phrase to
    its standard form (``dialect``: regional and colloquial spellings such as southern "sanh"
    for "sinh", "dzô" for "vào", applied first so every entry and concept benefits)."""

    abbreviations: Mapping[Phrase, Phrase] = field(default_factory=dict)
    synonyms: Mapping[Phrase, Phrase] = field(default_factory=dict)
    fillers: frozenset[Phrase] = frozenset()
    light: frozenset[str] = frozenset()  # folded everyday words; never "rare content"
    protected: frozenset[str] = frozenset()  # folded words never repaired as Telex leftovers
    source: str = "<empty>"
    # The everyday words as written: folded "chieu" is both chiều (light) and chiếu (a thing).
    light_accented: frozenset[str] = frozenset()
    # Situation phrases → topics (knowledge/concepts.yaml, loaded beside this file).
    concepts: Concepts = field(default_factory=Concepts.empty)
    dialect: Mapping[Phrase, Phrase] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Lexicon:
        return cls()

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read and check lexicon YAML; problems raise KnowledgeError naming file and line."""
        root = compose_yaml(path)
        return _Reader(str(path)).read(root)

    def known_words(self) -> frozenset[str]:
        """Folded single words the normalizer must never treat as typing leftovers."""
        words = set(self.protected)
        for table in (self.dialect, self.abbreviations, self.synonyms):
            for phrase in table:
                words.update(fold(token) for token in phrase)
        return frozenset(words)


class _Reader:
    """Walks the composed YAML node tree so every problem keeps its line number."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[KnowledgeIssue] = []

    def issue(self, node: yaml.Node | None, section: str | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.issues.append(KnowledgeIssue(self.source, line, None, section, message))

    def read(self, root: yaml.Node | None) -> Lexicon:
        sections: dict[str, yaml.Node] = {}
        if root is None:
            pass
        elif not isinstance(root, yaml.MappingNode):
            self.issue(root, None, "expected a mapping of sections")
        else:
            for key_node, value_node in root.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if name not in SECTIONS:
                    self.issue(key_node, None, f"unknown section {name!r}")
                    continue
                sections[name] = value_node
        dialect = self.read_table(sections.get("dialect"), "dialect")
        abbreviations = self.read_table(sections.get("abbreviations"), "abbreviations")
        synonyms = self.read_table(sections.get("synonyms"), "synonyms")
        fillers = frozenset(self.read_list(sections.get("fillers"), "fillers"))
        light_words = frozenset(
            word for phrase in self.read_list(sections.get("light"), "light") for word in phrase
        )
        light = frozenset(fold(word) for word in light_words)
        protected = frozenset(
            fold(" ".join(p)) for p in self.read_list(sections.get("protected"), "protected")
        )
        self.check_chains(synonyms, sections.get("synonyms"), "synonyms")
        self.check_chains(dialect, sections.get("dialect"), "dialect")
        if self.issues:
            raise KnowledgeError(self.issues)
        return Lexicon(
            abbreviations,
            synonyms,
            fillers,
            light,
            protected,
            self.source,
            light_words,
            dialect=dialect,
        )

    def scalars(self, node: yaml.Node | None, section: str) -> Iterator[tuple[Phrase, yaml.Node]]:
        if node is None:
            return
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for item in items:
            if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                self.issue(item, section, "expected a non-empty word or phrase")
                continue
            tokens = phrase_tokens(str(item.value))
            if not tokens:
                self.issue(item, section, f"{item.value!r} has no letters or digits")
                continue
            yield tokens, item

    def read_list(self, node: yaml.Node | None, section: str) -> list[Phrase]:
        if node is not None and not isinstance(node, yaml.SequenceNode):
            self.issue(node, section, "expected a list")
            return []
        return [tokens for tokens, _ in self.scalars(node, section)]

    def read_table(self, node: yaml.Node | None, section: str) -> dict[Phrase, Phrase]:
        """Read ``expansion: [variant, ...]`` into variant → expansion."""
        table: dict[Phrase, Phrase] = {}
        if node is None:
            return table
        if not isinstance(node, yaml.MappingNode):
            self.issue(node, section, "expected a mapping 'expansion: [variants]'")
            return table
        for key_node, value_node in node.value:
            targets = list(self.scalars(key_node, section))
            if len(targets) != 1:
                continue
            target = targets[0][0]
            for variant, item in self.scalars(value_node, section):
                if variant in table and table[variant] != target:
                    self.issue(
                        item,
                        section,
                        f"{' '.join(variant)!r} already maps to {' '.join(table[variant])!r}",
                    )
                elif variant != target:
                    table[variant] = target
        return table

    def check_chains(
        self, synonyms: Mapping[Phrase, Phrase], node: yaml.Node | None, section: str
    ) -> None:
        """Expansions must already be canonical, or normalizing twice would change the key.

        Variants are compared the way the normalizer matches them: several words by their
        folded form, one accented word exactly ("bẩy" may expand to "bảy").
        """
        for target in set(synonyms.values()):
            folded = tuple(fold(t) for t in target)
            for variant in synonyms:
                accented_single = len(variant) == 1 and not variant[0].isascii()
                found = (
                    _contains(target, variant)
                    if accented_single
                    else _contains(folded, tuple(fold(t) for t in variant))
                )
                if found:
                    self.issue(
                        node,
                        section,
                        f"expansion {' '.join(target)!r} contains the variant "
                        f"{' '.join(variant)!r}",
                    )


def _contains(haystack: Phrase, needle: Phrase) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))
