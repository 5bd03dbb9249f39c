"""Province profiles: the details filled into answers, and the communes' public-service centres.

A profile names its province by official code; whatever staff have not verified yet stays empty
and answers fall back to the national values of the neutral default profile. Commune names are
checked against the address data, so a centre can never be listed under a commune that does
not exist: errors name the file and line like every other knowledge error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.core.address_book import AddressBook, Province, Ward, accent_key, province_slug
from bot.core.knowledge import (
    LINE_KEY,
    PLACEHOLDER_RE,
    KnowledgeError,
    KnowledgeIssue,
    link_problem,
    load_yaml_with_lines,
    nfc,
)

DEFAULT_ID = "default"
_URL_PLACEHOLDER = "{portal_url}"
# Fields a profile may leave empty: they then come from the default profile (national sources).
FALLBACK_FIELDS = ("portal_url", "hotline", "one_stop_address", "working_hours")
_CENTRE_FIELDS = ("centre", "address", "hours", "phone")


@dataclass(frozen=True, slots=True)
class CommuneCentre:
    """Where a commune's residents submit papers in person; empty fields are not yet verified."""

    ward_code: str
    ward_name: str  # official name, e.g. "Phường Hoa Lư"
    centre: str = ""  # the centre's own name as staff wrote it
    address: str = ""
    hours: str = ""
    phone: str = ""

    @property
    def known(self) -> bool:
        return any((self.centre, self.address, self.hours, self.phone))


@dataclass(frozen=True, slots=True)
class ProvinceProfile:
    """Province details filled into answers through placeholders."""

    id: str
    name: str
    short_name: str
    portal_url: str
    hotline: str
    one_stop_address: str
    working_hours: str
    email: str | None = None
    notes: str = ""
    code: str = ""  # official province code since 1 July 2025 ("" for the neutral default)
    communes: tuple[CommuneCentre, ...] = ()

    def placeholders(self) -> dict[str, str]:
        return {
            "province_name": self.name,
            "portal_url": self.portal_url,
            "hotline": self.hotline,
            "one_stop_address": self.one_stop_address,
            "working_hours": self.working_hours,
        }

    def centre(self, ward_code: str) -> CommuneCentre | None:
        """The verified centre of one current commune, if this profile lists it."""
        return next((c for c in self.communes if c.ward_code == ward_code and c.known), None)


def fill_placeholders(text: str, profile: ProvinceProfile) -> str:
    """Replace known {placeholders}; leave anything else untouched."""
    values = profile.placeholders()
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# ---------------------------------------------------------------- loading


def load_province(
    path: Path, *, fallback: ProvinceProfile | None = None, book: AddressBook | None = None
) -> ProvinceProfile:
    """Read one profile. Without ``fallback`` (the default profile itself) every field is
    required; with it, empty fields take the fallback's national values. ``book`` checks
    the province code and the commune names."""
    data = load_yaml_with_lines(path)
    source = str(path)
    if not isinstance(data, dict):
        raise KnowledgeError([KnowledgeIssue(source, None, None, None, "expected a mapping")])
    issues: list[KnowledgeIssue] = []

    def text(key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, dict | list):
            issues.append(KnowledgeIssue(source, _line(data), None, key, "must be text"))
            return ""
        return nfc(str(value).strip())

    code = text("code")
    province = _province(book, code, source, data, issues)
    name = text("name") or (province.title if province else "")
    required = ("id", "name", *FALLBACK_FIELDS) if fallback is None else ("id",)
    values = {key: text(key) for key in ("id", *FALLBACK_FIELDS)} | {"name": name}
    for key in required:
        if not values[key]:
            issues.append(KnowledgeIssue(source, None, None, key, "missing or empty"))
    if not name and fallback is not None:
        issues.append(
            KnowledgeIssue(source, None, None, "name", "missing or empty (or give a known code)")
        )
    portal = values["portal_url"]
    if portal:
        problem = link_problem(portal)
        if problem or portal.startswith(_URL_PLACEHOLDER):
            message = problem or "cannot be a placeholder"
            issues.append(KnowledgeIssue(source, None, None, "portal_url", message))
    communes = _communes(data.get("communes"), province, book, source, _line(data), issues)
    if issues:
        raise KnowledgeError(issues)
    profile = ProvinceProfile(
        id=values["id"],
        name=name,
        short_name=text("short_name") or (province.name if province else name),
        portal_url=values["portal_url"],
        hotline=values["hotline"],
        one_stop_address=values["one_stop_address"],
        working_hours=values["working_hours"],
        email=text("email") or None,
        notes=text("notes"),
        code=province.code if province else code,
        communes=communes,
    )
    return with_fallback(profile, fallback) if fallback is not None else profile


def with_fallback(profile: ProvinceProfile, fallback: ProvinceProfile) -> ProvinceProfile:
    """Empty fields take the national values of ``fallback``."""
    missing = {key: getattr(fallback, key) for key in FALLBACK_FIELDS if not getattr(profile, key)}
    return replace(profile, **missing) if missing else profile


