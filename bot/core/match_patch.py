"""A matcher with one entry replaced, added or removed, without rebuilding the whole index.

``Matcher.build`` over 10,000 entries takes seconds: every phrasing is normalized and every
statistic counted again. Changing one entry moves only a few of those numbers: the entry's own
postings, the document frequencies of the words it gains or loses (so their idf, and what is
computed from idf), the pair and text counts, the reranker's bag and background. The number
of entries moves every idf when an entry is added or removed; those are recomputed from the
counts. :func:`replace_entry` copies the live index's tables and adjusts exactly these, so the
result ranks every question as the full rebuild does, in milliseconds (a test compares the
two over several kinds of edit).

The full rebuild this stands for: the base entries with the edited one replaced where it
stands, or added after the others when it is new, or left out when removed. A removed entry
keeps its slot, empty (no phrasing, no posting, so never retrieved), which keeps the other
entries in the order the rebuild numbers them, so ties break the same way.

When a new or removed id is the only entry a situation concept names, the concept's phrases
come or go with it (the concept table is rebuilt: a few hundred short phrases). When the edit
brings a word no entry used (or takes the last use away), the knowledge base's vocabulary
(:func:`bot.core.match.content_words`) changes; it decides how a filler typed without
diacritics and a glued word are read. Unless that word is such a filler or part of a glued
word some phrasing has, no other phrasing reads differently and the patch stands; otherwise
``None``: rebuild instead.
"""

from __future__ import annotations

import bisect
import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar, cast

from bot.core.concepts import PREFIX as CONCEPT_PREFIX
from bot.core.concepts import ConceptTable
from bot.core.knowledge import FaqEntry
from bot.core.match import _WORD_RE, Matcher, answer_pairs, answer_tokens, concept_phrases
from bot.core.match_index import MatchIndex, sort_words
from bot.core.normalize import _TOKEN_RE, Normalized, Normalizer, clean, key_token
from bot.core.query_terms import has_diacritics, idf_of
from bot.core.reranker import (
    ANSWER_WEIGHT,
    BAG_UNIT,
    CONCEPT_WEIGHT,
    SITUATION_WORD_WEIGHT,
    Reranker,
)
from bot.core.tones import fold, is_valid_syllable


@dataclass(frozen=True, slots=True)
class _Phrasing:
    key: str
    tokens: tuple[str, ...]
    token_set: tuple[str, ...]
    pairs: tuple[str, ...]
    accents: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class _Side:
    """One entry as the index holds it, and its share of the index's shared counts."""

    phrasings: tuple[_Phrasing, ...]
    words: frozenset[str]  # key words of its phrasings, and its concept tokens
    pairs: frozenset[str]
    accents: frozenset[str]  # accented words of its phrasings and its answer
    answer: tuple[str, ...]  # folded answer words its phrasings do not use
    bag: dict[str, float]  # the reranker's bag (the change to its background)
    context: frozenset[str] = frozenset()  # open matters its wordings name (MatchIndex)


T = TypeVar("T")
_EMPTY = _Side((), frozenset(), frozenset(), frozenset(), (), {})


