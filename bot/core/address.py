"""Old address → the commune/ward and province it belongs to since 1 July 2025.

Every name in the text is looked up at every level (old commune, district, province; current
ward, province), then the readings whose parts fit together (this commune lies in that district
of that province) are scored. A type word before a name ("xã", "h.", "tp") confirms its level.
The best reading wins only when it is alone: equal readings become choices, never a guess, and
a commune split between several new ones is answered with all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.address_book import (
    AddressBook,
    AnyUnit,
    Entry,
    Level,
    OldDistrict,
    OldWard,
    Ward,
    canonical_key,
    name_key,
)
from bot.core.address_result import AddressResult, Status, resolutions_of
from bot.core.address_text import AddressText, Mark, parse_text

MAX_NAME_TOKENS = 6
MAX_RESULTS = 50
_MAX_FUZZY_SEGMENTS = 8
_MAX_WIDE_SEARCHES = 12  # country-wide fuzzy searches per text: bounded time for any input
_TIE = 0.01
# Equal evidence: a name shared by a province and a commune ("Vĩnh Long") means the province.
_BASE = {Level.WARD: 2.0, Level.DISTRICT: 2.1, Level.PROVINCE: 2.2}
_CONFIRMED = 1.5  # a type word of the right level before the name
_CONTRADICTED = -1.0  # a type word of another level
_FUZZY = -0.8
_LEFTOVER = -1.0  # a typed name followed by words no name explains ("khanh binh don")
_ALIAS = -0.2
_ACCENT = 0.3
_LENGTH = 0.05
# A reading in current units must beat the old-address readings outright: the citizen most
# likely typed an old address, and "Bến Tre" is both an old province and a current ward.
_CURRENT = -1.0
_ADMIN_MARKS = {Mark.WARD, Mark.DISTRICT, Mark.CITY, Mark.PROVINCE}
_MARK_LEVELS = {
    Mark.WARD: (Level.WARD, Level.NEW_WARD),
    Mark.DISTRICT: (Level.DISTRICT,),
    Mark.CITY: (Level.DISTRICT, Level.PROVINCE, Level.NEW_PROVINCE),
    Mark.PROVINCE: (Level.PROVINCE, Level.NEW_PROVINCE),
}
_ALL_LEVELS = tuple(Level)
_CITY_KINDS = ("Thành phố", "Thị xã")


@dataclass(frozen=True, slots=True)
class _Hit:
    entry: Entry
    start: int
    end: int
    score: float
    weak: bool  # one untyped word: believed only with a parent unit beside it
    typed: bool = False  # a type word of its level stands before it
    kind: bool = False  # … and names its exact type ("thị trấn" before a Thị trấn)

    def overlaps(self, other: _Hit | None) -> bool:
        return other is not None and self.start < other.end and other.start < self.end


@dataclass(slots=True)
class _Reading:
    subject: AnyUnit
    level: Level
    score: float
    hits: list[_Hit] = field(default_factory=list)

    @property
    def kinds(self) -> int:
        return sum(h.kind for h in self.hits)


class AddressFinder:
    """Stateless lookups over one AddressBook; safe to share between tasks."""

    def __init__(self, book: AddressBook) -> None:
        self.book = book
        self._keys: dict[Level, list[str]] = {
            level: list(keys) for level, keys in book.level_keys.items()
        }
        self._name_keys: dict[str, str] = {}
        self._syllables = frozenset(book.syllables)

    # ------------------------------------------------------------------ public

    def find(self, text: str) -> AddressResult:
        parsed = parse_text(text, self._syllables)
        hits = self._exact_hits(parsed)
        self._fuzzy_hits(parsed, hits)
        readings = self._readings(_penalise_leftovers(parsed, hits))
        return self._result(readings, parsed)

    def resolve(self, level: Level, code: str) -> AddressResult:
        """The answer for one unit picked from a list of choices (``level`` + official code)."""
        unit = self.book.unit(level, code)
        if unit is None:
            return AddressResult(Status.NOT_FOUND)
        return self._result([_Reading(unit, level, 0.0)], None)

    # ------------------------------------------------------------------ hits

    def _exact_hits(self, parsed: AddressText) -> list[_Hit]:
        hits: list[_Hit] = []
        tokens = parsed.tokens
        for start in range(len(tokens)):
            if parsed.excluded(start):
                continue
            joined = ""
            for end in range(start + 1, min(start + MAX_NAME_TOKENS, len(tokens)) + 1):
                if end - 1 > start and tokens[end - 1].strong:
                    break
                joined += tokens[end - 1].key
                for entry in self.book.lookup(canonical_key(joined)):
                    hit = self._hit(parsed, entry, start, end, fuzzy=False)
                    if hit is not None:
                        hits.append(hit)
        return hits

    def _hit(
        self, parsed: AddressText, entry: Entry, start: int, end: int, *, fuzzy: bool
    ) -> _Hit | None:
        rank = entry.level.rank
        before = parsed.type_before(start)
        unit = entry.unit
        bonus = _mark_bonus(before.mark if before else None, rank, unit.kind)
        if entry.numeric and bonus < 0:
            return None  # "quận 5" is not "Phường 5"
        score = _BASE[Level(rank)] + bonus + (_FUZZY if fuzzy else 0.0)
        score += _ALIAS if entry.alias else 0.0
        kind = before is not None and before.kind == unit.kind
        # The longer name wins where one contains another ("Dịch Vọng Hậu", "Dịch Vọng").
        score += _LENGTH * (end - start)
        if not fuzzy and not entry.alias and parsed.marked:
            typed = "".join(t.accented for t in parsed.tokens[start:end])
            score += _ACCENT if typed == entry.accent else -_ACCENT
        # One untyped word ("Tân", "12") is believed only beside its district or province.
        weak = bonus <= 0 and (end - start == 1 or entry.numeric) and rank != "province"
        return _Hit(entry, start, end, score, weak, bonus > 0, kind)

    def _fuzzy_hits(self, parsed: AddressText, hits: list[_Hit]) -> None:
        """Add hits for misspelt names: first among the units inside those already recognised
        (a district's communes), then, for a part with a type word, anywhere in the country."""
        parents = [h.entry.unit for h in hits if h.entry.level is not Level.WARD]
        local = self._inside(parents)
        wide_left = _MAX_WIDE_SEARCHES
        segments = [
            s for s in parsed.segments if s.mark in _ADMIN_MARKS or (s.mark is None and parents)
        ]
        for segment in segments[:_MAX_FUZZY_SEGMENTS]:
            if parsed.excluded(segment.start):
                continue
            levels = _MARK_LEVELS.get(segment.mark, _ALL_LEVELS)  # type: ignore[arg-type]
            stop = _name_end(parsed, segment.start, min(segment.end, segment.start + 5))
            # A name already found at the start needs no search far away (it may still be a
            # shorter name inside a misspelt one: the units nearby are searched all the same).
            known = any(
                h.start == segment.start and h.entry.level in levels and not h.weak for h in hits
            )
            for end in range(stop, segment.start, -1):
                key = canonical_key("".join(t.key for t in parsed.tokens[segment.start : end]))
                if len(key) < 4 or key.isdigit():
                    continue
                entries = _near(key, local, levels)
                if not entries and not known and segment.mark is not None and wide_left > 0:
                    wide_left -= 1
                    entries = self._near_anywhere(key, levels)
                new = [self._hit(parsed, e, segment.start, end, fuzzy=True) for e in entries]
                hits.extend(h for h in new if h is not None)
                if entries:
                    break

    def _inside(self, parents: list[AnyUnit]) -> dict[str, list[Entry]]:
        """Name keys of every unit inside ``parents`` (their districts, communes…)."""
        candidates: dict[str, list[Entry]] = {}
        for unit in _descendants(self.book, parents):
            key = self._name_keys.get(unit.name)
            if key is None:
                key = self._name_keys[unit.name] = name_key(unit.name)
            candidates.setdefault(key, []).append(Entry(unit.level, unit, False, False))
        return candidates

    def _near_anywhere(self, key: str, levels: Sequence[Level]) -> list[Entry]:
        found: list[Entry] = []
        cutoff = 1 if len(key) < 12 else 2  # strict: the whole country has many near names
        for level in levels:
            matches = process.extract(
                key, self._keys.get(level, []), scorer=OSA.distance, score_cutoff=cutoff, limit=20
            )
            for match, _, _ in matches:
                found += [e for e in self.book.lookup(match) if e.level is level]
        return found

    # ------------------------------------------------------------------ readings

    def _readings(self, hits: list[_Hit]) -> list[_Reading]:
        by_unit: dict[tuple[Level, int], list[_Hit]] = {}
        for hit in sorted(hits, key=lambda h: -h.score):
            by_unit.setdefault((hit.entry.level, id(hit.entry.unit)), []).append(hit)

        def best(level: Level, unit: AnyUnit, *used: _Hit | None) -> _Hit | None:
            for hit in by_unit.get((level, id(unit)), ()):
                if not any(hit.overlaps(u) for u in used):
                    return hit
            return None

        readings: dict[tuple[Level, int], _Reading] = {}
        for (level, _), unit_hits in by_unit.items():
            for hit in unit_hits:
                unit = hit.entry.unit
                parts: list[_Hit | None] = [hit]
                if isinstance(unit, OldWard):
                    parts.append(best(Level.DISTRICT, unit.district, hit))
                    parts.append(best(Level.PROVINCE, unit.province, *parts))
                elif isinstance(unit, OldDistrict):
                    parts.append(best(Level.PROVINCE, unit.province, hit))
                elif isinstance(unit, Ward):
                    parts.append(best(Level.NEW_PROVINCE, unit.province, hit))
                found = [p for p in parts if p is not None]
                if hit.weak and len(found) == 1:
                    continue
                score = sum(p.score for p in found)
                if level in (Level.NEW_WARD, Level.NEW_PROVINCE):
                    score += _CURRENT
                key = (level, id(unit))
                if key not in readings or readings[key].score < score:
                    readings[key] = _Reading(unit, level, score, found)
        return list(readings.values())

    def _result(self, readings: list[_Reading], parsed: AddressText | None) -> AddressResult:
        winners: list[_Reading] = []
        if readings:
            top = max(r.score for r in readings)
            winners = [r for r in readings if r.score >= top - _TIE]
            old = [r for r in winners if r.level not in (Level.NEW_WARD, Level.NEW_PROVINCE)]
            winners = sorted(_by_kind(old or winners), key=_order)
        resolutions = [res for r in winners for res in resolutions_of(r.subject)]
        subjects = tuple(r.subject for r in winners)
        split = len(subjects) == 1 and len(resolutions) > 1
        # Two readings that lead to the same place ("Hương Vân" or "Hương Văn", typed without
        # accents, both now in Phường Hương Trà) still give one certain answer.
        places = {(r.level, id(r.ward), id(r.province)) for r in resolutions}
        status = (
            Status.NOT_FOUND
            if not resolutions
            else Status.FOUND
            if len(places) == 1
            else Status.AMBIGUOUS
        )
        extra = _text_facts(parsed, winners) if parsed is not None else {}
        return AddressResult(
            status,
            tuple(resolutions[:MAX_RESULTS]),
            subjects[:MAX_RESULTS],
            split,
            len(resolutions) if split else len(subjects),
            **extra,
        )


def _penalise_leftovers(parsed: AddressText, hits: list[_Hit]) -> list[_Hit]:
    """A typed name that leaves unexplained words in its part loses to one that does not."""
    starts = {h.start for h in hits if not h.weak}
    adjusted: list[_Hit] = []
    for hit in hits:
        segment = next((s for s in parsed.segments if s.start <= hit.start < s.end), None)
        if (
            hit.typed
            and segment is not None
            and hit.end < segment.end
            and not parsed.filler(hit.end)
            and hit.end not in starts
        ):
            hit = replace(hit, score=hit.score + _LEFTOVER)
        adjusted.append(hit)
    return adjusted


def _text_facts(parsed: AddressText, winners: list[_Reading]) -> dict[str, Any]:
    """What the reply needs to know about the text beyond the readings.

    ``coverage`` counts the words that belong to the address: type words, recognised names,
    hamlets and streets, and up to four words typed after a type word even when no unit has
    that name ("xã Abcxyz"), so that an address nobody knows is still seen as an address.
    """
    used = {i for r in winners for h in r.hits for i in range(h.start, h.end)}
    covered = used | {i for t in parsed.type_words for i in range(t.start, t.end)}
    named: list[tuple[int, int, int]] = []  # type word start, name start, name end
    for segment in parsed.segments:
        if segment.mark in (Mark.HAMLET, Mark.STREET):
            covered |= set(range(segment.start, segment.end))
        elif segment.mark in _ADMIN_MARKS and not parsed.question(segment.start):
            word = next(t.start for t in parsed.type_words if t.end == segment.start)
            end = _name_end(parsed, segment.start, min(segment.end, segment.start + 4))
            named.append((word, segment.start, end))
    unmatched = ""
    for word, start, end in named:
        if not used & set(range(start, end)):
            covered |= set(range(start, end))
            unmatched = unmatched or parsed.words(word, end)
    return {
        "hamlet": parsed.hamlet(),
        "unmatched": unmatched,
        "typed_unit": bool(named),
        "coverage": len(covered) / len(parsed.tokens) if parsed.tokens else 0.0,
    }


def _name_end(parsed: AddressText, start: int, limit: int) -> int:
    """Where a name typed from ``start`` ends: before the first question or filler word."""
    end = start + 1
    while end < limit and not parsed.filler(end):
        end += 1
    return end


def _by_kind(readings: list[_Reading]) -> list[_Reading]:
    """Between two equal readings in one district, the exact type word decides ("thị trấn
    Yên Viên", not "xã Yên Viên"); across districts it does not: citizens mix them up."""
    best: dict[int, int] = {}
    for reading in readings:
        parent = id(reading.subject.parent)
        best[parent] = max(best.get(parent, 0), reading.kinds)
    return [r for r in readings if r.kinds == best[id(r.subject.parent)]]


def _mark_bonus(mark: Mark | None, rank: str, kind: str) -> float:
    if mark is None or mark not in _ADMIN_MARKS:
        return 0.0
    if mark is Mark.CITY:
        if rank == "province":
            return _CONFIRMED if kind == "Thành phố" else 0.5
        if rank == "district":
            return _CONFIRMED if kind in _CITY_KINDS else 0.5
        return _CONTRADICTED
    return _CONFIRMED if mark.value == rank else _CONTRADICTED


def _max_edits(key: str) -> int:
    return 1 if len(key) <= 8 else 2


def _near(key: str, candidates: dict[str, list[Entry]], levels: Sequence[Level]) -> list[Entry]:
    if not candidates:
        return []
    matches = process.extract(
        key, list(candidates), scorer=OSA.distance, score_cutoff=_max_edits(key), limit=None
    )
    return [e for match, _, _ in matches for e in candidates[match] if e.level in levels]


def _descendants(book: AddressBook, parents: Iterable[AnyUnit]) -> list[AnyUnit]:
    """Units below the given ones (districts and communes of a province…), each once."""
    seen: dict[int, AnyUnit] = {}
    queue = list(parents)
    while queue:
        unit = queue.pop()
        for child in book.children(unit):
            if id(child) not in seen:
                seen[id(child)] = child
                queue.append(child)
    return list(seen.values())


def _order(reading: _Reading) -> tuple[str, ...]:
    """Stable order for choices: by province, district, then name."""
    unit = reading.subject
    if isinstance(unit, OldWard):
        return (unit.province.code, unit.district.code, unit.code)
    if isinstance(unit, OldDistrict):
        return (unit.province.code, unit.code, "")
    if isinstance(unit, Ward):
        return (unit.province.code, unit.code, "")
    return (unit.code, "", "")
