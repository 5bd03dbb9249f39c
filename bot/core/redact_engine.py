"""The scanner behind redaction: linear time on any input, with a meter of the work done.

``pattern.sub`` restarts a match at every position of the text. With unbounded repetition
(``[\\w.+-]+@``) each attempt may re-read the rest of a long run, so a 4,000-character message
of ``a-a-a-…`` cost about a third of a second on the event loop. Here every rule has a
*trigger*, one character class (with at most a one-character look-behind) tried once per
position, and a *finder* that matches from the trigger inside a window of at most ``window``
characters: the regular expression engine cannot read past the window's end, so one attempt
costs a bounded amount whatever the pattern and whatever follows. A text of n characters thus
costs at most n x (1 + the rules' windows) character visits. ``Meter`` adds them up so that
tests can check how the work grows with the input without timing anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Characters a finder's trailing look-ahead may read beyond its pattern's longest match; each
# window is its pattern's maximal width plus this (tests/core/test_redact_linear.py checks).
LOOKAHEAD = 8


@dataclass(slots=True)
class Meter:
    """Characters the scanner handed to regular expressions or looked at itself."""

    work: int = 0


# (start, end, replacement) of one piece of personal data.
Found = tuple[int, int, str]
Finder = Callable[[str, int, Meter], Found | None]


@dataclass(frozen=True, slots=True)
class Window:
    """A pattern matched from a trigger position, never reading past ``size`` characters."""

    pattern: re.Pattern[str]
    size: int

    def match(self, text: str, at: int, meter: Meter) -> re.Match[str] | None:
        # Counted in full even near the end of the text: what may be read, not what was.
        meter.work += self.size
        return self.pattern.match(text, at, min(len(text), at + self.size))


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    trigger: re.Pattern[str]
    find: Finder


def apply(rule: Rule, text: str, meter: Meter) -> str:
    """Replace every non-overlapping piece ``rule`` finds, scanning left to right once."""
    meter.work += len(text)
    pieces: list[str] = []
    done = 0
    for trigger in rule.trigger.finditer(text):
        at = trigger.start()
        if at < done:
            continue
        found = rule.find(text, at, meter)
        if found is None:
            continue
        start, end, replacement = found
        if start < done:
            continue
        pieces.append(text[done:start])
        pieces.append(replacement)
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)
