"""Spreadsheet import from the browser: preview first, then confirm; bad files refused early."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from aiohttp import FormData

from bot.admin.sheets import write_xlsx
from bot.core.knowledge import FaqEntry
from tests.console.conftest import ConsoleEnv, Page, StaffClient


def _entry(faq_id: str, alternates: int = 6, **extra: Any) -> FaqEntry:
    values: dict[str, Any] = {
        "id": faq_id,
        "category": "help",
        "question": f"Câu hỏi mới {faq_id}?",
        "alternates": tuple(f"cách hỏi {faq_id} số {n}" for n in range(alternates)),
        "answer": "Trả lời ngắn gọn.",
    }
    values.update(extra)
    return FaqEntry(**values)


def _xlsx(tmp_path: Path, entries: list[FaqEntry]) -> bytes:
    target = tmp_path / "tai-len.xlsx"
    write_xlsx(entries, target)
    return target.read_bytes()


async def _upload(staff: StaffClient, name: str, body: bytes, *, token: str | None = None) -> Page:
    form = FormData()
    form.add_field("csrf_token", staff.csrf if token is None else token)
    form.add_field("file", io.BytesIO(body), filename=name, content_type="application/octet-stream")
    async with staff.client.post(
        "/staff/knowledge/import", data=form, headers={"Origin": staff.origin}
    ) as response:
        return Page(response.status, await response.text(), response.headers, str(response.url))


async def test_an_xlsx_is_previewed_then_imported_on_confirmation(
    env: ConsoleEnv, tmp_path: Path
) -> None:
    staff = await env.staff("lan", "editor")
    await staff.get("/staff/knowledge/import")
    body = _xlsx(tmp_path, [_entry("help.moi_mot"), _entry("help.moi_hai", alternates=2)])
    preview = await _upload(staff, "cau-hoi.xlsx", body)
    assert preview.status == 200, preview.text[-2000:]
    assert "Thêm mới: <strong>2</strong>" in preview.text
    assert "mới có 2 cách hỏi khác; thêm 4 cách nữa" in preview.text
    assert await env.storage.knowledge.get("help.moi_mot") is None  # a dry run so far
    token = preview.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    done = await staff.post("/staff/knowledge/import/confirm", {"token": token})
    assert done.status == 200 and "Đã nhập xong" in done.text
    assert await env.storage.knowledge.get("help.moi_hai") is not None
    assert (await env.ask("cách hỏi help.moi_mot số 3")).faq_id == "help.moi_mot"
    again = await staff.post("/staff/knowledge/import/confirm", {"token": token})
    assert again.status == 410


async def test_errors_in_the_sheet_are_listed_by_row_and_nothing_is_imported(
    env: ConsoleEnv, tmp_path: Path
) -> None:
    staff = await env.staff("lan", "editor")
    await staff.get("/staff/knowledge/import")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "question", "answer", "alternates"])
    sheet.append(["help.ok_one", "Câu hỏi?", "Trả lời.", "a\nb\nc\nd\ne\nf"])
    sheet.append(["help.cong_thuc", "=1+1", "Trả lời.", "a"])
    sheet.append(["<b>sai</b>", "Câu hỏi?", "", ""])
    target = tmp_path / "loi.xlsx"
    book.save(target)
    page = await _upload(staff, "loi.xlsx", target.read_bytes())
    assert page.status == 422 and "Không nhập gì" in page.text
    assert "dòng 3" in page.text and "công thức" in page.text
    assert "dòng 4" in page.text and "&lt;b&gt;sai&lt;/b&gt;" in page.text
    assert "/staff/knowledge/import/confirm" not in page.text
    assert await env.storage.knowledge.get("help.ok_one") is None


async def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    await staff.get("/staff/knowledge/import")
    fake = await _upload(staff, "bao-cao.xlsx", b"%PDF-1.7 not a workbook")
    assert fake.status == 415 and "không phải bảng tính Excel" in fake.text
    word = await _upload(staff, "bao-cao.docx", b"PK\x03\x04")
    assert word.status == 415 and "không phải bảng tính" in word.text
    binary = await _upload(staff, "du-lieu.csv", b"id,question\x00\x01\x02")
    assert binary.status == 415


async def test_a_50_mb_upload_is_refused_early(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    await staff.get("/staff/knowledge/import")
    page = await _upload(staff, "lon.csv", b"x" * (50 * 1024 * 1024))
    assert page.status == 413 and "lớn quá 10 MB" in page.text


async def test_an_upload_without_the_token_is_refused_before_reading_the_file(
    env: ConsoleEnv, tmp_path: Path
) -> None:
    staff = await env.staff("lan", "editor")
    await staff.get("/staff/knowledge/import")
    page = await _upload(staff, "cau-hoi.xlsx", _xlsx(tmp_path, [_entry("help.x_y")]), token="sai")
    assert page.status == 403


async def test_exports_neutralise_formulas(env: ConsoleEnv, tmp_path: Path) -> None:
    await env.storage.knowledge.save(
        _entry("help.formula", question='=HYPERLINK("http://x","bấm")', source="+SUM(A1)"),
        by="test",
        action="kb.add",
    )
    staff = await env.staff("lan", "viewer")
    csv_page = await staff.get("/staff/knowledge/export?format=csv")
    assert "'=HYPERLINK" in csv_page.text and "'+SUM(A1)" in csv_page.text
    async with staff.client.get("/staff/knowledge/export?format=xlsx") as response:
        body = await response.read()
        assert "attachment" in response.headers["Content-Disposition"]
    from openpyxl import load_workbook

    (tmp_path / "x.xlsx").write_bytes(body)
    sheet = load_workbook(tmp_path / "x.xlsx")["FAQ"]
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert '\'=HYPERLINK("http://x","bấm")' in cells
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
