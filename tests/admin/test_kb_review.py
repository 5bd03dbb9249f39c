"""CONTRACT: `python -m bot kb review [--older-than DAYS] [--as-of DATE] [--all] [--json]`.

tests/data/storage_kb holds account.register and account.forgot_password (reviewed 2026-11-20,
with a source), pay.fee_online (published, a source but no reviewed date) and pay.draft_refund
(a draft with neither).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.admin.conftest import Run
from tests.admin.kb_helpers import db, sqlite_db
from tests.storage.backends import Backend

__all__ = ["db", "sqlite_db"]  # fixtures, imported for pytest


def review_json(run_cli: Run, backend: Backend, *args: str) -> dict[str, object]:
    result = run_cli("kb", "review", "--json", *args, env=backend.env())
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def test_json_lists_stale_undated_and_unsourced_entries_oldest_first(
    run_cli: Run, db: Backend
) -> None:
    document = review_json(run_cli, db, "--as-of", "2027-06-01", "--older-than", "180")
    assert document["as_of"] == "2027-06-01"
    assert document["older_than_days"] == 180
    entries = document["entries"]
    assert isinstance(entries, list)
    assert document["count"] == len(entries) == 3
    assert [e["id"] for e in entries] == [
        "pay.fee_online",  # no date at all comes first
        "account.forgot_password",
        "account.register",
    ]
    undated, stale = entries[0], entries[1]
    assert undated == {
        "id": "pay.fee_online",
        "status": "published",
        "question": "Nộp lệ phí trực tuyến như thế nào?",
        "reviewed": None,
        "age_days": None,
        "reasons": ["no_reviewed_date"],
    }
    assert stale["reviewed"] == "2026-11-20"
    assert stale["age_days"] == 193
    assert stale["reasons"] == ["stale"]


def test_the_limit_is_exclusive_and_recent_entries_are_not_listed(
    run_cli: Run, sqlite_db: Backend
) -> None:
    # 2027-05-19 is exactly 180 days after 2026-11-20: not yet older than the limit.
    on_the_day = review_json(run_cli, sqlite_db, "--as-of", "2027-05-19")
    assert [e["id"] for e in on_the_day["entries"]] == ["pay.fee_online"]  # type: ignore[union-attr]
    next_day = review_json(run_cli, sqlite_db, "--as-of", "2027-05-20")
    assert next_day["count"] == 3


def test_all_adds_drafts_with_every_reason(run_cli: Run, sqlite_db: Backend) -> None:
    document = review_json(run_cli, sqlite_db, "--all", "--as-of", "2026-12-01")
    by_id = {e["id"]: e for e in document["entries"]}  # type: ignore[union-attr]
    assert set(by_id) == {"pay.fee_online", "pay.draft_refund"}
    assert by_id["pay.draft_refund"]["status"] == "draft"
    assert by_id["pay.draft_refund"]["reasons"] == ["no_reviewed_date", "no_source"]


def test_text_output_for_staff_names_id_date_age_and_reason(
    run_cli: Run, sqlite_db: Backend
) -> None:
    result = run_cli(
        "kb", "review", "--as-of", "2027-06-01", "--older-than", "90", env=sqlite_db.env()
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "3 mục cần kiểm tra lại (tính đến 01/06/2027; giới hạn 90 ngày):"
    register = next(line for line in lines if "account.register" in line)
    assert "20/11/2026" in register
    assert " 193 " in register
    assert register.rstrip().endswith("quá 90 ngày chưa kiểm tra lại")
    undated = next(line for line in lines if "pay.fee_online" in line)
    assert "chưa ghi ngày kiểm tra (reviewed)" in undated
    assert "kb edit" in result.stdout


def test_the_setting_is_the_default_limit(run_cli: Run, sqlite_db: Backend) -> None:
    result = run_cli(
        "kb",
        "review",
        "--as-of",
        "2026-11-30",
        env={**sqlite_db.env(), "KNOWLEDGE_STALE_DAYS": "5"},
    )
    assert result.returncode == 0, result.stderr
    assert "giới hạn 5 ngày" in result.stdout
    assert "account.register" in result.stdout  # 10 days old


def test_nothing_to_review_says_so_and_exits_zero(
    run_cli: Run, sqlite_db: Backend, project_root: Path
) -> None:
    # The shipped knowledge: every entry has a source and a recent review date.
    env = {**sqlite_db.env(), "KNOWLEDGE_DIR": str(project_root / "knowledge")}
    result = run_cli("kb", "review", "--as-of", "2026-12-01", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Không có mục nào cần kiểm tra lại (tính đến 01/12/2026)")
    document = json.loads(
        run_cli("kb", "review", "--json", "--as-of", "2026-12-01", env=env).stdout
    )
    assert document["count"] == 0
    assert document["entries"] == []


def test_bad_options_get_a_clear_message(run_cli: Run, sqlite_db: Backend) -> None:
    for args, words in (
        (("--older-than", "0"), "số ngày nguyên dương"),
        (("--older-than", "abc"), "số ngày nguyên dương"),
        (("--as-of", "30/11/2026"), "YYYY-MM-DD"),
    ):
        result = run_cli("kb", "review", *args, env=sqlite_db.env())
        assert result.returncode == 2
        assert words in result.stderr
