"""FAQ entries as spreadsheet rows: CSV and XLSX, both directions.

One row per entry; multi-valued cells hold one value per line. Cells that a spreadsheet would
run as a formula get a leading apostrophe on export, removed again on import, so a round trip is
lossless and opening an export never executes anything.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.admin.csv_text import EncodingProblem, decode_csv
from bot.core.knowledge import FaqEntry, KnowledgeIssue, parse_entry

Located = tuple[FaqEntry, str, int | None]
Row = tuple[int, list[Any]]  # (spreadsheet row number, cell values left to right)

COLUMNS = (
    "id",
    "category",
    "question",
    "alternates",
    "answer",
    "links",
    "related",
    "source",
    "reviewed",
    "status",
)
REQUIRED = ("id", "question", "answer")
# Staff may title columns in Vietnamese.
ALIASES = {
    "mã": "id",
    "ma": "id",
    "nhóm": "category",
    "danh mục": "category",
    "câu hỏi": "question",
    "cách hỏi khác": "alternates",
    "câu hỏi tương tự": "alternates",
    "trả lời": "answer",
    "câu trả lời": "answer",
    "liên kết": "links",
    "liên quan": "related",
    "nguồn": "source",
    "ngày rà soát": "reviewed",
    "trạng thái": "status",
}
HEADER_HELP = {
    "id": "Mã không đổi, dạng nhóm.chủ_đề (chữ thường không dấu, số, _). Ví dụ: account.register",
    "category": "Mã nhóm, xem trang 'Danh mục'. Để trống thì lấy phần trước dấu chấm của id",
    "question": "Câu hỏi chuẩn, viết đầy đủ có dấu",
    "alternates": "Cách người dân hay hỏi, MỖI CÁCH MỘT DÒNG (Alt+Enter). "
    "Nên có từ 6 cách trở lên (ít hơn vẫn nhập được, kèm cảnh báo)",
    "answer": "Câu trả lời. Đoạn đầu ≤ 400 ký tự tự trả lời được câu hỏi",
    "links": "Mỗi dòng một liên kết: Tiêu đề | https://địa-chỉ",
    "related": "Mã các mục liên quan, mỗi dòng một mã",
    "source": "Nguồn (văn bản, trang hướng dẫn)",
    "reviewed": "Ngày kiểm tra lại câu trả lời, dạng 2026-11-20",
    "status": "published (đang dùng), draft (bản nháp) hoặc disabled (tắt)",
}
_FORMULA_START = ("=", "+", "-", "@", "'")
_LIST_CELLS = ("alternates", "related")
_DMY = re.compile(r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})")


class SheetError(ValueError):
    """The file is not a readable spreadsheet; the message says what to do."""


def escape(value: str) -> str:
    """Neutralize spreadsheet formulas (and protect a genuine leading apostrophe)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def unescape(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def entry_values(entry: FaqEntry) -> dict[str, str]:
    """One text per column, lists one value per line (also the console editor's fields)."""
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "alternates": "\n".join(entry.alternates),
        "answer": entry.answer,
        "links": "\n".join(f"{link.title} | {link.url}" for link in entry.links),
        "related": "\n".join(entry.related),
        "source": entry.source,
        "reviewed": entry.reviewed.isoformat() if entry.reviewed else "",
        "status": entry.status,
    }


def entry_cells(entry: FaqEntry) -> list[str]:
    values = entry_values(entry)
    return [escape(values[name]) for name in COLUMNS]


def _column_name(header: Any) -> str | None:
    if header is None:
        return None
    text = re.sub(r"\(.*?\)|\*", "", str(header)).strip().casefold()
    if text in COLUMNS:
        return text
    return ALIASES.get(text)


def rows_to_entries(
    header: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]], source: str
) -> tuple[list[Located], list[KnowledgeIssue], list[str]]:
    """Parse data rows with the same rules as YAML (parse_entry); return entries, issues, notes."""
    names = [_column_name(h) for h in header]
    issues: list[KnowledgeIssue] = []
    notes: list[str] = []
    unknown = [str(h) for h, n in zip(header, names, strict=True) if h not in (None, "") and not n]
    if unknown:
        notes.append(f"{source}: bỏ qua cột không dùng: {', '.join(unknown)}")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        issues.append(
            KnowledgeIssue(source, 1, None, ", ".join(missing), "thiếu cột (missing column)")
        )
        return [], issues, notes
    found: list[Located] = []
    for number, cells in rows:
        raw: dict[str, Any] = {}
        for name, value in zip(names, cells, strict=False):
            if name is None or value is None:
                continue
            if isinstance(value, str):
                value = unescape(value.replace("\r\n", "\n"))
                if not value.strip():
                    continue
            raw[name] = value
        if not raw:
            continue  # an empty row
        reviewed = raw.get("reviewed")
        if isinstance(reviewed, str) and (day := _DMY.fullmatch(reviewed.strip())):
            # Excel with Vietnamese regional settings shows and saves dates as dd/mm/yyyy.
            raw["reviewed"] = f"{day['y']}-{int(day['m']):02d}-{int(day['d']):02d}"
        for name in _LIST_CELLS:
            if isinstance(raw.get(name), str):
                raw[name] = [part for part in raw[name].split("\n") if part.strip()]
        if isinstance(raw.get("links"), str):
            raw["links"] = [part for part in raw["links"].split("\n") if part.strip()]
        entry, entry_issues = parse_entry(raw, source, number)
        issues.extend(entry_issues)
        if entry is not None:
            found.append((entry, source, number))
    return found, issues, notes


