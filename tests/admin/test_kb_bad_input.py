"""Bad input files: each gets a located message, a non-zero exit, and the database unchanged."""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest

from tests.admin.conftest import Run
from tests.admin.kb_helpers import (
    HEADER,
    cp1258,
    csv_text,
    db_state,
    export_jsonl,
    row,
    summary,
)
from tests.storage.backends import Backend, backend


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Backend]:
    with backend("sqlite", tmp_path) as value:
        yield value


def xlsx(path: Path, rows: list[list[object]], edit: Callable[..., None] | None = None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "FAQ"
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    if edit:
        edit(sheet)
    book.save(path)


def write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


LONG = "Đoạn đầu ngắn.\n\n" + "x" * 4100


def _merge_across(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.merge_cells("C2:D2")


def _formula(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet["E2"] = "=A2&B2"


def _zip_bomb(path: Path) -> None:
    """A real workbook plus a member that unpacks 1,000 times bigger than it is stored."""
    xlsx(path, [row("help.a")])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(20 << 20))


def _stray_nul(path: Path) -> None:
    text = csv_text([row("help.a"), row("help.b", question="Câu hỏi\x00 bị hỏng?")])
    path.write_bytes(text.encode("utf-8"))


# name → (file name, writer, expected fragments in stderr)
CASES: dict[str, tuple[str, Callable[[Path], None], tuple[str, ...]]] = {
    "malformed yaml": (
        "bad.yaml",
        lambda p: p.write_text("entries:\n  - id: a.b\n    question: [x\n", encoding="utf-8"),
        ("bad.yaml:", "invalid YAML"),
    ),
    "malformed csv": (
        "bad.csv",
        lambda p: p.write_text(csv_text([row("help.a")]) + 'help.b,help,"unterminated\n', "utf-8"),
        ("bad.csv", "CSV không hợp lệ"),
    ),
    "not a spreadsheet": (
        "notes.xlsx",
        lambda p: p.write_text("đây không phải bảng tính", encoding="utf-8"),
        ("notes.xlsx", "Không phải tệp Excel .xlsx"),
    ),
    "old excel": (
        "old.xls",
        lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0 legacy"),
        ("old.xls", "lưu thành .xlsx"),
    ),
    "unknown type": (
        "faq.txt",
        lambda p: p.write_text("hello", encoding="utf-8"),
        ("faq.txt", "không nhận dạng được loại tệp"),
    ),
    "duplicate ids": (
        "dup.csv",
        lambda p: p.write_text(csv_text([row("help.a"), row("help.a")]), encoding="utf-8"),
        ("dup.csv:3, entry help.a, field id: duplicate id",),
    ),
    "missing answer": (
        "noanswer.xlsx",
        lambda p: xlsx(p, [row("help.a", answer="")]),
        ("noanswer.xlsx:2, entry help.a, field answer: missing or empty",),
    ),
    "unknown category": (
        "cat.csv",
        lambda p: p.write_text(csv_text([row("zzz.a")]), encoding="utf-8"),
        ("cat.csv:2, entry zzz.a, field category: unknown category",),
    ),
    "unknown related id": (
        "rel.csv",
        lambda p: p.write_text(csv_text([row("help.a", related="help.nope")]), encoding="utf-8"),
        ("rel.csv:2, entry help.a, field related: unknown related id 'help.nope'",),
    ),
    "answer too long for a channel": (
        "long.xlsx",
        lambda p: xlsx(p, [row("help.a", answer=LONG)]),
        ("long.xlsx:2, entry help.a, field answer: longer than 4000",),
    ),
    "formula cell": (
        "formula.xlsx",
        lambda p: xlsx(p, [row("help.a")], _formula),
        ("formula.xlsx:2, field E: ô chứa công thức",),
    ),
    "merged across columns": (
        "merged.xlsx",
        lambda p: xlsx(p, [row("help.a")], _merge_across),
        ("merged.xlsx:2, field C2:D2", "gộp"),
    ),
    "missing columns": (
        "cols.csv",
        lambda p: p.write_text("id,category\nhelp.a,help\n", encoding="utf-8"),
        ("cols.csv:1, field question, answer: thiếu cột",),
    ),
    "mojibake utf-8": (
        "moj.csv",
        lambda p: p.write_bytes(
            csv_text([row("help.a")]).encode().decode("cp1252", "replace").encode()
        ),
        ("moj.csv", "lỗi phông/bảng mã", "CSV UTF-8"),
    ),
    "legacy TCVN3 font bytes": (
        "tcvn.csv",
        lambda p: p.write_bytes(b"id,question,answer\nhelp.a,\xa7\xa8ng k\xfd t\xb5i kho\xb6n,x\n"),
        ("tcvn.csv", "lỗi phông/bảng mã", "CSV UTF-8"),
    ),
    "utf-16 without BOM": (
        "nobom.csv",
        lambda p: p.write_bytes(csv_text([row("help.a")]).encode("utf-16-le")),
        ("nobom.csv", "UTF-16", "CSV UTF-8"),
    ),
    "xlsx that unpacks a thousand times bigger": (
        "bomb.xlsx",
        _zip_bomb,
        ("bomb.xlsx", "xl/media/padding.bin", "hơn 100 lần"),
    ),
    "javascript link": (
        "js.csv",
        lambda p: p.write_text(
            csv_text([row("help.a", links="Bấm vào | javascript:alert(document.cookie)")]),
            encoding="utf-8",
        ),
        ("js.csv:2, entry help.a, field links: chỉ nhận liên kết https://",),
    ),
    "csv with a stray NUL byte": (
        "nul.csv",
        _stray_nul,
        ("nul.csv", "byte 0 (NUL)", "Câu hỏi␀ bị hỏng"),
    ),
    "empty spreadsheet": (
        "empty.xlsx",
        lambda p: openpyxl.Workbook().save(p),
        ("empty.xlsx", "bảng tính trống"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_rejected_and_nothing_changes(
    run_cli: Run, db: Backend, tmp_path: Path, case: str
) -> None:
    name, make, fragments = CASES[case]
    path = tmp_path / name
    make(path)
    result = run_cli("kb", "import", str(path), env=db.env())
    assert result.returncode == 1, result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    version, entries = db_state(db)  # as seeded, nothing more
    assert version == 1 and len(entries) == 4


def test_every_error_is_reported_at_once(run_cli: Run, db: Backend, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    rows = [row("help.a", answer=""), row("zzz.b"), row("help.c", related="x.y"), row("help.c")]
    path.write_text(csv_text(rows), encoding="utf-8")
    result = run_cli("kb", "import", str(path), "--dry-run", env=db.env())
    assert result.returncode == 1
    for where in ("many.csv:2,", "many.csv:3,", "many.csv:4,", "many.csv:5,"):
        assert where in result.stderr


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
def test_excel_csv_encodings_are_read_right(
    run_cli: Run, db: Backend, tmp_path: Path, encoding: str
) -> None:
    question = "Người dân ở xã, phường đăng ký thường trú trực tuyến được không?"
    # Excel's "Unicode Text" (UTF-16) is tab-separated; the others use commas.
    delimiter = "\t" if encoding == "utf-16" else ","
    text = csv_text([row("help.residence", question=question)], delimiter=delimiter)
    data = cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    if encoding == "utf-16":
        assert data.startswith(codecs.BOM_UTF16_LE)
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(data)
    result = run_cli("kb", "import", str(path), env=db.env())
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout) == "added=1 changed=0 removed=0 unchanged=0"
    [entry] = [r for r in export_jsonl(run_cli, db) if r["id"] == "help.residence"]
    assert entry["question"] == question


def test_vertically_merged_cells_apply_to_each_row(
    run_cli: Run, db: Backend, tmp_path: Path
) -> None:
    path = tmp_path / "merged.xlsx"

    def merge_category(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
        sheet.merge_cells("B2:B3")

    xlsx(path, [row("help.a"), row("help.b", category="")], merge_category)
    result = run_cli("kb", "import", str(path), "--dry-run", env=db.env())
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout) == "added=2 changed=0 removed=0 unchanged=0"


def test_vietnamese_dates_from_excel_are_understood(
    run_cli: Run, db: Backend, tmp_path: Path
) -> None:
    path = tmp_path / "dates.csv"
    text = csv_text([row("help.a")]).replace("source\r\n", "source,reviewed\r\n")
    path.write_text(text.replace("69/2024/NĐ-CP\r\n", "69/2024/NĐ-CP,20/11/2026\r\n"), "utf-8")
    result = run_cli("kb", "import", str(path), env=db.env())
    assert result.returncode == 0, result.stderr
    [entry] = [e for e in db_state(db)[1] if e["id"] == "help.a"]
    assert entry["reviewed"] == "2026-11-20"