class Base:
    """A snapshot's matcher and what patching it needs, worked out once per snapshot."""

    def __init__(
        self, matcher: Matcher, entries: Sequence[FaqEntry], normalizer: Normalizer
    ) -> None:
        """``entries``: the published entries ``matcher`` was built from, in order;
        ``normalizer``: the one it was built with (``Matcher.build``'s argument)."""
        self.matcher = matcher
        self.entries = tuple(entries)
        self.slots = {entry.id: number for number, entry in enumerate(self.entries)}
        # Phrasings were read knowing the knowledge base's words, without the index's pairs
        # (those serve questions only): the matcher's own normalizer, less the pairs.
        self.local = matcher.normalizer.sharing_tables(pairs=normalizer.content_pairs)
        self.known = normalizer.content_words or frozenset()
        self.fillers = {phrase[0] for phrase in normalizer.lexicon.fillers if len(phrase) == 1}
        self.filler_keys = {key_token(filler) for filler in self.fillers}
        self._known = normalizer.lexicon.known_words()  # built afresh on each call
        self._keys: dict[str, str] = {}  # word → vocabulary key, for the counts
        self._forms: dict[str, str] = {}  # token → folded glued form or ""
        self._glued: Counter[str] = Counter()  # entries per folded word that is no syllable
        self._vocabulary: Counter[str] | None = None
        self.spellings: dict[str, str] = {}  # answer words as the index spells them
        self._sides: dict[str, _Side] = {}  # base entries as the index holds them

    def side(self, entry: FaqEntry) -> _Side:
        """A base entry as the index holds it (each is read once)."""
        held = self._sides.get(entry.id)
        if held is None:
            table = self.matcher.index.concepts
            held = self._sides[entry.id] = _side(self, entry, table, self.local)
        return held

    def content_keys(self, entry: FaqEntry) -> set[str]:
        """The words this entry adds to the normalizer's vocabulary (as ``content_words``)."""
        words: set[str] = set()
        for phrasing in entry.phrasings:
            if not phrasing.isascii():
                words.update(_WORD_RE.findall(unicodedata.normalize("NFC", phrasing).lower()))
        return {self._key(word) for word in words - self.fillers}

    def glued(self, texts: Iterable[str]) -> set[str]:
        """Folded words of ``texts`` that are no syllable (may be read as glued words)."""
        tokens = {token for text in texts for token in _TOKEN_RE.findall(clean(text))}
        return {f for f in map(self._glued_form, tokens) if f}

    def _key(self, word: str) -> str:
        key = self._keys.get(word)
        if key is None:
            key = self._keys[word] = key_token(fold(word))
        return key

    def _glued_form(self, token: str) -> str:
        """The folded token when it is no syllable nor a known word, else ""."""
        form = self._forms.get(token)
        if form is None:
            folded = fold(token)
            glued = folded not in self._known and not is_valid_syllable(folded)
            form = self._forms[token] = folded if glued else ""
        return form

    def vocabulary(self) -> Counter[str]:
        """Per vocabulary word, how many entries bring it (counted on first need)."""
        if self._vocabulary is None:
            counts: Counter[str] = Counter()
            glued: Counter[str] = Counter()
            for entry in self.entries:
                counts.update(self.content_keys(entry))
                glued.update(self.glued(entry.phrasings))
            concepts = self.matcher.normalizer.lexicon.concepts.concepts
            glued.update(self.glued(" ".join(p) for c in concepts for p in c.phrases))
            self._glued = glued
            self._vocabulary = counts
        return self._vocabulary

    def reads_differently(self, words: set[str], old: FaqEntry | None) -> bool:
        """Whether gaining or losing these vocabulary words could change how a phrasing or
        concept phrase of the base (but ``old``) is read. The vocabulary is consulted for a
        single filler typed without diacritics ("nha": kept when a phrasing uses "nhà") and
        for the letter pieces of a glued word ("dangky"), a word that is no syllable."""
        self.vocabulary()
        if words & self.filler_keys:
            return True
        own = self.glued(old.phrasings) if old is not None else set()
        pieces = [w for w in words if w.isalpha()]
        return any(
            word in glued
            for glued, count in self._glued.items()
            if count > (glued in own)
            for word in pieces
        )


def replace_entry(base: Base, entry: FaqEntry | None, remove: str | None = None) -> Matcher | None:
    """The base matcher with ``entry`` (published) in place of the entry of the same id, or
    added; with ``entry`` None, without the entry ``remove``. ``None``: rebuild instead."""
    faq_id = entry.id if entry is not None else remove
    slot = base.slots.get(faq_id) if faq_id is not None else None
    old = base.entries[slot] if slot is not None else None
    if faq_id is None or (old is None and entry is None):
        return base.matcher
    local = _vocabulary(base, old, entry)
    if local is None:
        return None
    concepts = base.matcher.index.concepts
    if (old is None or entry is None) and _links_change(base, faq_id):
        # The only entry a situation names comes or goes: the situation's phrases with it.
        present = set(base.slots) - {faq_id} if entry is None else {*base.slots, faq_id}
        lexicon = base.matcher.normalizer.lexicon
        concepts = concept_phrases(lexicon.concepts, present, local)
    before = base.side(old) if old is not None else _EMPTY
    after = _side(base, entry, concepts, local) if entry is not None else _EMPTY
    count = len(base.entries) + (old is None) - (entry is None)
    index = _patched_index(base.matcher.index, slot, before, after, count)
    index.concepts = concepts
    ids = list(base.matcher.entry_ids)
    if slot is None:
        ids.append(faq_id)  # an entry removed keeps its id: its empty slot is never ranked
    elif entry is not None:
        ids[slot] = entry.id
    queries = local.sharing_tables(pairs=index.pair_df)
    matcher = base.matcher
    return Matcher(tuple(ids), index, queries, matcher.thresholds, matcher.calibration)


def _vocabulary(base: Base, old: FaqEntry | None, new: FaqEntry | None) -> Normalizer | None:
    """The normalizer that reads phrasings after the change (the base one unless the change
    brings or takes a vocabulary word), or None when other phrasings could read differently."""
    before = base.content_keys(old) if old is not None else set()
    after = base.content_keys(new) if new is not None else set()
    if before == after:
        return base.local
    counts = base.vocabulary()
    gained = {w for w in after - before - base.known if counts[w] == 0}
    lost = {w for w in before - after - base.known if counts[w] == 1}
    if not gained and not lost:
        return base.local
    if base.reads_differently(gained | lost, old):
        return None
    words = base.local.content_words or frozenset()
    return base.local.sharing_tables(words=(words | gained) - lost)


