"""Redaction costs work in proportion to the text, whatever the text (no timing involved).

The scanner (bot.core.redact_engine) adds up the characters it hands to regular expressions
or reads itself; the tests check that this count grows at most linearly, and that no pattern
could read more than its window.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import redact as redact_module
from bot.core import redact_address
from bot.core.redact import RULES, Meter, redact
from bot.core.redact_engine import LOOKAHEAD, Window

# Pieces that make every rule fire as often as possible: digits and separators (phones, IDs,
# accounts, house numbers), "@" and dots (e-mails), dashes (dossier codes), the labels.
PIECES = [
    "0", "1", "9", "84", "+", "(", ")", " ", "-", ".", "/", "@", "a", "A", "_", "đ",
    "mã hồ sơ ", "số ", "số nhà ", "stk ", "số tài khoản ", "ngõ ", "đường ", "Lê ", "\u200b",
    "x@y.", "H12.34-", "241127-", "0912 345 ", "９", "＠",
]  # fmt: skip
ADVERSARIAL = [
    "a-" * 5000, "1-" * 5000, "a." * 5000, "@" * 5000, "1" * 10000, "1 " * 5000, "a@" * 3000,
    "a.b-" * 2500, "số nhà 1 " * 1000, "mã hồ sơ " + "a-" * 4000,
]  # fmt: skip
# Work per character can never exceed one visit per rule's trigger scan plus its finder's
# windows (the address rule reads a head and up to five name words).
PER_CHAR = 2 + sum(1 for _ in RULES) + sum(
    w.size for w in (*vars(redact_module).values(), *vars(redact_address).values())
    if isinstance(w, Window)
) + 5 * redact_address._WORD.size + 64  # fmt: skip
JUNCTION = 2 * PER_CHAR


def work(text: str) -> int:
    meter = Meter()
    redact(text, meter)
    return meter.work


texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=2500).map("".join).map(lambda t: t[:10_000]),
    st.text(max_size=10_000),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_work_is_linear_in_the_text(text: str) -> None:
    assert work(text) <= PER_CHAR * (len(text) + 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=500, max_size=1500).map("".join))
def test_doubling_the_text_at_most_doubles_the_work(text: str) -> None:
    # Only matches across the junction of the two copies can change the sum, by a few windows;
    # quadratic work would quadruple instead.
    assert work(text + text) <= 2 * work(text) + JUNCTION


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_adversarial_shapes_cost_a_bounded_amount_per_character(text: str) -> None:
    once, twice = work(text), work(text + text)
    assert once <= PER_CHAR * len(text)
    assert twice <= 2 * once + JUNCTION


def _walk(items: Any) -> Any:
    for op, av in items:
        yield op, av
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            yield from _walk(av[2])
        elif op is sre_constants.SUBPATTERN:
            yield from _walk(av[3])
        elif op is sre_constants.BRANCH:
            for branch in av[1]:
                yield from _walk(branch)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            yield from _walk(av[1])


WINDOWS = {
    name: value
    for module in (redact_module, redact_address)
    for name, value in vars(module).items()
    if isinstance(value, Window)
}


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_every_pattern_is_bounded_and_fits_its_window(name: str) -> None:
    window = WINDOWS[name]
    tree = sre_parser.parse(window.pattern.pattern, window.pattern.flags)
    for op, av in _walk(tree):
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            assert av[1] is not sre_constants.MAXREPEAT, f"{name}: unbounded repetition"
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT) and av[0] == 1:
            assert sre_parser.SubPattern(tree.state, av[1]).getwidth()[1] <= LOOKAHEAD
    assert tree.getwidth()[1] + LOOKAHEAD <= window.size, name


def test_triggers_are_single_characters() -> None:
    # One attempt per position, each reading one character (and one behind it).
    for rule in RULES:
        tree = sre_parser.parse(rule.trigger.pattern, rule.trigger.flags)
        assert tree.getwidth() == (1, 1), rule.name
        assert not any(op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)
                       for op, _ in _walk(tree)), rule.name  # fmt: skip


def test_unbounded_patterns_would_be_caught() -> None:
    bad = Window(re.compile(r"[\w.]+@"), 10)
    tree = sre_parser.parse(bad.pattern.pattern)
    assert any(
        op is sre_constants.MAX_REPEAT and av[1] is sre_constants.MAXREPEAT
        for op, av in _walk(tree)
    )
