"""A workbook that would unpack too big is refused before openpyxl reads it; a stray NUL byte
in a CSV is called what it is."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot.admin import sheets
from bot.admin.csv_text import EncodingProblem, decode_csv


def workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["id", "question", "answer"])
    book.save(path)


@pytest.fixture
def no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl was asked to load the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.mark.usefixtures("no_openpyxl")
def test_a_highly_compressed_member_is_refused_up_front(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    workbook(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet9.xml", b" " * (8 << 20))
    found, issues, _ = sheets.read_xlsx(path)
    assert found == []
    [issue] = issues
    assert "xl/worksheets/sheet9.xml" in issue.message and "hơn 100 lần" in issue.message


@pytest.mark.usefixtures("no_openpyxl")
def test_a_workbook_too_big_unpacked_is_refused_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "MAX_UNPACKED_MB", 1)
    path = tmp_path / "big.xlsx"
    workbook(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/photo.bin", os.urandom(2 << 20))  # does not compress
    [issue] = sheets.read_xlsx(path)[1]
    assert "quá giới hạn 1 MB" in issue.message and "CSV" in issue.message


def test_an_ordinary_workbook_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    workbook(path)
    sheets.check_unpacked_size(path)  # nothing raised


def test_a_stray_nul_byte_is_not_called_utf16() -> None:
    data = "id,question\nhelp.a,Câu hỏi\x00 hỏng\n".encode()
    with pytest.raises(EncodingProblem) as caught:
        decode_csv(data)
    assert "NUL" in str(caught.value) and "dòng 2" in str(caught.value)
    assert "UTF-16" not in str(caught.value)


def test_utf16_without_bom_is_still_recognised() -> None:
    with pytest.raises(EncodingProblem, match="UTF-16"):
        decode_csv("id,question\nhelp.a,Câu hỏi\n".encode("utf-16-le"))