# ---------------------------------------------------------------- CSV


def read_csv(path: Path) -> tuple[list[Located], list[KnowledgeIssue], list[str]]:
    try:
        text, encoding = decode_csv(path.read_bytes())
    except EncodingProblem as exc:
        return [], [KnowledgeIssue(str(path), None, None, None, str(exc))], []
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    # Excel's "Unicode Text" uses tabs and some regional settings use semicolons.
    delimiter = max(",;\t", key=lambda d: sum(_column_name(c) is not None for c in first.split(d)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
    except csv.Error as exc:
        issue = KnowledgeIssue(
            str(path), reader.line_num, None, None, f"CSV không hợp lệ (invalid CSV): {exc}"
        )
        return [], [issue], []
    records = [r for r in records if any(cell.strip() for cell in r[1])]
    if not records:
        return [], [KnowledgeIssue(str(path), None, None, None, "tệp trống (empty file)")], []
    (_, header), body = records[0], records[1:]
    found, issues, notes = rows_to_entries(header, body, str(path))
    if encoding == "Windows-1258":
        notes.append(f"{path}: đã đọc theo bảng mã Windows-1258; nên lưu lại thành CSV UTF-8.")
    return found, issues, notes


def write_csv(entries: Iterable[FaqEntry], stream: io.TextIOBase | Any) -> None:
    # UTF-8 with BOM: Excel on Windows otherwise opens Vietnamese as mojibake.
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow(entry_cells(entry))


# ---------------------------------------------------------------- XLSX


# An .xlsx is a zip of XML. openpyxl holds it all in memory (about 1.5 GB for 1 GB of XML), so
# the sizes the zip declares are checked first. 10,000 entries make about 30 MB of XML that
# compresses 4-5 times; a member that shrank more than 100 times is padding, not a sheet.
MAX_UNPACKED_MB = 100
MAX_RATIO = 100
MAX_MEMBERS = 1000
_RATIO_FROM_BYTES = 1 << 20


def check_unpacked_size(path: Path) -> None:
    """Refuse, before reading it, a workbook that would unpack too big (a "zip bomb")."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise SheetError(
            f"Tệp {path.name} chứa {len(members)} phần, nhiều bất thường (tối đa {MAX_MEMBERS}): "
            "không phải bảng câu hỏi. Hãy lưu lại bảng tính bằng Excel thành .xlsx."
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNPACKED_MB << 20:
        raise SheetError(
            f"Tệp {path.name} khi giải nén lớn {total / (1 << 20):,.0f} MB, quá giới hạn "
            f"{MAX_UNPACKED_MB} MB. Hãy tách thành nhiều tệp nhỏ hơn hoặc lưu thành CSV UTF-8."
        )
    for member in members:
        if member.file_size > _RATIO_FROM_BYTES and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise SheetError(
                f"Tệp {path.name} có phần {member.filename} nén {member.file_size:,} byte vào "
                f"{member.compress_size:,} byte (hơn {MAX_RATIO} lần): nội dung bất thường, "
                "không mở để tránh làm treo máy. Hãy lưu lại bảng tính bằng Excel thành .xlsx."
            )


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise SheetError(
            f"Định dạng {path.suffix} không đọc được: mở bằng Excel và lưu thành .xlsx "
            "(Excel Workbook) hoặc CSV UTF-8."
        )
    try:
        check_unpacked_size(path)
        return load_workbook(path, data_only=False)
    except SheetError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(
            f"Không phải tệp Excel .xlsx hợp lệ ({type(exc).__name__}). Hãy mở bằng Excel và "
            "lưu lại thành .xlsx, hoặc lưu thành CSV UTF-8."
        ) from exc


def _sheet(workbook: Any) -> Any:
    for name in ("FAQ", "faq"):
        if name in workbook.sheetnames:
            return workbook[name]
    return workbook.worksheets[0]


def _xlsx_rows(sheet: Any, source: str, issues: list[KnowledgeIssue]) -> Iterator[Row]:
    from openpyxl.utils import get_column_letter

    fill: dict[tuple[int, int], Any] = {}
    for merged in sheet.merged_cells.ranges:
        if merged.min_col != merged.max_col:
            issues.append(
                KnowledgeIssue(
                    source,
                    merged.min_row,
                    None,
                    str(merged),
                    "ô gộp ngang nhiều cột: hãy bỏ gộp (Unmerge) — mỗi cột một ý",
                )
            )
            continue
        # A cell merged down a column (e.g. one category for several rows) applies to each row.
        top = sheet.cell(merged.min_row, merged.min_col).value
        for row in range(merged.min_row, merged.max_row + 1):
            fill[(row, merged.min_col)] = top
    for row in sheet.iter_rows():
        values: list[Any] = []
        for cell in row:
            if not hasattr(cell, "column"):  # a MergedCell in some openpyxl versions
                values.append(None)
                continue
            value = fill.get((cell.row, cell.column), cell.value)
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                issues.append(
                    KnowledgeIssue(
                        source,
                        cell.row,
                        None,
                        get_column_letter(cell.column),
                        "ô chứa công thức: hãy nhập chữ (hoặc gõ dấu ' trước dấu =)",
                    )
                )
                value = None
            values.append(value)
        if row:
            yield row[0].row, values


def read_xlsx(path: Path) -> tuple[list[Located], list[KnowledgeIssue], list[str]]:
    source = str(path)
    try:
        workbook = _open_workbook(path)
    except SheetError as exc:
        return [], [KnowledgeIssue(source, None, None, None, str(exc))], []
    try:
        sheet = _sheet(workbook)
        issues: list[KnowledgeIssue] = []
        rows = list(_xlsx_rows(sheet, source, issues))
    finally:
        workbook.close()
    rows = [r for r in rows if any(v not in (None, "") for v in r[1])]
    if not rows:
        return [], [*issues, KnowledgeIssue(source, None, None, None, "bảng tính trống")], []
    (_, header), body = rows[0], rows[1:]
    found, more, notes = rows_to_entries(header, body, source)
    return found, [*issues, *more], notes


def write_xlsx(
    entries: Iterable[FaqEntry], path: Path, *, categories: Sequence[tuple[str, str]] = ()
) -> None:
    """Write the staff workbook: sheet FAQ (data), Hướng dẫn (how to), Danh mục (categories)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    # Write-only mode streams rows: a normal workbook slows down quadratically past a few
    # thousand styled rows.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("FAQ")
    widths = {"id": 26, "category": 12, "question": 40, "alternates": 40, "answer": 70}
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 20)
    sheet.freeze_panes = "B2"
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.comment = Comment(HEADER_HELP[name], "dvc-assistant")
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for entry in entries:
        cells = []
        for value in entry_cells(entry):
            # Escaped values never start with "=", so openpyxl stores them as text.
            cell = WriteOnlyCell(sheet, value=value)
            cell.alignment = wrap
            cells.append(cell)
        sheet.append(cells)
    guide = workbook.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 110
    for line in GUIDE:
        guide.append([line])
    if categories:
        cats = workbook.create_sheet("Danh mục")
        cats.append(["category", "Tên nhóm"])
        for cat_id, title in categories:
            cats.append([cat_id, title])
    workbook.save(path)


GUIDE = (
    "CÁCH ĐIỀN BẢNG CÂU HỎI THƯỜNG GẶP (trang FAQ)",
    "1. Mỗi dòng là một câu hỏi. Dòng 1 là tiêu đề cột: không đổi tên, không xoá cột.",
    "2. Bắt buộc: id, question, answer. id dạng nhóm.chủ_đề, chữ thường không dấu, "
    "ví dụ account.register; không đổi id của mục đã có.",
    "3. alternates: các cách người dân hay hỏi, mỗi cách một dòng trong ô (Alt+Enter). "
    "Mục đang dùng (published) nên có từ 6 cách hỏi trở lên; ít hơn vẫn nhập được, kèm cảnh báo.",
    "4. answer: đoạn đầu (≤ 400 ký tự) phải tự trả lời được; các bước đánh số 1. 2. 3. ở sau. "
    "Có thể dùng {province_name}, {portal_url}, {hotline}, {one_stop_address}, {working_hours}.",
    "5. links: mỗi dòng 'Tiêu đề | https://…'. related: mã các mục liên quan, mỗi dòng một mã.",
    "6. status: published (đang dùng), draft (nháp), disabled (tắt). "
    "reviewed: ngày dạng 2026-11-20.",
    "7. Không dùng công thức, không gộp ô (merge) theo chiều ngang.",
    "8. Lưu tệp .xlsx (hoặc CSV UTF-8), rồi kiểm tra trước: python -m bot kb import TỆP --dry-run",
    "9. Nếu không có lỗi: python -m bot kb import TỆP — trợ lý dùng nội dung mới sau vài giây.",
    "Ô bắt đầu bằng dấu ' là để Excel không hiểu nhầm thành công thức; dấu ' được bỏ khi nhập.",
)
