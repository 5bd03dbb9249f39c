"""Old address → current commune and province, on the shipped data (real place names)."""

from __future__ import annotations

import pytest

from bot.core.address import AddressFinder
from bot.core.address_book import AddressBook, Level, OldWard, accent_key, name_key
from bot.core.address_result import AddressResult, Status
from bot.core.address_text import Mark, parse_text
from bot.core.tones import fold
from tests.core.address_fixtures import shipped_book, shipped_finder


@pytest.fixture(scope="module")
def book() -> AddressBook:
    return shipped_book()


@pytest.fixture(scope="module")
def finder() -> AddressFinder:
    return shipped_finder()


def only(found: AddressResult) -> dict[str, object]:
    assert found.status is Status.FOUND, found
    assert len(found.results) == 1, found.results
    return found.results[0].to_json()


# ---------------------------------------------------------------- the data


def test_the_data_holds_both_systems_and_every_old_commune_has_a_new_one(
    book: AddressBook,
) -> None:
    assert len(book.provinces) == 34
    assert len(book.wards) == 3321
    assert len(book.old_provinces) == 63
    assert len(book.old_wards) > 10_000
    assert all(w.new for w in book.old_wards)
    # Island districts without communes became special zones.
    islands = [d for d in book.old_districts if d.special_zone]
    assert {d.name for d in islands} >= {"Côn Đảo", "Bạch Long Vĩ", "Lý Sơn"}
    assert book.source["package"] == "vietnamadminunits"


def test_name_keys_fold_accents_spacing_and_common_spellings() -> None:
    assert name_key("Phú Túc") == name_key("phu tuc") == name_key("PhuTuc")
    assert name_key("Đắk Lắk") == name_key("dac lac") == name_key("Dak Lak")
    assert name_key("Phường 01") == name_key("phuong 1")
    assert accent_key("Hương Vân") != accent_key("Hương Văn")
    assert accent_key("Khánh Hòa") == accent_key("Khánh Hoà")  # old and new tone placement


def test_a_province_is_found_by_code_slug_or_name(book: AddressBook) -> None:
    by_code = book.province("86")
    assert by_code is not None and by_code.name == "Vĩnh Long"
    assert book.province("vinh_long") is by_code
    assert book.province("Vĩnh Long") is by_code
    assert book.province("tỉnh Vĩnh Long") is by_code
    assert book.province("99") is None
    assert book.province("Bến Tre") is None  # an old province, not a current one


# ---------------------------------------------------------------- reading the text


def test_type_words_hamlets_and_streets_are_recognised() -> None:
    parsed = parse_text("ấp 3 x.Phú Túc, h. Châu Thành, TP.HCM")
    assert [t.mark for t in parsed.type_words] == [
        Mark.HAMLET,
        Mark.WARD,
        Mark.DISTRICT,
        Mark.CITY,
    ]
    assert parsed.hamlet() == "ấp 3"
    # A lone "h" is "giờ" in chat, not "huyện"; "Phương" with its accent is a name.
    assert parse_text("bây h là xã nào").type_words[0].mark is Mark.WARD
    assert len(parse_text("bây h là xã nào").type_words) == 1
    assert parse_text("xã Phương Trung").type_words[0].end == 1


# ---------------------------------------------------------------- found


@pytest.mark.parametrize(
    "text",
    [
        "ấp 3 xã Phú Túc huyện Châu Thành tỉnh Bến Tre",
        "ap 3 xa phu tuc huyen chau thanh tinh ben tre",
        "x.Phu Tuc, h.Chau Thanh, Ben Tre",
        "XÃ PHÚ TÚC - HUYỆN CHÂU THÀNH - TỈNH BẾN TRE",
        "Phú Túc, Châu Thành, Bến Tre",
        "xa Phu Tuk huyen Chau Thanh tinh Ben Tre",  # a typo
        "Cho em hỏi xã Phú Túc huyện Châu Thành tỉnh Bến Tre cũ giờ là xã nào ạ",
    ],
)
def test_the_example_address_is_found_however_it_is_typed(finder: AddressFinder, text: str) -> None:
    assert only(finder.find(text)) | {"ward_code": "", "province_code": ""} == {
        "ward": "Xã Phú Túc",
        "province": "Tỉnh Vĩnh Long",
        "old_ward": "Xã Phú Túc",
        "old_district": "Huyện Châu Thành",
        "old_province": "Tỉnh Bến Tre",
        "ward_code": "",
        "province_code": "",
        "level": "ward",
        "current": False,
    }


