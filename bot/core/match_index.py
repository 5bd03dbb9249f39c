"""Inverted index over FAQ phrasings and the scoring behind the matcher's confidence.

Retrieval: entry-level postings of syllables and adjacent-syllable pairs, weighted by BM25
idf, pick a few candidate entries; only their phrasings are reranked. Each phrasing gets a
handful of bounded features (how much of the query's idf mass it covers, how much of its own
content the query names, rapidfuzz similarity of the keys, shared syllable pairs); a logistic
model calibrated on labelled questions turns them into a 0..1 confidence.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise, repeat
from operator import add, itemgetter

from rapidfuzz import fuzz

from bot.core.concepts import PREFIX as CONCEPT_PREFIX
from bot.core.concepts import ConceptTable
from bot.core.features import LOG_MASS, phrasing_features
from bot.core.normalize import Normalized, accent_token, canonical_token, key_token
from bot.core.query_terms import QueryTerms
from bot.core.query_terms import idf_of as _idf
from bot.core.reranker import Reranker
from bot.core.scoring import Query, Scoring, sigmoid

_LONG_POSTING = 128  # postings longer than this also get a set, for membership tests
# The last query scored, and per entry: its missing_rare, best linear score and phrasing.
_Scored = tuple[Query, dict[int, tuple[tuple[str, ...], float, int]]]
_FIRST = itemgetter(0)


@dataclass(frozen=True, slots=True)
class EntryScore:
    entry: int
    confidence: float
    missing_rare: tuple[str, ...]
    phrasing: int = -1  # index of the best phrasing


class MatchIndex(QueryTerms):
    """Immutable index; build once per knowledge snapshot."""

    def __init__(
        self,
        n_entries: int,
        phrasings: Iterable[tuple[int, Normalized]],
        light: frozenset[str],
        scoring: Scoring | None = None,
        texts: Sequence[Iterable[str]] = (),
        light_accented: Iterable[str] = (),
        concepts: ConceptTable | None = None,
        entry_concepts: Sequence[Iterable[str]] = (),
    ) -> None:
        """Index ``phrasings`` as (entry number, normalized text).

        ``texts`` holds, per entry, the accented tokens of the rest of its text (the answer):
        they never match a query but tell everyday words from words that name a thing.
        ``entry_concepts`` holds, per entry, the concept tokens it answers (see concepts.py).
        """
        self.scoring = scoring or Scoring()
        self.concepts = concepts or ConceptTable({}, set())
        self.n_entries = n = max(n_entries, 1)
        self.light = light
        self.light_accented = frozenset(accent_token(canonical_token(w)) for w in light_accented)
        # Each phrasing's key with its words sorted: token_sort_ratio is ratio() of sorted
        # words, so the query's are sorted once and each phrasing's never again.
        self.sorted_keys: list[str] = []
        # Per phrasing, tuples rather than sets: a few words each, and memory matters at
        # 60,000 phrasings (set.intersection takes any iterable).
        self.token_sets: list[tuple[str, ...]] = []
        self.pair_sets: list[tuple[str, ...]] = []
        self.accents: list[tuple[str, ...] | None] = []  # aligned with the key tokens
        self.phrasing_tokens: list[tuple[str, ...]] = []
        self.entry_phrasings: list[list[int]] = [[] for _ in range(n_entries)]
        entry_words: list[set[str]] = [set() for _ in range(n_entries)]
        entry_pairs: list[set[str]] = [set() for _ in range(n_entries)]
        entry_accents: list[set[str]] = [set() for _ in range(n_entries)]
        # The per-phrasing loop of the build: methods bound once, a key's words sorted from
        # its tokens (the key is them joined by spaces), diacritics seen in one joined string.
        # Pair strings are not interned: looking each up in a table of hundreds of thousands
        # cost more time (cache misses) than the memory it saved.
        join_pair, pick = "_".join, dict.fromkeys
        add_key, add_tokens = self.sorted_keys.append, self.phrasing_tokens.append
        add_set, add_pairs, add_accents = (
            self.token_sets.append,
            self.pair_sets.append,
            self.accents.append,
        )
        entry_phrasings = self.entry_phrasings
        # Matters no entry answers that an entry's own wordings name (concepts.py).
        context: list[frozenset[str]] = [frozenset()] * n_entries
        open_first, named = self.concepts.open_first, self.concepts.named_matters
        for entry, normalized in phrasings:
            tokens = normalized.tokens
            if not tokens:
                continue
            if not open_first.isdisjoint(tokens):
                context[entry] |= named(tokens, normalized.accents)
            pairs = tuple(pick(map(join_pair, pairwise(tokens))))
            entry_phrasings[entry].append(len(self.sorted_keys))
            add_key(" ".join(sorted(tokens)))
            add_tokens(tokens)
            # Each word once (the usual case): the tokens themselves, not an equal copy.
            distinct = pick(tokens)
            add_set(tokens if len(distinct) == len(tokens) else tuple(distinct))
            add_pairs(pairs)
            accents = normalized.accents
            if accents and not "".join(accents).isascii():
                add_accents(accents)
                entry_accents[entry].update(accents)
            else:
                add_accents(None)
            entry_words[entry].update(tokens)
            entry_pairs[entry].update(pairs)
        self.context_matters = context
        for entry, concept_tokens in enumerate(entry_concepts[:n_entries]):
            entry_words[entry].update(concept_tokens)
        # Retrieval walks word postings only; pairs just need their entry frequency.
        postings: dict[str, list[int]] = defaultdict(list)
        for entry in range(n_entries):
            for word in entry_words[entry]:
                postings[word].append(entry)
        # Counted in C, in the order the entries come (so the counters' order is the same).
        self.pair_df: Counter[str] = Counter(chain.from_iterable(entry_pairs))
        self.postings = {f: tuple(p) for f, p in postings.items()}
        self.entry_tokens = [frozenset(words) for words in entry_words]
        self.idf = {f: _idf(n, len(p)) for f, p in self.postings.items()}
        self.max_idf = _idf(n, 0)
        lookup = self.idf.__getitem__
        self.mass = [sum(map(lookup, tokens)) for tokens in self.token_sets]  # distinct words
        # The rest of each entry's text: folded "do" is common (đó, độ, do) while "đỏ" names
        # one thing, and a word every answer uses is an everyday word.
        keys: dict[str, str] = {}
        self.answer_tokens: list[tuple[str, ...]] = [() for _ in range(n_entries)]
        for entry in range(min(len(texts), n_entries)):
            words = frozenset(texts[entry])
            for word in words:
                if word not in keys:
                    keys[word] = key_token(word)
            folded = set(map(keys.__getitem__, words))
            self.answer_tokens[entry] = tuple(folded.difference(self.entry_tokens[entry]))
            entry_accents[entry].update(words)
        accent_df = Counter(chain.from_iterable(entry_accents))
        self.accent_idf = {a: _idf(n, df) for a, df in accent_df.items() if not a.isascii()}
        self.text_df: Counter[str] = Counter(
            chain.from_iterable(chain(self.entry_tokens, self.answer_tokens))
        )
        self.vocab = sorted(t for t in self.postings if not t.startswith(CONCEPT_PREFIX))
        self._corrections: dict[str, str | None] = {}
        self._neighbours: dict[str, tuple[str, ...]] = {}
        self.reranker: Reranker | None = None  # set by the matcher once the index is built
        self._tune()

    def _tune(self) -> None:
        self.rare_df = max(1, int(self.n_entries * self.scoring.rare_df_fraction))
        self.forget()

    def forget(self) -> None:
        """Drop the last query's entry scores (after the tables or the weights changed:
        ``with_scoring``, bot.core.match_patch)."""
        self._scored: _Scored | None = None

    def with_scoring(self, scoring: Scoring) -> MatchIndex:
        """The same index with another confidence model (no rebuild)."""
        clone = MatchIndex.__new__(MatchIndex)
        clone.__dict__.update(self.__dict__)
        clone.scoring = scoring
        clone._tune()
        return clone

    def features(self, query: Query, entry: int) -> list[tuple[int, tuple[float, ...]]]:
        """(phrasing, feature vector) for every phrasing of one entry; see scoring.FEATURES."""
        return phrasing_features(self, query, entry)

    def score(self, normalized: Normalized) -> list[EntryScore]:
        """Candidate entries with their confidence, best first.

        confidence = P(the question is in scope) × P(this entry | in scope): the first from
        the best linear score and the query's own features, the second a softmax of the
        linear scores over the candidates, so near-twins share the probability.
        """
        return self.score_query(self.query(normalized))

    def score_query(
        self, query: Query, candidates: int | None = None, entries: Sequence[int] | None = None
    ) -> list[EntryScore]:
        """:meth:`score` for a query already built, reranking ``candidates`` entries, or
        the ``entries`` given (retrieved with other help: bot.core.understanding)."""
        if query.total <= 0:
            return []
        scoring = self.scoring
        sorted_key = sort_words(query.key)
        scored: list[tuple[float, int, int]] = []
        missing: dict[int, tuple[str, ...]] = {}
        if entries is None:
            entries = self._retrieve(query, candidates)
        # A story is scored twice (its candidates, then those of a wider pool: mostly the
        # same entries): the last query's entries are kept, each scored once.
        memo = self._scored
        if memo is None or memo[0] is not query:
            memo = self._scored = (query, {})
        done = memo[1]
        for entry in entries:
            held = done.get(entry)
            if held is None:
                absent = self.missing_rare(query, entry)
                best_z, best_index = self._best_phrasing(
                    query, entry, scoring.weights, sorted_key, absent
                )
                held = done[entry] = (absent, best_z, best_index)
            missing[entry], best_z, best_index = held
            if best_index >= 0:
                scored.append((best_z, entry, best_index))
        if not scored:
            return []
        scored.sort(reverse=True)
        top_z = scored[0][0]
        in_scope = sigmoid(
            scoring.bias
            + scoring.top_weight * top_z
            + sum(w * x for w, x in zip(scoring.query_weights, query.vector, strict=True))
        )
        shares = [math.exp(z - top_z) for z, _, _ in scored]
        norm = in_scope / sum(shares)
        return [
            EntryScore(entry, share * norm, missing[entry], index)
            for share, (_, entry, index) in zip(shares, scored, strict=True)
        ]

    def missing_rare(self, query: Query, entry: int) -> tuple[str, ...]:
        """The query's thing-naming words the entry never mentions (see ``mentions``), in
        query order; one pass over the entry's answer words instead of one per word."""
        rare = query.rare
        if not rare:
            return ()
        nowhere = query.spelled_nowhere
        tokens = self.entry_tokens[entry]
        outside = [t for t in rare if t in nowhere or t not in tokens]
        if not outside:
            return ()
        in_answer = set(outside).intersection(self.answer_tokens[entry])
        return tuple(t for t in outside if t in nowhere or t not in in_answer)

    def _best_phrasing(
        self,
        query: Query,
        entry: int,
        w: tuple[float, ...],
        sorted_key: str | None = None,
        missing: tuple[str, ...] | None = None,
    ) -> tuple[float, int]:
        """Best linear score over an entry's phrasings: ``features`` with the dot product
        unrolled, since this is the per-query hot loop (a test keeps the two in step).

        ``sorted_key`` and ``missing``: the query's sorted key and the entry's
        ``missing_rare``, when the caller has them already."""
        weights = query.weights
        get_weight = weights.__getitem__
        get_idf = self.idf.__getitem__
        total = query.total
        token_set = query.token_set
        in_entry = token_set.intersection(self.entry_tokens[entry])
        matched = sum(map(get_idf, in_entry))
        if missing is None:
            missing = self.missing_rare(query, entry)
        rare_missing = sum(weights[t] for t in missing) / query.rare_total if query.rare else 0.0
        base = (
            w[0] * sum(map(get_weight, in_entry)) / total
            + w[7] * rare_missing
            + w[8] * min(1.0, math.log1p(matched) / LOG_MASS)
        )
        cover_scale = w[1] / total + w[3] / (query.known_total or 1.0)
        agree_scale = w[2] / total
        pairs = query.pairs
        get_pair = query.pair_weights.__getitem__
        pair_scale = w[6] / query.pair_total if pairs else 0.0
        fuzzy_scale = w[5] / 100.0
        key = sort_words(query.key) if sorted_key is None else sorted_key
        sorted_keys = self.sorted_keys
        query_accents = query.accents
        # Everything but the fuzzy ratio and the accent check is a few set operations; the
        # ratio adds at most ``fuzzy_scale * 100`` and the accent check only subtracts, so
        # phrasings are tried best bound first and the rest skipped once none can win.
        partials: list[tuple[float, int, frozenset[str]]] = []
        token_sets, pair_sets, masses = self.token_sets, self.pair_sets, self.mass
        shared_scale, named_weight = cover_scale + agree_scale, w[4]
        for index in self.entry_phrasings[entry]:
            common = token_set.intersection(token_sets[index])
            partial = base
            if common:
                mass = masses[index]
                partial += shared_scale * sum(map(get_weight, common))
                partial += named_weight * sum(map(get_idf, common)) / mass if mass else 0.0
            # No shared pair adds nothing (most phrasings): looked at without a new set.
            if pairs and not pairs.isdisjoint(pair_sets[index]):
                partial += pair_scale * sum(map(get_pair, pairs.intersection(pair_sets[index])))
            partials.append((partial, index, common))
        partials.sort(reverse=True)
        prune = fuzzy_scale >= 0 and agree_scale >= 0
        fuzzy_max = fuzzy_scale * 100.0
        best_z = -math.inf
        best_index = -1
        for partial, index, common in partials:
            if prune and partial + fuzzy_max <= best_z:
                break
            z = partial + fuzzy_scale * fuzz.ratio(key, sorted_keys[index])
            if prune and z <= best_z:
                continue  # the accent check could only lower it further
            if query_accents is not None and self.accents[index] is not None and common:
                z -= agree_scale * self.disagreement(query, index, common)
            if z > best_z:
                best_z, best_index = z, index
        return best_z, best_index

    def named_share(self, query: Query, phrasing: int) -> float:
        """Share of a phrasing's idf mass the query names: a long story keeps it high."""
        mass = self.mass[phrasing]
        if phrasing < 0 or not mass:
            return 0.0
        common = query.token_set.intersection(self.token_sets[phrasing])
        return min(1.0, sum(map(self.idf.__getitem__, common)) / mass)

    def disagreement(self, query: Query, index: int, common: Iterable[str]) -> float:
        """Weight of shared words (``common``, words of the phrasing) whose diacritics differ
        ("sổ đỏ" is not "số đo")."""
        query_accents = query.accents or {}
        accents = self.accents[index] or ()
        tokens = self.phrasing_tokens[index]
        if len(tokens) == len(self.token_sets[index]) == len(accents):
            # Each word once (the usual case): its accents are found without a dict.
            at = tokens.index
            weights = query.weights
            return sum(
                [
                    weights[t]
                    for t in common
                    if t in query_accents and query_accents[t] != accents[at(t)]
                ]
            )
        mine = dict(zip(tokens, accents, strict=True))
        return sum(
            [
                query.weights[t]
                for t in common
                if t in query_accents and query_accents[t] != mine.get(t, query_accents[t])
            ]
        )

    def retrieve(self, query: Query, candidates: int) -> list[int]:
        """The ``candidates`` entries sharing the most idf mass with the query (no scoring:
        a wide pool for another ranker to pick from)."""
        return self._retrieve(query, candidates)

    def _retrieve(self, query: Query, candidates: int | None = None) -> list[int]:
        """Entries sharing the most idf mass with the query, rarest features first.

        Once enough candidates are found, long postings only add weight to them (a set
        lookup per candidate) instead of being walked: the cost per query stays bounded.
        """
        limit = candidates or self.scoring.candidates
        postings = self.postings
        features = [
            (len(posting), t.token, t.weight)
            for t in query.terms
            if (posting := postings.get(t.token)) is not None
        ]
        features.sort(key=_FIRST)
        scores: dict[int, float] = {}
        get, update = scores.get, scores.update
        walked = 0
        for length, feature, weight in features:
            if length > _LONG_POSTING and len(scores) >= limit:
                break
            # scores[entry] = get(entry, 0.0) + weight for each entry of the posting, in its
            # order, the loop run in C (a small knowledge base walks every posting).
            posting = postings[feature]
            update(
                zip(posting, map(add, map(get, posting, repeat(0.0)), repeat(weight)), strict=True)
            )
            walked += 1
        # sorted() is stable like heapq.nlargest: among equal scores the first-found first.
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)
        if walked == len(features):
            return ranked[:limit]
        pool = ranked[: limit * 4]
        self._add_long(features[walked:], pool, scores)
        return sorted(pool, key=scores.__getitem__, reverse=True)[:limit]

    def _add_long(
        self, features: list[tuple[int, str, float]], pool: list[int], scores: dict[int, float]
    ) -> None:
        """Add to each pooled entry's score the weight of every feature it has, in feature
        order (so the sums are the ones a walk of the postings gives)."""
        entry_tokens = self.entry_tokens
        order = {feature: (number, weight) for number, (_, feature, weight) in enumerate(features)}
        if len(order) < len(features):  # a feature twice: add them one by one
            for _, feature, weight in features:
                for entry in pool:
                    if feature in entry_tokens[entry]:
                        scores[entry] += weight
            return
        wanted = frozenset(order)
        for entry in pool:
            present = entry_tokens[entry] & wanted
            if present:
                score = scores[entry]
                for _, weight in sorted(map(order.__getitem__, present)):
                    score += weight
                scores[entry] = score


def sort_words(key: str) -> str:
    """The key's words in sorted order: ``fuzz.ratio`` of two such strings is
    ``fuzz.token_sort_ratio`` of the keys."""
    return " ".join(sorted(key.split()))


__all__ = ["EntryScore", "MatchIndex", "Query", "Scoring", "sigmoid"]
