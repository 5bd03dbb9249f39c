"""Province profiles: the 34 provinces by slug or code, national fallback, communes' centres."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.knowledge import PLACEHOLDER_RE, KnowledgeBase, KnowledgeError
from bot.core.messages import IncomingMessage, MessageKind, Outcome
from bot.core.provinces import (
    FALLBACK_FIELDS,
    ProvinceProfile,
    find_profile,
    load_province,
    validate_profiles,
)
from bot.runtime import make_runtime
from tests.core.address_fixtures import shipped_book
from tests.core.conftest import KNOWLEDGE

PROVINCES = KNOWLEDGE / "provinces"


@pytest.fixture(scope="module")
def default() -> ProvinceProfile:
    return load_province(PROVINCES / "default.yaml")


def test_every_shipped_profile_loads_and_validates() -> None:
    assert validate_profiles(PROVINCES, shipped_book()) == []


def test_each_of_the_34_provinces_is_accepted_by_slug_code_and_name(
    default: ProvinceProfile,
) -> None:
    book = shipped_book()
    for province in book.provinces:
        by_code = find_profile(PROVINCES, province.code, book, default)
        by_name = find_profile(PROVINCES, province.name, book, default)
        by_slug = find_profile(PROVINCES, by_code.id, book, default)
        assert by_code == by_name == by_slug
        assert (by_code.code, by_code.name) == (province.code, province.title)
    assert find_profile(PROVINCES, "86", book, default).name == "tỉnh Vĩnh Long"
    assert find_profile(PROVINCES, "79", book, default).name == "thành phố Hồ Chí Minh"


def test_unverified_fields_fall_back_to_the_national_default(default: ProvinceProfile) -> None:
    profile = find_profile(PROVINCES, "vinh_long", shipped_book(), default)
    for field in FALLBACK_FIELDS:
        assert getattr(profile, field) == getattr(default, field)
    assert profile.name != default.name


def test_a_province_without_a_file_gets_a_bare_profile(
    tmp_path: Path, default: ProvinceProfile
) -> None:
    shutil.copy(PROVINCES / "default.yaml", tmp_path / "default.yaml")
    profile = find_profile(tmp_path, "86", shipped_book(), default)
    assert (profile.id, profile.code, profile.name) == ("vinh_long", "86", "tỉnh Vĩnh Long")
    assert profile.hotline == default.hotline


def test_an_unknown_province_is_a_located_error(default: ProvinceProfile) -> None:
    with pytest.raises(KnowledgeError) as caught:
        find_profile(PROVINCES, "atlantis", shipped_book(), default)
    assert "atlantis" in str(caught.value) and "vinh_long" in str(caught.value)


def test_the_default_profile_must_be_complete(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text('id: default\nname: "nơi bạn ở"\nhotline: ""\n', encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_province(path)
    fields = {issue.field for issue in caught.value.issues}
    assert fields == {"portal_url", "hotline", "one_stop_address", "working_hours"}


# ---------------------------------------------------------------- communes


PROFILE = """\
id: vinh_long
code: "{code}"
communes:
  - name: "Xã Phú Túc"
    centre: "Trung tâm Phục vụ hành chính công xã Phú Túc"
    phone: "0270 000 000"
{extra}"""


def write(tmp_path: Path, extra: str = "", code: str = "86") -> Path:
    path = tmp_path / "vinh_long.yaml"
    path.write_text(PROFILE.format(code=code, extra=extra), encoding="utf-8")
    return path


def issues_of(path: Path, default: ProvinceProfile) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_province(path, fallback=default, book=shipped_book())
    return [str(issue) for issue in caught.value.issues]


def test_communes_are_read_with_their_official_name_and_code(
    tmp_path: Path, default: ProvinceProfile
) -> None:
    profile = load_province(write(tmp_path), fallback=default, book=shipped_book())
    (centre,) = profile.communes
    assert (centre.ward_name, centre.phone, centre.address) == ("Xã Phú Túc", "0270 000 000", "")
    assert profile.centre(centre.ward_code) is centre
    assert profile.name == "tỉnh Vĩnh Long"  # from the code


def test_an_unknown_commune_is_an_error_with_file_and_line(
    tmp_path: Path, default: ProvinceProfile
) -> None:
    path = write(tmp_path, '  - name: "Xã Không Có"\n')
    (issue,) = issues_of(path, default)
    assert issue.startswith(f"{path}:7, entry Xã Không Có, field name: unknown commune")


def test_a_commune_of_another_province_is_unknown_here(
    tmp_path: Path, default: ProvinceProfile
) -> None:
    (issue,) = issues_of(write(tmp_path, '  - name: "Xã Thống Nhất"\n'), default)
    assert "unknown commune" in issue and "tỉnh Vĩnh Long" in issue


def test_a_name_without_accents_is_refused_with_the_official_spelling(
    tmp_path: Path, default: ProvinceProfile
) -> None:
    (issue,) = issues_of(write(tmp_path, '  - name: "Xa Phu Tuc"\n'), default)
    assert "did you mean Xã Phú Túc" in issue


def test_a_commune_listed_twice_is_an_error(tmp_path: Path, default: ProvinceProfile) -> None:
    (issue,) = issues_of(write(tmp_path, '  - name: "Phú Túc"\n'), default)
    assert "listed twice (first at line 4)" in issue


def test_communes_need_a_known_province_code(tmp_path: Path, default: ProvinceProfile) -> None:
    issues = issues_of(write(tmp_path, code="99"), default)
    assert any("unknown province code '99'" in i for i in issues)
    assert any("cannot check commune names" in i for i in issues)


def test_communes_cannot_be_checked_without_the_address_data(
    tmp_path: Path, default: ProvinceProfile
) -> None:
    with pytest.raises(KnowledgeError, match="address data is missing"):
        load_province(write(tmp_path), fallback=default, book=None)


def test_kb_validate_reports_a_bad_profile(tmp_path: Path) -> None:
    shutil.copy(PROVINCES / "default.yaml", tmp_path / "default.yaml")
    write(tmp_path, '  - name: "Xã Không Có"\n')
    (issue,) = validate_profiles(tmp_path, shipped_book())
    assert issue.line == 7 and issue.field == "name"


# ---------------------------------------------------------------- answers under a bare province


@pytest.mark.parametrize("province", ["86", "hue", "ho_chi_minh"])
def test_answers_under_a_bare_province_read_as_vietnamese(kb: KnowledgeBase, province: str) -> None:
    settings = Settings(knowledge_dir=KNOWLEDGE, province=province, _env_file=None)  # type: ignore[call-arg]
    runtime = make_runtime(settings, kb)
    name = runtime.profile.name
    contacts = runtime.responder.respond(IncomingMessage("t", "u", "c", text="/lienhe"))
    assert f"Liên hệ hỗ trợ dịch vụ công — {name}" in contacts.text
    assert "☎️ Tổng đài: 18001096" in contacts.text
    for faq_id in ("help.working_hours", "help.hotline", "help.in_person", "track.status"):
        reply = runtime.responder.respond(
            IncomingMessage("t", "u", "c", kind=MessageKind.ACTION, action=f"faq:{faq_id}")
        )
        assert reply.outcome is Outcome.ANSWERED, faq_id
        assert PLACEHOLDER_RE.search(reply.text) is None, faq_id
        assert ": ." not in reply.text and "()" not in reply.text and "  " not in reply.text
    hours = runtime.responder.respond(
        IncomingMessage("t", "u", "c", kind=MessageKind.ACTION, action="faq:help.working_hours")
    )
    assert f"Cổng Dịch vụ công của {name}" in hours.text
