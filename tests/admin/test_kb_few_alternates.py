"""A staff import with fewer than six alternates is accepted with a warning (CLI)."""

from __future__ import annotations

from pathlib import Path

from tests.admin.conftest import Run

SHEET = (
    "id,category,question,alternates,answer\r\n"
    'help.lich_tiep_dan,help,Lịch tiếp công dân của phường?,"lịch tiếp dân\nkhi nào tiếp dân",'
    "Sáng thứ Năm hằng tuần.\r\n"
)


def test_import_accepts_few_alternates_and_says_how_many_more_would_help(
    run_cli: Run, tmp_path: Path
) -> None:
    sheet = tmp_path / "mot-cau.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    checked = run_cli("kb", "validate", str(sheet))
    assert checked.returncode == 0, checked.stderr
    assert "4 more would help" in checked.stderr and "vẫn nhập được" in checked.stderr
    imported = run_cli("kb", "import", str(sheet))
    assert imported.returncode == 0, imported.stderr
    assert "added=1" in imported.stdout and "help.lich_tiep_dan" in imported.stderr
    asked = run_cli("ask", "khi nào tiếp dân")
    assert "thứ Năm" in asked.stdout
