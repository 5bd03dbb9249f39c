"""CONTRACT: `python -m bot match --jsonl [--kb PATH]`, plus `ask` and `chat` over pipes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.admin.conftest import Run

QUERIES = [
    "quên mật khẩu dịch vụ công",
    "quen mk dvc lm sao",
    "giá vàng hôm nay",
    "",
    "😀",
    "x" * 10_000,
]


def check_lines(stdout: str, count: int) -> list[dict[str, object]]:
    lines = stdout.splitlines()
    assert len(lines) == count
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert set(row) >= {"status", "faq_id", "confidence", "candidates"}
        assert row["status"] in {"answered", "ambiguous", "no_match"}
        assert isinstance(row["confidence"], float | int) and 0 <= row["confidence"] <= 1
        candidates = row["candidates"]
        assert isinstance(candidates, list) and len(candidates) <= 3
        for cand in candidates:
            assert set(cand) >= {"faq_id", "confidence"}
            assert 0 <= cand["confidence"] <= 1
        if row["status"] == "answered":
            assert row["faq_id"] == candidates[0]["faq_id"]
        else:
            assert row["faq_id"] is None
    return rows


def test_match_jsonl_on_the_live_knowledge(run_cli: Run) -> None:
    stdin = "".join(json.dumps({"text": q}, ensure_ascii=False) + "\n" for q in QUERIES)
    result = run_cli("match", "--jsonl", stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = check_lines(result.stdout, len(QUERIES))
    assert rows[0]["status"] == "answered"
    assert rows[0]["faq_id"] == "account.forgot_password"
    assert rows[2]["status"] == "no_match"
    assert rows[3]["status"] == "no_match" and rows[4]["status"] == "no_match"


def test_match_jsonl_against_another_yaml_source(run_cli: Run, tmp_path: Path) -> None:
    root = tmp_path / "other"
    (root / "faq").mkdir(parents=True)
    (root / "categories.yaml").write_text(
        "categories:\n  - id: pets\n    title: Thú cưng\n", encoding="utf-8"
    )
    (root / "faq" / "pets.yaml").write_text(
        "entries:\n"
        "  - id: pets.dog_license\n"
        "    question: Đăng ký nuôi chó ở đâu?\n"
        "    alternates: [dang ky nuoi cho, giay phep nuoi cho, nuôi chó cần đăng ký không,\n"
        "      đăng ký chó cảnh, chó nuôi phải khai báo ở đâu, làm giấy nuôi chó]\n"
        "    answer: Tại UBND xã.\n",
        encoding="utf-8",
    )
    stdin = json.dumps({"text": "dang ky nuoi cho o dau"}) + "\n"
    result = run_cli("match", "--jsonl", "--kb", str(root), stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = check_lines(result.stdout, 1)
    assert rows[0]["faq_id"] == "pets.dog_license"


def test_match_jsonl_against_an_export_file(run_cli: Run, tmp_path: Path) -> None:
    export = tmp_path / "kb.jsonl"
    row = {
        "id": "pets.cat",
        "category": "bot",
        "question": "Mèo có cần tiêm phòng dại không?",
        "alternates": ["meo tiem phong dai", "tiêm dại cho mèo"],
        "answer": "Có.",
    }
    export.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    stdin = json.dumps({"text": "mèo có phải tiêm phòng dại"}, ensure_ascii=False) + "\n"
    result = run_cli("match", "--jsonl", "--kb", str(export), stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert check_lines(result.stdout, 1)[0]["faq_id"] == "pets.cat"


def test_match_keeps_one_output_line_per_input_even_for_bad_lines(run_cli: Run) -> None:
    result = run_cli("match", "--jsonl", stdin='{"text": "quên mật khẩu"}\nnot json\n{"x": 1}\n')
    check_lines(result.stdout, 3)
    assert "line 2" in result.stderr
    assert result.returncode != 0


def test_match_rejects_a_broken_kb_source_with_a_located_error(
    run_cli: Run, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x.y", "question": "q"}\n', encoding="utf-8")
    result = run_cli("match", "--jsonl", "--kb", str(bad), stdin="")
    assert result.returncode == 1
    assert "bad.jsonl:1" in result.stderr and "answer" in result.stderr


def test_ask_json(run_cli: Run) -> None:
    result = run_cli("ask", "quen mat khau dich vu cong", "--json")
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["outcome"] == "answered"
    assert reply["faq_id"] == "account.forgot_password"


def test_chat_reads_one_message_per_line_and_numbers_choices(run_cli: Run) -> None:
    result = run_cli("chat", stdin="/menu\n1\n1\ngiá xăng hôm nay\n")
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.strip().split("\n\n")
    assert "Chọn một chủ đề" in blocks[0]
    assert "  1. " in result.stdout
    assert "Nguồn:" in result.stdout  # 1 → a category, 1 → its first question's answer
    assert "chưa có câu trả lời" in result.stdout
