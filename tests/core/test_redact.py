"""Personal data never reaches storage: phones, ID, account and card numbers, e-mails, dossier
codes and house addresses."""

from __future__ import annotations

import pytest

from bot.core import redact as redaction
from bot.core.redact import contains_personal_data, redact

CASES = [
    # phones
    ("sđt của tôi 0912345678 nhé", "sđt của tôi [SĐT] nhé"),
    ("gọi 0912 345 678", "gọi [SĐT]"),
    ("số 0987.654.321", "số [SĐT]"),
    ("091-234-5678", "[SĐT]"),
    ("+84 912 345 678", "[SĐT]"),
    ("(+84)912.345.678", "[SĐT]"),
    ("84912345678", "[SĐT]"),
    ("máy bàn 024 3826 1234", "máy bàn [SĐT]"),
    ("0243.826.1234", "[SĐT]"),
    # ID numbers
    ("cccd 001203001234", "cccd [SỐ GIẤY TỜ]"),
    ("CCCD: 001 203 001 234", "CCCD: [SỐ GIẤY TỜ]"),
    ("cmnd 123456789 bị mất", "cmnd [SỐ GIẤY TỜ] bị mất"),
    ("mã bhxh 0123456789", "mã bhxh [SỐ GIẤY TỜ]"),
    # e-mail
    ("email nguyen.van-a+dvc@gmail.com.vn ạ", "email [EMAIL] ạ"),
    # dossier codes
    ("mã hồ sơ H12.34-241127-0001", "mã hồ sơ [MÃ HỒ SƠ]"),
    ("hs 000.00.12.H26-241127-0001 chưa có kq", "hs [MÃ HỒ SƠ] chưa có kq"),
    ("Mã hồ sơ: G22.99-231127-001234", "Mã hồ sơ: [MÃ HỒ SƠ]"),
    ("ma ho so la HS2024112700123", "ma ho so la [MÃ HỒ SƠ]"),
    ("số biên nhận BN-2024-ABC123-7", "số biên nhận [MÃ HỒ SƠ]"),
    ("tra cứu K01.05.99-250101-0042 giúp", "tra cứu [MÃ HỒ SƠ] giúp"),
    ("phones written in pairs 09 12 34 56 78", "phones written in pairs [SĐT]"),
    ("０９１２３４５６７８", "[SĐT]"),  # full-width digits
    ("0912\u200b345678", "[SĐT]"),  # a zero-width space inside
    ("mail an＠gmail.com", "mail [EMAIL]"),
    # bank accounts and cards
    ("stk 0071000123456 vietcombank", "stk [SỐ TÀI KHOẢN] vietcombank"),
    ("số tài khoản của tôi là 19036666888015", "số tài khoản của tôi là [SỐ TÀI KHOẢN]"),
    ("chuyển vào tk ngân hàng: 123456", "chuyển vào tk ngân hàng: [SỐ TÀI KHOẢN]"),
    ("so tai khoan 0123456789", "so tai khoan [SỐ TÀI KHOẢN]"),
    ("số thẻ 9704 0512 3456 7890", "số thẻ [SỐ TÀI KHOẢN]"),
    ("thẻ 9704-0512-3456-7890 bị trừ tiền", "thẻ [SỐ TÀI KHOẢN] bị trừ tiền"),
    ("ck từ 0071000123456 mà chưa nhận", "ck từ [SỐ TÀI KHOẢN] mà chưa nhận"),
    ("tk 1903 6666 8880 15 techcombank", "tk [SỐ TÀI KHOẢN] techcombank"),
    ("0912 3456 7890 1234", "[SỐ TÀI KHOẢN]"),
    ("0912 345 678 0987 654 321", "[SĐT] [SĐT]"),
    # house addresses (the administrative part stays)
    (
        "nhà tôi số nhà 12 đường Lê Lợi, xã Phú Túc, huyện Châu Thành",
        "nhà tôi [ĐỊA CHỈ], xã Phú Túc, huyện Châu Thành",
    ),
    ("số 12 ngõ 5 phố Huế", "[ĐỊA CHỈ]"),
    ("123 đường Lê Lợi phường Bến Nghé quận 1", "[ĐỊA CHỈ] phường Bến Nghé quận 1"),
    ("ở 123 đường lê lợi bị sai", "ở [ĐỊA CHỈ] bị sai"),
    ("số nhà 45, xã Phú Túc huyện Châu Thành", "[ĐỊA CHỈ], xã Phú Túc huyện Châu Thành"),
    ("số 7 ngách 12/3 ngõ 45 phố Nguyễn Chí Thanh, Đống Đa", "[ĐỊA CHỈ], Đống Đa"),
    ("45/6 đường 3 Tháng 2, phường 11, quận 10", "[ĐỊA CHỈ], phường 11, quận 10"),
    ("so nha 12 duong le loi", "[ĐỊA CHỈ]"),
    ("nhà ở 47 Hoàng Hoa Thám, Ba Đình", "nhà ở [ĐỊA CHỈ], Ba Đình"),
]
KEPT = [
    "phí 100.000.000 đồng",
    "1.200.000đ",
    "ngày 2024-11-27",
    "từ 1/7/2024",
    "hotline 1900 1234",
    "năm 2024 nộp 3 lần",
    "mã hồ sơ của tôi bị trả về",
    "covid-19",
    "nghị định 69/2024/NĐ-CP",
    "",
    "100 000 000 000 000 đồng",
    "phí 123456789 đ",
    "xã Phú Túc huyện Châu Thành tỉnh Bến Tre",
    "phường 12 quận 3",
    "gửi 2 đường link",
    "lltp số 1 làm onl dc ko",
    "ngõ 5 phố Huế",
    "đường dây nóng 1900 1234",
    "ở 2024 Bộ Công an",
    "đang ở 3 tháng",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    for text, _ in CASES:
        once = redact(text)
        assert redact(once) == once


def test_a_redacted_text_tells_personal_data_by_its_placeholders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [text for text, _ in CASES] + list(KEPT) + ["Cho tôi hỏi cách đổi mật khẩu ạ", ""]
    expected = [contains_personal_data(text) for text in texts]
    redacted = [redact(text) for text in texts]

    def not_again(text: str, meter: object = None) -> str:
        raise AssertionError(f"redacted again: {text!r}")

    # What the assistant already redacted is not redacted a second time to find out.
    monkeypatch.setattr(redaction, "redact", not_again)
    assert [contains_personal_data(text, redacted=True) for text in redacted] == expected
    assert any(expected) and not all(expected)