@pytest.mark.parametrize(
    ("text", "ward", "province"),
    [
        ("P12 Q.Tân Bình TPHCM", "Phường Bảy Hiền", "Thành phố Hồ Chí Minh"),
        ("phuong 01 q3 tphcm", "Phường Bàn Cờ", "Thành phố Hồ Chí Minh"),
        ("12 Nguyễn Trãi, p.2, q5, tp hcm", "Phường Chợ Quán", "Thành phố Hồ Chí Minh"),
        ("phường Bến Nghé quận 1", "Phường Sài Gòn", "Thành phố Hồ Chí Minh"),
        ("Phú Túc, Định Quán, Đồng Nai", "Xã Thống Nhất", "Tỉnh Đồng Nai"),
        ("xa ea tu tp buon ma thuot", "Phường Tân An", "Tỉnh Đắk Lắk"),
        ("huyện Côn Đảo, Bà Rịa - Vũng Tàu", "Đặc khu Côn Đảo", "Thành phố Hồ Chí Minh"),
        ("thị trấn Phố Ràng, Bảo Yên", "Xã Bảo Yên", "Tỉnh Lào Cai"),
    ],
)
def test_real_addresses_resolve_to_their_new_commune(
    finder: AddressFinder, text: str, ward: str, province: str
) -> None:
    result = only(finder.find(text))
    assert (result["ward"], result["province"]) == (ward, province)


def test_every_old_commune_is_found_by_its_full_name_with_and_without_accents(
    book: AddressBook, finder: AddressFinder
) -> None:
    missed = []
    for ward in book.old_wards[::7]:
        written = f"{ward.full}, {ward.district.full}, {ward.province.full}"
        if list(finder.find(written).subjects) != [ward]:
            missed.append(written)
        plain = fold(written).lower()
        found = finder.find(plain)
        # Without accents two names of one district may fold together: then both are offered.
        if ward not in found.subjects or found.status is Status.NOT_FOUND:
            missed.append(plain)
    assert missed == []


def test_accents_and_type_words_tell_apart_names_of_one_district(finder: AddressFinder) -> None:
    accented = finder.find("phường Hương Văn, Hương Trà, Huế")
    assert [u.name for u in accented.subjects] == ["Hương Văn"]
    plain = finder.find("phuong huong van huong tra hue")
    assert {u.name for u in plain.subjects} == {"Hương Vân", "Hương Văn"}
    # Both lead to the same new ward: one certain answer.
    assert plain.status is Status.FOUND
    assert {r.ward.name for r in plain.results if r.ward} == {"Hương Trà"}
    town = finder.find("thị trấn Yên Viên, Gia Lâm, Hà Nội")
    assert [u.full for u in town.subjects] == ["Thị trấn Yên Viên"]


def test_the_longer_name_wins_over_a_name_inside_it(finder: AddressFinder) -> None:
    found = finder.find("Dịch Vọng Hậu, Cầu Giấy, Hà Nội")
    assert [u.name for u in found.subjects] == ["Dịch Vọng Hậu"]


def test_a_current_address_is_recognised_as_current(finder: AddressFinder) -> None:
    result = only(finder.find("xã Phú Túc, tỉnh Vĩnh Long"))
    assert result["current"] is True
    assert (result["ward"], result["old_ward"]) == ("Xã Phú Túc", "")


# ---------------------------------------------------------------- partial answers