def _links_change(base: Base, faq_id: str) -> bool:
    """Whether adding or removing ``faq_id`` links or unlinks a situation concept: it does
    when no other entry the concept names is there."""
    for concept in base.matcher.normalizer.lexicon.concepts.concepts:
        if faq_id in concept.entries and not any(
            e != faq_id and e in base.slots for e in concept.entries
        ):
            return True
    return False


def _side(base: Base, entry: FaqEntry, table: ConceptTable, local: Normalizer) -> _Side:
    """``entry`` as Matcher.build and MatchIndex index it (kept in step by a test)."""
    phrasings = []
    words: set[str] = set()
    pairs: set[str] = set()
    accents: set[str] = set()
    context: frozenset[str] = frozenset()
    for phrasing in entry.phrasings:
        normalized: Normalized = local.normalize(phrasing)
        tokens = normalized.tokens
        if not tokens:
            continue
        context |= table.named_matters(tokens, normalized.accents)
        spelled = normalized.accents if has_diacritics(normalized.accents) else None
        held = _Phrasing(
            sort_words(normalized.key),  # as MatchIndex keeps it
            tokens,
            tuple(dict.fromkeys(tokens)),
            tuple(dict.fromkeys(map("_".join, pairwise(tokens)))),
            spelled,
        )
        phrasings.append(held)
        words.update(tokens)
        pairs.update(held.pairs)
        if spelled is not None:
            accents.update(spelled)
    concepts = tuple(t for t in base.matcher.normalizer.lexicon.concepts.entry_tokens(entry.id))
    concepts = tuple(t for t in concepts if t in table.linked)
    words.update(concepts)
    text = answer_tokens(entry.answer, base.spellings)
    accents.update(text)
    answer = tuple({key_token(word) for word in text}.difference(words))
    items = tuple(t for p in phrasings for t in (*p.tokens, *p.pairs))  # as Matcher.build
    answer_items = (*answer, *answer_pairs(entry.answer))
    bag: dict[str, float] = dict(Counter(items))  # as Reranker counts
    for token in answer_items:
        bag[token] = bag.get(token, 0.0) + ANSWER_WEIGHT
    for token in concepts:
        bag[token] = bag.get(token, 0.0) + CONCEPT_WEIGHT
    said = table.vocabulary(concepts)
    for token in said:
        bag[token] = bag.get(token, 0.0) + SITUATION_WORD_WEIGHT
    return _Side(
        tuple(phrasings),
        frozenset(words),
        frozenset(pairs),
        frozenset(accents),
        answer,
        bag,
        context,
    )


def _patched_index(
    source: MatchIndex, slot: int | None, before: _Side, after: _Side, count: int
) -> MatchIndex:
    index = MatchIndex.__new__(MatchIndex)
    index.__dict__.update(source.__dict__)
    index.forget()
    n = index.n_entries = max(count, 1)
    if slot is None:
        slot = len(source.entry_phrasings)
    first = len(source.sorted_keys)
    index.sorted_keys = [*source.sorted_keys, *(p.key for p in after.phrasings)]
    index.phrasing_tokens = [*source.phrasing_tokens, *(p.tokens for p in after.phrasings)]
    index.token_sets = [*source.token_sets, *(p.token_set for p in after.phrasings)]
    index.pair_sets = [*source.pair_sets, *(p.pairs for p in after.phrasings)]
    index.accents = [*source.accents, *(p.accents for p in after.phrasings)]
    mine = list(range(first, first + len(after.phrasings)))
    index.entry_phrasings = _put(source.entry_phrasings, slot, mine)
    index.entry_tokens = _put(source.entry_tokens, slot, after.words)
    index.answer_tokens = _put(source.answer_tokens, slot, after.answer)
    index.context_matters = _put(source.context_matters, slot, after.context)

    postings = dict(source.postings)
    for word in before.words - after.words:
        kept = tuple(e for e in postings[word] if e != slot)
        if kept:
            postings[word] = kept
        else:
            del postings[word]
    for word in after.words - before.words:
        held = list(postings.get(word, ()))
        bisect.insort(held, slot)
        postings[word] = tuple(held)
    index.postings = postings
    if n == source.n_entries:
        index.idf = dict(source.idf)
        for word in before.words ^ after.words:
            if word in postings:
                index.idf[word] = idf_of(n, len(postings[word]))
            else:
                index.idf.pop(word, None)
    else:
        index.idf = {word: idf_of(n, len(entries)) for word, entries in postings.items()}
    index.max_idf = idf_of(n, 0)
    index.mass = cast(list[float], _Mass(index.token_sets, index.idf))

    index.pair_df = _moved(source.pair_df, (before.pairs, after.pairs))
    index.text_df = _moved(
        source.text_df, (before.words, after.words), (before.answer, after.answer)
    )
    index.accent_idf = _accent_idf(source, n, before.accents, after.accents)
    if postings.keys() != source.postings.keys():
        index.vocab = sorted(t for t in postings if not t.startswith(CONCEPT_PREFIX))
        index._corrections, index._neighbours = {}, {}  # both depend on the vocabulary only
    if source.reranker is not None:
        index.reranker = _reranker(source.reranker, slot, before, after)
    index._tune()
    return index


