"""Personal data never reaches storage: phone, ID numbers, e-mails, dossier codes."""

from __future__ import annotations

import pytest

from bot.core.redact import redact

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
