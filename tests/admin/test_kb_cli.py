"""CONTRACT: `python -m bot kb import|export|validate|template|add|edit|disable|history`."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tests.admin.conftest import Run
from tests.admin.kb_helpers import HEADER, csv_text, db, export_jsonl, row, sqlite_db, summary
from tests.storage.backends import KB_DIR, Backend

__all__ = ["db", "sqlite_db"]  # fixtures, imported for pytest


def test_export_jsonl_contract(run_cli: Run, db: Backend) -> None:
    rows = export_jsonl(run_cli, db)
    assert len(rows) == 4
    for item in rows:
        assert {"id", "category", "question", "alternates", "answer"} <= set(item)
        assert isinstance(item["alternates"], list)
    assert rows[0]["id"] == "account.register"


@pytest.mark.parametrize("fmt", ["jsonl", "yaml", "yaml-dir", "csv", "xlsx"])
def test_export_then_import_is_lossless(
    run_cli: Run, db: Backend, tmp_path: Path, fmt: str
) -> None:
    target = {
        "jsonl": tmp_path / "kb.jsonl",
        "yaml": tmp_path / "kb.yaml",
        "yaml-dir": tmp_path / "kb_yaml",
        "csv": tmp_path / "kb.csv",
        "xlsx": tmp_path / "kb.xlsx",
    }[fmt]
    exported = run_cli(
        "kb", "export", "--format", fmt.split("-")[0], "--output", str(target), env=db.env()
    )
    assert exported.returncode == 0, exported.stderr
    if fmt == "yaml-dir":
        assert sorted(p.name for p in target.iterdir()) == ["account.yaml", "pay.yaml"]
    dry = run_cli("kb", "import", str(target), "--dry-run", env=db.env())
    assert dry.returncode == 0, dry.stderr
    assert summary(dry.stdout) == "added=0 changed=0 removed=0 unchanged=4"


def test_exports_escape_formulas(run_cli: Run, sqlite_db: Backend, tmp_path: Path) -> None:
    out = tmp_path / "kb.xlsx"
    assert run_cli("kb", "export", "--format", "xlsx", "--output", str(out), env=sqlite_db.env())
    sheet = openpyxl.load_workbook(out)["FAQ"]
    values = [cell.value for line in sheet.iter_rows(min_row=2) for cell in line]
    assert "'@Cổng DVC" in values and "'+ Đang soạn." in values
    assert not any(isinstance(v, str) and v[:1] in "=+-@" for v in values)
    text = run_cli("kb", "export", "--format", "csv", env=sqlite_db.env()).stdout
    assert ",'@Cổng DVC" in text


def test_staff_flow_template_fill_dry_run_import_export(
    run_cli: Run, db: Backend, tmp_path: Path
) -> None:
    template = tmp_path / "mau.xlsx"
    made = run_cli("kb", "template", "--output", str(template), env=db.env())
    assert made.returncode == 0, made.stderr
    book = openpyxl.load_workbook(template)
    assert {"FAQ", "Hướng dẫn", "Danh mục"} <= set(book.sheetnames)
    sheet = book["FAQ"]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(HEADER, row("help.hotline"), strict=True))
    values["alternates"] += "\n=tổng đài là số mấy"
    sheet.append([values.get(str(name)) for name in header])
    sheet.cell(2, header.index("alternates") + 1).data_type = "s"  # as Excel keeps typed text
    book.save(template)

    dry = run_cli("kb", "import", str(template), "--dry-run", env=db.env())
    assert dry.returncode == 0, dry.stderr + dry.stdout
    assert summary(dry.stdout) == "added=1 changed=0 removed=0 unchanged=0"
    assert "+ help.hotline" in dry.stdout
    assert len(export_jsonl(run_cli, db)) == 4

    done = run_cli("kb", "import", str(template), "--by", "chi.lan", env=db.env())
    assert done.returncode == 0, done.stderr
    [new] = [r for r in export_jsonl(run_cli, db) if r["id"] == "help.hotline"]
    assert new["question"] == values["question"]
    assert isinstance(new["alternates"], list) and "=tổng đài là số mấy" in new["alternates"]
    history = run_cli("kb", "history", "help.hotline", env=db.env())
    assert "chi.lan" in history.stdout and "kb.import" in history.stdout


def test_validate_reports_every_located_error(run_cli: Run, tmp_path: Path) -> None:
    good = run_cli("kb", "validate", str(KB_DIR))
    assert good.returncode == 0, good.stderr
    assert "Hợp lệ: 4 mục" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "entries:\n"
        "  - id: account.x\n    question: Hỏi?\n    alternates: [a]\n    status: draft\n"
        "  - id: account.y\n    question: Hỏi?\n    answer: Đáp.\n    related: [no.where]\n"
        "    alternates: [a, b, c, d, e, f]\n",
        encoding="utf-8",
    )
    result = run_cli("kb", "validate", str(bad), env={"KNOWLEDGE_DIR": str(KB_DIR)})
    assert result.returncode == 1
    assert f"{bad}:2, entry account.x, field answer" in result.stderr
    assert f"{bad}:6, entry account.y, field related" in result.stderr


def test_add_edit_disable_history_from_options(
    run_cli: Run, sqlite_db: Backend, tmp_path: Path
) -> None:
    alts = [f"--alternate=tổng đài {i}" for i in range(6)]
    added = run_cli(
        "kb", "add", "--id", "help.hotline", "--question", "Tổng đài?", "--answer",
        "Gọi {hotline}.", *alts, "--by", "an", env=sqlite_db.env(),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    again = run_cli(
        "kb", "add", "--id", "help.hotline", "--question", "Q", "--answer", "A", env=sqlite_db.env()
    )
    assert again.returncode == 1
    edited = run_cli(
        "kb", "edit", "help.hotline", "--add-alternate", "số hotline", "--by", "binh",
        env=sqlite_db.env(),
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    entry_file = tmp_path / "entry.yaml"
    entry_file.write_text(
        "id: help.hotline\nquestion: Tổng đài?\nanswer: Gọi {hotline} giờ hành chính.\n"
        "alternates: [a1, a2, a3, a4, a5, a6]\nstatus: draft\n",
        encoding="utf-8",
    )
    from_file = run_cli(
        "kb", "edit", "help.hotline", "--file", str(entry_file), env=sqlite_db.env()
    )
    assert from_file.returncode == 0, from_file.stderr
    bad = run_cli("kb", "edit", "help.hotline", "--answer", "{unknown}", env=sqlite_db.env())
    assert bad.returncode == 1 and "placeholder" in bad.stderr
    assert run_cli("kb", "disable", "help.hotline", env=sqlite_db.env()).returncode == 0
    assert run_cli("kb", "disable", "no.such", env=sqlite_db.env()).returncode == 1
    history = run_cli("kb", "history", "help.hotline", env=sqlite_db.env())
    assert history.returncode == 0
    lines = history.stdout
    assert lines.index("kb.add") < lines.index("kb.edit") < lines.index("kb.disabled")
    assert "status: draft → disabled" in lines
    [entry] = [r for r in export_jsonl(run_cli, sqlite_db) if r["id"] == "help.hotline"]
    assert entry["status"] == "disabled" and entry["alternates"] == [f"a{i}" for i in range(1, 7)]


def test_edit_without_a_terminal_needs_options(run_cli: Run, sqlite_db: Backend) -> None:
    result = run_cli("kb", "edit", "account.register", env=sqlite_db.env())
    assert result.returncode == 2 and "--file" in result.stderr


def test_import_csv_prints_what_changes(run_cli: Run, sqlite_db: Backend, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text(csv_text([row("help.a"), row("help.b", related="help.a")]), encoding="utf-8")
    dry = run_cli("kb", "import", str(path), "--dry-run", env=sqlite_db.env())
    assert dry.returncode == 0, dry.stderr
    assert summary(dry.stdout) == "added=2 changed=0 removed=0 unchanged=0"
    assert run_cli("kb", "import", str(path), env=sqlite_db.env()).returncode == 0
    path.write_text(csv_text([row("help.a", question="Câu hỏi đã sửa?")]), encoding="utf-8")
    changed = run_cli("kb", "import", str(path), "--prune", "--dry-run", env=sqlite_db.env())
    assert summary(changed.stdout) == "added=0 changed=1 removed=5 unchanged=0"
    assert "~ help.a: question" in changed.stdout
    assert json.dumps("help.a") in json.dumps([r["id"] for r in export_jsonl(run_cli, sqlite_db)])
