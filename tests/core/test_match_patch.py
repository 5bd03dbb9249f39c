"""A matcher patched with one entry changed ranks every question as the full rebuild does."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import pytest

from bot.config import PROJECT_ROOT
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.match import Matcher
from bot.core.match_index import MatchIndex
from bot.core.match_patch import Base, replace_entry
from bot.runtime import Runtime

QUESTIONS = [
    json.loads(line)["text"]
    for line in (PROJECT_ROOT / "tests" / "data" / "dev.jsonl").read_text("utf-8").splitlines()
][::6]
NEW_WORDING = "thủ tục xin giấy phép nuôi chim yến trong nhà phố"


def _ranking(matcher: Matcher, question: str) -> list[tuple[str, float, tuple[float, ...]]]:
    analysis = matcher.analyse(question)
    return [(matcher.entry_ids[r.entry], r.confidence, r.features) for r in analysis.ranked]


def _assert_same(patched: Matcher | None, rebuilt: Matcher, extra: Sequence[str]) -> None:
    assert patched is not None
    for question in [*QUESTIONS, *extra]:
        assert patched.match(question) == rebuilt.match(question), question
        assert _ranking(patched, question) == _ranking(rebuilt, question), question


@pytest.fixture(scope="module")
def published(kb: KnowledgeBase) -> list[FaqEntry]:
    return list(kb.published)


@pytest.fixture(scope="module")
def base(runtime: Runtime, published: list[FaqEntry]) -> Base:
    return Base(runtime.live.current.matcher, published, runtime.normalizer)


def _rebuilt(runtime: Runtime, entries: Sequence[FaqEntry]) -> Matcher:
    return Matcher.build_from_entries(entries, runtime.normalizer, runtime.thresholds)


def _replaced(published: list[FaqEntry], entry: FaqEntry) -> list[FaqEntry]:
    return [entry if e.id == entry.id else e for e in published]


@pytest.mark.parametrize(
    "change",
    ["phrasing added", "phrasing with new words", "phrasings removed", "answer rewritten"],
)
def test_an_edited_entry(
    runtime: Runtime, published: list[FaqEntry], base: Base, change: str
) -> None:
    entry = published[5]
    edited = {
        "phrasing added": dataclasses.replace(
            entry, alternates=(*entry.alternates, "một cách hỏi mới để thử")
        ),
        "phrasing with new words": dataclasses.replace(
            entry, alternates=(*entry.alternates, NEW_WORDING)
        ),
        "phrasings removed": dataclasses.replace(entry, alternates=entry.alternates[2:]),
        "answer rewritten": dataclasses.replace(
            entry, answer="Mang theo căn cước công dân và sổ hộ khẩu đến bộ phận một cửa."
        ),
    }[change]
    _assert_same(
        replace_entry(base, edited),
        _rebuilt(runtime, _replaced(published, edited)),
        [*edited.phrasings, *entry.phrasings],
    )


def test_a_new_entry(runtime: Runtime, published: list[FaqEntry], base: Base) -> None:
    new = dataclasses.replace(
        published[10],
        id="help.bird_nest_permit",
        question=NEW_WORDING,
        alternates=("nuôi yến trong nhà có cần xin phép không", "xin phép nuôi chim yến ở đâu"),
        answer="Liên hệ phòng nông nghiệp cấp xã nơi đặt nhà nuôi yến.",
    )
    _assert_same(
        replace_entry(base, new),
        _rebuilt(runtime, [*published, new]),
        [*new.phrasings, *published[10].phrasings],
    )


def test_a_removed_entry(runtime: Runtime, published: list[FaqEntry], base: Base) -> None:
    removed = next(e for e in published if replace_entry(base, None, remove=e.id) is not None)
    _assert_same(
        replace_entry(base, None, remove=removed.id),
        _rebuilt(runtime, [e for e in published if e.id != removed.id]),
        removed.phrasings,
    )


def test_the_only_entry_a_situation_names_comes_and_goes(
    runtime: Runtime, published: list[FaqEntry], base: Base
) -> None:
    concepts = runtime.normalizer.lexicon.concepts.concepts
    ids = {e.id for e in published}
    alone = next(
        e
        for e in published
        if any(c.entries == (e.id,) for c in concepts)
        and replace_entry(base, None, remove=e.id) is not None
    )
    situation = next(c for c in concepts if c.entries == (alone.id,))
    phrases = [" ".join(t for t in phrase if t != "…") for phrase in situation.phrases]
    # Removed: its situation's phrases mark nothing any more.
    without = [e for e in published if e.id != alone.id]
    _assert_same(replace_entry(base, None, remove=alone.id), _rebuilt(runtime, without), phrases)
    # Added back (after the others) to a knowledge base without it: the phrases mark it again.
    smaller = Base(_rebuilt(runtime, without), without, runtime.normalizer)
    assert alone.id in ids
    _assert_same(replace_entry(smaller, alone), _rebuilt(runtime, [*without, alone]), phrases)


def test_a_word_some_glued_phrasing_could_hold_means_a_rebuild(base: Base) -> None:
    holder, glued = next(
        (e, g) for e in base.entries for g in sorted(base.glued(e.phrasings)) if g.isalpha()
    )
    # A word equal to a piece of another entry's glued word may change how it is cut ...
    assert base.reads_differently({glued[:3]}, None)
    # ... not when that entry is the one being replaced; a filler may change every phrasing.
    assert not base.reads_differently({glued[:3]}, holder) or any(
        glued[:3] in g for e in base.entries if e is not holder for g in base.glued(e.phrasings)
    )
    assert base.reads_differently({next(iter(base.filler_keys))}, None)
    assert not base.reads_differently({"xyzzyq"}, None)


def test_the_patch_knows_every_table_of_the_index(runtime: Runtime) -> None:
    """A table added to MatchIndex must be patched too (bot/core/match_patch.py)."""
    index = runtime.live.current.matcher.index
    assert set(vars(index)) == {
        "scoring", "concepts", "n_entries", "light", "light_accented", "sorted_keys", "token_sets",
        "pair_sets", "accents", "phrasing_tokens", "entry_phrasings", "pair_df", "postings",
        "entry_tokens", "idf", "max_idf", "mass", "answer_tokens", "accent_idf", "text_df",
        "vocab", "_corrections", "_neighbours", "reranker", "rare_df", "context_matters",
        "_scored",
    }  # fmt: skip
    assert isinstance(index, MatchIndex)