def test_only_a_province_gives_the_new_province(finder: AddressFinder) -> None:
    for text in ("Bến Tre", "tỉnh Bến Tre", "tinh ben tre"):
        result = only(finder.find(text))
        assert result["level"] == "province"
        assert (result["ward"], result["province"]) == ("", "Tỉnh Vĩnh Long")
        assert result["old_province"] == "Tỉnh Bến Tre"


def test_a_district_gives_the_new_province_and_tp_means_the_city(finder: AddressFinder) -> None:
    result = only(finder.find("huyện Châu Thành, Bến Tre"))
    assert (result["level"], result["province"]) == ("district", "Tỉnh Vĩnh Long")
    city = only(finder.find("TP Bến Tre"))
    assert city["old_district"] == "Thành phố Bến Tre"


def test_a_commune_missing_from_its_district_is_reported(finder: AddressFinder) -> None:
    found = finder.find("xã Abcxyz huyện Châu Thành tỉnh Bến Tre")
    assert found.unmatched == "xã abcxyz"
    assert only(found)["level"] == "district"


# ---------------------------------------------------------------- ambiguous: choices, not guesses


def test_a_name_in_several_provinces_gives_every_one(finder: AddressFinder) -> None:
    for text in ("xã Phú Túc", "Phu Tuc", "xã Phú Túc cũ giờ là xã nào"):
        found = finder.find(text)
        assert found.status is Status.AMBIGUOUS
        assert not found.split
        provinces = {u.province.name for u in found.subjects if isinstance(u, OldWard)}
        assert provinces == {"Hà Nội", "Gia Lai", "Đồng Nai", "Bến Tre"}
        assert found.total == 4


def test_a_split_commune_lists_every_new_commune(finder: AddressFinder) -> None:
    for text in ("phường An Phú, TP Thủ Đức", "phuong an phu thanh pho thu duc"):
        found = finder.find(text)
        assert found.status is Status.AMBIGUOUS and found.split
        assert {r.ward.name for r in found.results if r.ward} == {"An Khánh", "Bình Trưng"}
        assert {r.old_ward.name for r in found.results if r.old_ward} == {"An Phú"}


def test_a_common_name_reports_how_many_share_it(finder: AddressFinder) -> None:
    found = finder.find("xã Tân Thành")
    assert found.status is Status.AMBIGUOUS
    assert found.total > 20
    assert len(found.results) <= 50


def test_a_district_name_in_several_provinces_is_ambiguous(finder: AddressFinder) -> None:
    found = finder.find("huyện Châu Thành")
    assert found.status is Status.AMBIGUOUS
    assert {r.level for r in found.results} == {"district"}
    assert len({r.old_province.name for r in found.results if r.old_province}) > 5


def test_a_picked_choice_resolves_by_official_code(finder: AddressFinder) -> None:
    result = only(finder.resolve(Level.WARD, "28819"))
    assert result["ward"] == "Xã Phú Túc"
    assert finder.resolve(Level.WARD, "99999").status is Status.NOT_FOUND


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🙂🙂🙂",
        "tôi muốn làm hộ chiếu",
        "xa Phu Tuccc",
        "a" * 2000,
        "xã Phú Túc " * 200,
        "ấp, xã, huyện, tỉnh",
        "\u200b\ufeff",
    ],
)
def test_bad_input_never_raises_and_guesses_nothing(finder: AddressFinder, text: str) -> None:
    found = finder.find(text)
    assert found.status in (Status.NOT_FOUND, Status.AMBIGUOUS)
    assert len(found.results) <= 50


def test_a_typed_name_found_nowhere_is_named_back(finder: AddressFinder) -> None:
    found = finder.find("xa Phu Tuccc")
    assert found.status is Status.NOT_FOUND
    assert found.unmatched == "xa phu tuccc"
    assert found.typed_unit
    # A question word after a type word is not a name.
    assert not finder.find("bây giờ là xã nào").typed_unit