def _put(values: list[T], slot: int, value: T) -> list[T]:
    copy = list(values)
    if slot == len(copy):
        copy.append(value)
    else:
        copy[slot] = value
    return copy


def _moved(counts: Counter[str], *changes: tuple[Iterable[str], Iterable[str]]) -> Counter[str]:
    """``counts`` (bags per key) with, for each (before, after), one bag changed."""
    copy = counts.copy()
    for before, after in changes:
        old, new = set(before), set(after)
        for key in old - new:
            copy[key] -= 1
            if copy[key] <= 0:
                del copy[key]
        for key in new - old:
            copy[key] += 1
    return copy


def _accent_idf(
    source: MatchIndex, n: int, before: frozenset[str], after: frozenset[str]
) -> dict[str, float]:
    """Accent idf over the changed counts; a count is read back from its idf (exactly: idf is
    log((n + 1) / (df + 0.5)), so df is a whole number a rounding away)."""
    old_n = source.n_entries

    def df(word: str) -> int:
        idf = source.accent_idf.get(word)
        return 0 if idf is None else round((old_n + 1) / math.exp(idf) - 0.5)

    changed = {a for a in before ^ after if not a.isascii()}
    if n == old_n:
        result = dict(source.accent_idf)
    else:
        result = {a: idf_of(n, df(a)) for a in source.accent_idf}
    for word in changed:
        count = df(word) - (word in before) + (word in after)
        if count > 0:
            result[word] = idf_of(n, count)
        else:
            result.pop(word, None)
    return result


class _Mass(Sequence[float]):
    """Each phrasing's idf mass (``MatchIndex.mass``), summed when first read: after an
    entry is added or removed every idf moves, and a question reads a few dozen of them."""

    def __init__(self, token_sets: list[tuple[str, ...]], idf: dict[str, float]) -> None:
        self._token_sets = token_sets
        self._idf = idf
        self._cache: dict[int, float] = {}

    def __getitem__(self, index: int) -> float:  # type: ignore[override]
        value = self._cache.get(index)
        if value is None:
            value = self._cache[index] = sum(map(self._idf.__getitem__, self._token_sets[index]))
        return value

    def __len__(self) -> int:
        return len(self._token_sets)


class _Background(Mapping[str, int]):
    """The reranker's background (weights in BAG_UNITs) with bags changed: the unchanged
    table and the change, added when a token is read."""

    def __init__(self, source: Mapping[str, int], delta: dict[str, int]) -> None:
        self._source = source
        self.delta = delta

    def get(self, token: str, default: int | None = None) -> int | None:  # type: ignore[override]
        units = self._source.get(token, 0) + self.delta.get(token, 0)
        return units if units > 0 else default

    def __getitem__(self, token: str) -> int:
        units = self.get(token)
        if units is None:
            raise KeyError(token)
        return units

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.get(token) is not None

    def __iter__(self) -> Iterator[str]:
        return (t for t in {**self._source, **self.delta} if t in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _reranker(source: Reranker, slot: int, before: _Side, after: _Side) -> Reranker:
    """The reranker with the entry's bag changed: its words in its slot, the change of bag
    in the background."""
    reranker = Reranker.__new__(Reranker)
    units = {token: round(value / BAG_UNIT) for token, value in after.bag.items()}
    reranker.bags = _put(source.bags, slot, units)
    reranker.sizes = _put(source.sizes, slot, sum(after.bag.values()))
    background = source.background
    held = background if isinstance(background, _Background) else None
    delta = dict(held.delta) if held is not None else {}
    for sign, bag in ((-1, before.bag), (1, after.bag)):
        for token, value in bag.items():
            delta[token] = delta.get(token, 0) + sign * round(value / BAG_UNIT)
    unchanged = held._source if held is not None else background
    reranker.background = _Background(unchanged, delta)
    reranker.total = sum(reranker.sizes) or 1.0  # as Reranker: the new bag in, the old one out
    reranker.derive()
    return reranker