def bare_profile(province: Province, fallback: ProvinceProfile) -> ProvinceProfile:
    """A profile that knows only the province's official name and code (nothing verified)."""
    return with_fallback(
        ProvinceProfile(
            id=province_slug(province),
            name=province.title,
            short_name=province.name,
            portal_url="",
            hotline="",
            one_stop_address="",
            working_hours="",
            code=province.code,
        ),
        fallback,
    )


def find_profile(
    directory: Path, key: str, book: AddressBook | None, fallback: ProvinceProfile
) -> ProvinceProfile:
    """The profile for PROVINCE=``key``: a file name ("example"), a province slug ("vinh_long"),
    an official code ("86") or a name ("Vĩnh Long"). A province of the address data without
    a file gets a bare profile; anything else is a KnowledgeError."""
    wanted = key.strip()
    path = directory / f"{wanted}.yaml"
    if wanted and "/" not in wanted and path.is_file():
        return load_province(path, fallback=fallback, book=book)
    province = book.province(wanted) if book is not None and wanted else None
    if province is None:
        raise KnowledgeError(
            [
                KnowledgeIssue(
                    str(path),
                    None,
                    None,
                    None,
                    f"unknown province {key!r}: use a file name in {directory}, "
                    "a province code (e.g. 86) or a name (e.g. vinh_long)",
                )
            ]
        )
    path = directory / f"{province_slug(province)}.yaml"
    if path.is_file():
        return load_province(path, fallback=fallback, book=book)
    return bare_profile(province, fallback)


def validate_profiles(directory: Path, book: AddressBook | None) -> list[KnowledgeIssue]:
    """Every profile under ``directory``, loaded as the assistant would: all issues found."""
    issues: list[KnowledgeIssue] = []
    default_path = directory / f"{DEFAULT_ID}.yaml"
    try:
        fallback = load_province(default_path, book=book)
    except KnowledgeError as exc:
        return exc.issues
    for path in sorted(directory.glob("*.yaml")):
        if path == default_path:
            continue
        try:
            load_province(path, fallback=fallback, book=book)
        except KnowledgeError as exc:
            issues.extend(exc.issues)
    return issues


# ---------------------------------------------------------------- parts


def _line(data: Mapping[str, Any]) -> int | None:
    line = data.get(LINE_KEY)
    return line if isinstance(line, int) else None


def _province(
    book: AddressBook | None,
    code: str,
    source: str,
    data: Mapping[str, Any],
    issues: list[KnowledgeIssue],
) -> Province | None:
    if not code or book is None:
        return None
    province = book.province(code) if code.isdigit() else None
    if province is None:
        known = ", ".join(f"{p.code} {p.name}" for p in book.provinces)
        message = f"unknown province code {code!r}; official codes: {known}"
        issues.append(KnowledgeIssue(source, _line(data), None, "code", message))
    return province


def _communes(
    raw: Any,
    province: Province | None,
    book: AddressBook | None,
    source: str,
    line: int | None,
    issues: list[KnowledgeIssue],
) -> tuple[CommuneCentre, ...]:
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, list):
        issues.append(KnowledgeIssue(source, line, None, "communes", "expected a list"))
        return ()
    if book is None or province is None:
        why = "the address data is missing" if book is None else "the profile has no valid code"
        issues.append(
            KnowledgeIssue(source, line, None, "communes", f"cannot check commune names: {why}")
        )
        return ()
    centres: list[CommuneCentre] = []
    seen: dict[str, int | None] = {}
    for item in raw:
        item_line = _line(item) if isinstance(item, dict) else line
        if not isinstance(item, dict):
            issues.append(KnowledgeIssue(source, item_line, None, "communes", "expected a mapping"))
            continue
        name = nfc(str(item.get("name") or "").strip())
        ward, problem = _ward(book, province, name)
        if ward is None:
            issues.append(KnowledgeIssue(source, item_line, name or None, "name", problem))
            continue
        if ward.code in seen:
            message = f"listed twice (first at line {seen[ward.code]})"
            issues.append(KnowledgeIssue(source, item_line, name, "name", message))
            continue
        seen[ward.code] = item_line
        fields = {key: nfc(str(item.get(key) or "").strip()) for key in _CENTRE_FIELDS}
        centres.append(CommuneCentre(ward.code, ward.full, **fields))
    return tuple(centres)


def _ward(book: AddressBook, province: Province, name: str) -> tuple[Ward | None, str]:
    """The current commune of ``province`` named exactly ``name``, or why there is none."""
    if not name:
        return None, "missing or empty"
    near = book.new_ward(province, name)
    exact = [w for w in near if accent_key(name) in (accent_key(w.name), accent_key(w.full))]
    if len(exact) == 1:
        return exact[0], ""
    if len(exact) > 1:
        options = ", ".join(w.full for w in exact)
        return None, f"several communes of {province.title} have this name: write one of {options}"
    if near:
        options = ", ".join(w.full for w in near)
        return None, f"unknown commune {name!r} in {province.title}; did you mean {options}?"
    return None, f"unknown commune {name!r} in {province.title} (names since 1 July 2025)"
