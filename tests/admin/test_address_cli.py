"""CONTRACT: `python -m bot address "old address" [--json]`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.admin.conftest import Run

RESULT_KEYS = {"ward", "province", "old_ward", "old_district", "old_province"}


def as_json(run_cli: Run, address: str, expect_code: int = 0) -> dict[str, Any]:
    done = run_cli("address", address, "--json")
    assert done.returncode == expect_code, done.stderr
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert set(data) >= {"status", "results"}
    assert data["status"] in {"found", "ambiguous", "not_found"}
    for result in data["results"]:
        assert set(result) >= RESULT_KEYS
        assert all(isinstance(result[k], str) for k in RESULT_KEYS)
    return data


def test_found_with_and_without_diacritics(run_cli: Run) -> None:
    for address in (
        "ấp 3 xã Phú Túc huyện Châu Thành tỉnh Bến Tre",
        "ap 3 xa phu tuc huyen chau thanh tinh ben tre",
    ):
        data = as_json(run_cli, address)
        assert data["status"] == "found"
        (result,) = data["results"]
        assert {k: result[k] for k in RESULT_KEYS} == {
            "ward": "Xã Phú Túc",
            "province": "Tỉnh Vĩnh Long",
            "old_ward": "Xã Phú Túc",
            "old_district": "Huyện Châu Thành",
            "old_province": "Tỉnh Bến Tre",
        }


def test_ambiguous_names_and_split_communes(run_cli: Run) -> None:
    shared = as_json(run_cli, "xã Phú Túc")
    assert shared["status"] == "ambiguous"
    assert {r["old_province"] for r in shared["results"]} == {
        "Thành phố Hà Nội",
        "Tỉnh Gia Lai",
        "Tỉnh Đồng Nai",
        "Tỉnh Bến Tre",
    }
    split = as_json(run_cli, "phường An Phú, thành phố Thủ Đức")
    assert split["status"] == "ambiguous"
    assert {r["ward"] for r in split["results"]} == {"Phường An Khánh", "Phường Bình Trưng"}
    assert {r["old_ward"] for r in split["results"]} == {"Phường An Phú"}


@pytest.mark.parametrize("address", ["Không có ở đâu cả", "🙂", "x" * 2000, ""])
def test_not_found_is_exit_code_1_with_an_empty_list(run_cli: Run, address: str) -> None:
    data = as_json(run_cli, address, expect_code=1)
    assert data == data | {"status": "not_found", "results": []}


def test_plain_output_is_vietnamese_lines(run_cli: Run) -> None:
    done = run_cli("address", "x.Phu Tuc, h.Chau Thanh, Ben Tre")
    assert done.returncode == 0
    assert done.stdout.strip() == (
        "xã Phú Túc, huyện Châu Thành, tỉnh Bến Tre → xã Phú Túc, tỉnh Vĩnh Long"
    )
    province = run_cli("address", "Bến Tre")
    assert "tỉnh Bến Tre → tỉnh Vĩnh Long" in province.stdout
    missing = run_cli("address", "xã Abcxyz")
    assert missing.returncode == 1
    assert "Không tìm thấy “xã abcxyz”" in missing.stdout
    assert "xã …, huyện …, tỉnh …" in missing.stdout


def test_missing_data_is_a_clear_error(run_cli: Run, tmp_path: Path) -> None:
    done = run_cli("address", "Bến Tre", env={"KNOWLEDGE_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert "Không có dữ liệu địa chỉ" in done.stderr


def test_kb_validate_checks_the_communes_of_province_profiles(
    run_cli: Run, project_root: Path, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(project_root / "knowledge", knowledge)
    profile = knowledge / "provinces" / "ninh_binh.yaml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace(
            "communes: []", 'communes:\n  - name: "Phường Không Có"\n'
        ),
        encoding="utf-8",
    )
    done = run_cli("kb", "validate", env={"KNOWLEDGE_DIR": str(knowledge)})
    assert done.returncode == 1
    line = next(n for n, t in enumerate(profile.read_text().splitlines(), 1) if "Không Có" in t)
    assert f"{profile}:{line}, entry Phường Không Có, field name: unknown commune" in done.stderr
