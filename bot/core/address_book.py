"""Vietnam's administrative units before and after 1 July 2025, and a name index over them.

The data is a compact file under knowledge/addresses/ built by tools/build_address_data.py from
an open dataset (see knowledge/addresses/README.md). Names are indexed by a folded key without
spaces, so "Phú Túc", "phu tuc" and "PhuTuc" meet on one key.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from bot.core.normalize import canonical_token, clean
from bot.core.tones import fold

FORMAT = 1
_WORD_RE = re.compile(r"[^\W_]+")
_LEADING_ZEROS_RE = re.compile(r"(?<![0-9])0+(?=[0-9])")
# "k" spells the /k/ sound of minority-language names (Đắk Lắk, Kạn); citizens often write "c".
_K_RE = re.compile(r"k(?![hie])")


class Level(StrEnum):
    """What a name names: an old (before 2025) unit or a current one."""

    WARD = "ward"  # old commune, ward or town
    DISTRICT = "district"  # old district (abolished on 1 July 2025)
    PROVINCE = "province"  # old province (63)
    NEW_WARD = "new_ward"  # commune, ward or special zone since 1 July 2025
    NEW_PROVINCE = "new_province"  # province or city since 1 July 2025 (34)

    @property
    def rank(self) -> str:
        """The same level in either system: ward, district or province."""
        return {"new_ward": "ward", "new_province": "province"}.get(self.value, self.value)


def name_key(text: str) -> str:
    """Folded name without spaces or marks: 'Phường 01' → 'phuong1', 'Đắk Lắk' → 'daclac'."""
    folded = fold(clean(text, 200))
    return canonical_key("".join(_WORD_RE.findall(folded)))


def canonical_key(joined: str) -> str:
    """The spelling-tolerant rules applied to a key already folded and joined."""
    joined = _LEADING_ZEROS_RE.sub("", joined).replace("y", "i")
    return _K_RE.sub("c", joined)


@functools.lru_cache(maxsize=20_000)
def accent_key(text: str) -> str:
    """Accented name without spaces, tones re-placed: tells 'Hương Vân' from 'Hương Văn'."""
    return "".join(canonical_token(word) for word in _WORD_RE.findall(clean(text, 200)))


@dataclass(frozen=True, slots=True, eq=False)
class Unit:
    """One administrative unit. ``kind`` is its type word as written ("Xã", "Thành phố")."""

    code: str
    kind: str
    name: str
    level: ClassVar[Level]

    @property
    def parent(self) -> AnyUnit | None:
        """The unit this one lies in (in the same system: old or current)."""
        return None

    @property
    def full(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def title(self) -> str:
        """Form used inside a sentence: 'xã Phú Túc', 'thành phố Hồ Chí Minh'."""
        return f"{self.kind.lower()} {self.name}"


@dataclass(frozen=True, slots=True, eq=False)
class Province(Unit):
    level: ClassVar[Level] = Level.NEW_PROVINCE


@dataclass(frozen=True, slots=True, eq=False)
class Ward(Unit):
    province: Province
    level: ClassVar[Level] = Level.NEW_WARD

    @property
    def parent(self) -> AnyUnit | None:
        return self.province


@dataclass(frozen=True, slots=True, eq=False)
class OldProvince(Unit):
    new: Province
    level: ClassVar[Level] = Level.PROVINCE


@dataclass(frozen=True, slots=True, eq=False)
class OldDistrict(Unit):
    province: OldProvince
    # Island districts had no communes: each became one special zone.
    special_zone: tuple[Ward, ...] = ()
    level: ClassVar[Level] = Level.DISTRICT

    @property
    def parent(self) -> AnyUnit | None:
        return self.province


@dataclass(frozen=True, slots=True, eq=False)
class OldWard(Unit):
    district: OldDistrict
    new: tuple[Ward, ...]  # more than one when the commune was split
    level: ClassVar[Level] = Level.WARD

    @property
    def province(self) -> OldProvince:
        return self.district.province

    @property
    def parent(self) -> AnyUnit | None:
        return self.district


AnyUnit = Province | Ward | OldProvince | OldDistrict | OldWard


@dataclass(frozen=True, slots=True)
class Entry:
    """One way of naming one unit, as found in the index."""

    level: Level
    unit: AnyUnit
    alias: bool  # an upstream alias (a former name), not the official name
    numeric: bool  # a bare number ("Phường 1" → "1"): meaningful only after a type word

    @property
    def accent(self) -> str:
        """accent_key of the official name; "" for aliases (they are stored folded)."""
        return "" if self.alias else accent_key(self.unit.name)


@dataclass(slots=True)
class AddressBook:
    """Every unit, by code and by name key; built once, then read-only."""

    provinces: tuple[Province, ...]
    wards: tuple[Ward, ...]
    old_provinces: tuple[OldProvince, ...]
    old_districts: tuple[OldDistrict, ...]
    old_wards: tuple[OldWard, ...]
    source: dict[str, str] = field(default_factory=dict)
    index: dict[str, list[Entry]] = field(default_factory=dict)
    # Name keys per level, in insertion order (a dict used as an ordered set), for fuzzy search.
    level_keys: dict[Level, dict[str, None]] = field(default_factory=dict)
    syllables: set[str] = field(default_factory=set)  # folded words of every name
    _codes: dict[tuple[Level, str], AnyUnit] = field(default_factory=dict)
    _children: dict[AnyUnit, list[AnyUnit]] = field(default_factory=dict)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: Path) -> AddressBook:
        """Read the gzip'd JSON written by tools/build_address_data.py."""
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            return cls.from_data(json.load(stream))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AddressBook:
        if data.get("format") != FORMAT:
            raise ValueError(f"address data format {data.get('format')!r}, expected {FORMAT}")
        types: list[str] = data["types"]
        aliases: dict[AnyUnit, list[str]] = {}
        provinces = []
        for code, kind, name, names in data["provinces"]:
            provinces.append(Province(code, types[kind], name))
            aliases[provinces[-1]] = names
        wards = tuple(
            Ward(code, types[kind], name, provinces[p]) for code, kind, name, p in data["wards"]
        )
        old_provinces = []
        for code, kind, name, new, names in data["old_provinces"]:
            old_provinces.append(OldProvince(code, types[kind], name, provinces[new]))
            aliases[old_provinces[-1]] = names
        old_districts = []
        for code, kind, name, province, names, zone in data["old_districts"]:
            district = OldDistrict(
                code, types[kind], name, old_provinces[province], tuple(wards[w] for w in zone)
            )
            old_districts.append(district)
            aliases[district] = names
        old_wards = []
        for code, kind, name, district, new, names in data["old_wards"]:
            ward = OldWard(
                code, types[kind], name, old_districts[district], tuple(wards[w] for w in new)
            )
            old_wards.append(ward)
            aliases[ward] = names
        book = cls(
            tuple(provinces),
            wards,
            tuple(old_provinces),
            tuple(old_districts),
            tuple(old_wards),
            source={k: str(v) for k, v in data.get("source", {}).items()},
        )
        book._build_index(aliases)
        return book

    def _build_index(self, aliases: dict[AnyUnit, list[str]]) -> None:
        levels: list[tuple[Level, Iterable[AnyUnit]]] = [
            (Level.PROVINCE, self.old_provinces),
            (Level.DISTRICT, self.old_districts),
            (Level.WARD, self.old_wards),
            (Level.NEW_PROVINCE, self.provinces),
            (Level.NEW_WARD, self.wards),
        ]
        keys: dict[str, str] = {}  # many units share a name ("Tân Thành" 32 times)
        index = self.index
        for level, units in levels:
            level_keys = self.level_keys.setdefault(level, {})
            for unit in units:
                self._codes[level, unit.code] = unit
                key = keys.get(unit.name)
                if key is None:
                    words = _WORD_RE.findall(fold(unit.name).lower())
                    self.syllables.update(words)
                    key = keys[unit.name] = canonical_key("".join(words))
                own = {key}
                index.setdefault(key, []).append(Entry(level, unit, False, key.isdigit()))
                level_keys[key] = None
                for alias in aliases.get(unit, ()):
                    alias_key = canonical_key(alias)
                    if alias_key and alias_key not in own:
                        own.add(alias_key)
                        entry = Entry(level, unit, True, alias_key.isdigit())
                        index.setdefault(alias_key, []).append(entry)
                        level_keys[alias_key] = None
                parent = unit.parent
                if parent is not None:
                    self._children.setdefault(parent, []).append(unit)

    # ------------------------------------------------------------------ queries

    def lookup(self, key: str) -> list[Entry]:
        return self.index.get(key, [])

    def unit(self, level: Level, code: str) -> AnyUnit | None:
        return self._codes.get((level, code))

    def children(self, unit: AnyUnit) -> list[AnyUnit]:
        """Old districts of an old province, old communes of a district, new wards of a province."""
        return self._children.get(unit, [])

    def province(self, key: str) -> Province | None:
        """A current province by official code ("86") or by name ("Vĩnh Long", "vinh_long")."""
        text = key.strip()
        if text.isdigit():
            return next((p for p in self.provinces if p.code == text.zfill(2)), None)
        wanted = name_key(text.replace("_", " "))
        return next(
            (p for p in self.provinces if wanted in (name_key(p.name), name_key(p.full))), None
        )

    def new_ward(self, province: Province, name: str) -> list[Ward]:
        """Current wards of a province whose name (with or without its type) folds onto ``name``."""
        wanted = name_key(name)
        return [
            w
            for w in self.children(province)
            if isinstance(w, Ward) and wanted in (name_key(w.name), name_key(w.full))
        ]


def province_slug(province: Province) -> str:
    """File-name form of a province: 'Hồ Chí Minh' → 'ho_chi_minh'."""
    return "_".join(_WORD_RE.findall(fold(province.name.lower())))
