"""What an address lookup returns: found, ambiguous (choices) or not found, and where each
reading of the text lies since 1 July 2025."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.address_book import (
    AnyUnit,
    OldDistrict,
    OldProvince,
    OldWard,
    Province,
    Ward,
)


class Status(StrEnum):
    FOUND = "found"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Resolution:
    """One reading of the text and where it belongs now.

    ``level`` is the finest level the text named: "ward" (then ``ward`` is set), or "district" /
    "province" (only the new province is known: the commune is still needed). ``current`` is
    true when the text named a unit that exists since 1 July 2025 rather than an old one.
    """

    level: str
    province: Province
    ward: Ward | None = None
    old_ward: OldWard | None = None
    old_district: OldDistrict | None = None
    old_province: OldProvince | None = None
    current: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ward": self.ward.full if self.ward else "",
            "province": self.province.full,
            "old_ward": self.old_ward.full if self.old_ward else "",
            "old_district": self.old_district.full if self.old_district else "",
            "old_province": self.old_province.full if self.old_province else "",
            "ward_code": self.ward.code if self.ward else "",
            "province_code": self.province.code,
            "level": self.level,
            "current": self.current,
        }


@dataclass(frozen=True, slots=True)
class AddressResult:
    status: Status
    results: tuple[Resolution, ...] = ()
    # What the text may mean (one unit when found or split; several when a name is shared).
    subjects: tuple[AnyUnit, ...] = ()
    split: bool = False  # one old commune now lies in several new ones
    total: int = 0  # readings before the list was cut to MAX_RESULTS
    hamlet: str = ""
    unmatched: str = ""  # a typed name found nowhere ("xã phu tucc"), for the reply
    typed_unit: bool = False  # the text has a type word followed by a name ("xã …")
    coverage: float = 0.0  # share of the words that are address words

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "results": [r.to_json() for r in self.results],
            "total": self.total,
            "hamlet": self.hamlet,
        }


def resolutions_of(unit: AnyUnit) -> list[Resolution]:
    """Where one unit (old or current) is now: one entry per new commune it lies in."""
    if isinstance(unit, OldWard):
        return [
            Resolution("ward", w.province, w, unit, unit.district, unit.province) for w in unit.new
        ]
    if isinstance(unit, OldDistrict):
        if unit.special_zone:
            return [
                Resolution("ward", w.province, w, None, unit, unit.province)
                for w in unit.special_zone
            ]
        return [Resolution("district", unit.province.new, None, None, unit, unit.province)]
    if isinstance(unit, OldProvince):
        return [Resolution("province", unit.new, old_province=unit)]
    if isinstance(unit, Ward):
        return [Resolution("ward", unit.province, unit, current=True)]
    return [Resolution("province", unit, current=True)]
