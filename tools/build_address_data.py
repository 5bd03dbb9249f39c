"""Regenerate knowledge/addresses/units.json.gz from the vietnamadminunits wheel (MIT).

Only the wheel's DATA is read (dataset.db, converter_2025.json, parser_legacy.json); none of its
code is imported, because its parser pulls in unidecode (GPL) and an online geocoder.

    python tools/build_address_data.py                 # pip-downloads the pinned version
    python tools/build_address_data.py --wheel PATH    # or reads a wheel already on disk
    python tools/build_address_data.py --provinces     # also writes missing province profiles

Not part of the running assistant: it needs the network (pip) and writes into knowledge/.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "vietnamadminunits"
VERSION = "1.0.4"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "knowledge" / "addresses" / "units.json.gz"
PROVINCES = ROOT / "knowledge" / "provinces"

# Unit types as they appear in the data; the runtime file stores indexes into this list.
TYPES = ["Xã", "Phường", "Thị trấn", "Đặc khu", "Huyện", "Quận", "Thị xã", "Thành phố", "Tỉnh"]
# Folded type prefixes the upstream alias keys sometimes carry ("huyenhoalu", "txcualo").
ALIAS_PREFIXES = ("thanhpho", "thixa", "thitran", "phuong", "huyen", "quan", "tinh", "tp", "tx")
# Common ways of naming a province that are not in the upstream alias lists.
EXTRA_PROVINCE_ALIASES = {
    "Hồ Chí Minh": ["tphcm", "saigon", "sg"],
    "Hà Nội": ["tphn"],
    "Bà Rịa - Vũng Tàu": ["brvt"],
    "Huế": ["thuathienhue"],
}


def fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def slug(short_name: str) -> str:
    return "_".join(fold(short_name).replace("-", " ").split())


def split_type(full: str) -> tuple[int, str]:
    """'Phường 1 Bảo Lộc' → (index of 'Phường', '1 Bảo Lộc')."""
    for index, name in sorted(enumerate(TYPES), key=lambda item: -len(item[1])):
        # Upstream capitalisation varies ("Thành Phố Bắc Kạn").
        if full.lower().startswith(name.lower() + " "):
            return index, full[len(name) + 1 :].strip()
    raise ValueError(f"no known unit type in {full!r}")


def aliases(raw: str | None, own: str) -> list[str]:
    """Upstream alias keys (folded, no spaces), type prefix removed, own name dropped."""
    found: list[str] = []
    own_key = fold(own).replace(" ", "").replace("-", "")
    for key in json.loads(raw) if raw else []:
        for prefix in ALIAS_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix) + 2:
                key = key[len(prefix) :]
                break
        if key != own_key and key not in found:
            found.append(key)
    return found


def download_wheel(target: Path) -> Path:
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(target)]
    subprocess.run([*pip, f"{PACKAGE}=={VERSION}"], check=True)
    return next(target.glob(f"{PACKAGE}-{VERSION}-*.whl"))


def build(wheel: Path, workdir: Path) -> tuple[dict[str, Any], str]:
    with zipfile.ZipFile(wheel) as archive:
        archive.extract(f"{PACKAGE}/data/dataset.db", workdir)
        converter = json.loads(archive.read(f"{PACKAGE}/data/converter_2025.json"))
        legacy = json.loads(archive.read(f"{PACKAGE}/data/parser_legacy.json"))
        licence = archive.read(f"{PACKAGE}-{VERSION}.dist-info/licenses/LICENSE").decode()
    db = sqlite3.connect(workdir / PACKAGE / "data" / "dataset.db")
    db.row_factory = sqlite3.Row

    provinces: list[list[Any]] = []
    province_index: dict[str, int] = {}
    wards: list[list[Any]] = []
    ward_index: dict[tuple[str, str], int] = {}
    rows = db.execute("SELECT * FROM admin_units ORDER BY provinceCode, wardCode").fetchall()
    for row in rows:
        if row["provinceKey"] not in province_index:
            province_index[row["provinceKey"]] = len(provinces)
            kind, short = split_type(row["province"])
            names = aliases(row["provinceAlias"], short)
            names += [a for a in EXTRA_PROVINCE_ALIASES.get(short, []) if a not in names]
            provinces.append([row["provinceCode"], kind, short, names])
        kind, short = split_type(row["ward"])
        ward_index[row["provinceKey"], row["wardKey"]] = len(wards)
        wards.append([row["wardCode"], kind, short, province_index[row["provinceKey"]]])

    new_of_old_province = {
        old: province_index[new] for new, olds in converter["DICT_PROVINCE"].items() for old in olds
    }
    targets: dict[str, list[int]] = {}
    for new_province, mapping in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in mapping.items():
            for old in olds:
                targets.setdefault(old, []).append(ward_index[new_province, new_ward])
    for new_province, mapping in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in mapping.items():
            for part in parts:
                targets.setdefault(old, []).append(ward_index[new_province, part["newWardKey"]])

    # Old district names that were later divided between several districts ("Thành phố Huế").
    divided: dict[tuple[str, str], list[str]] = {}
    for province_key, groups in legacy["DICT_PROVINCE_DISTRICT_DIVIDED"].items():
        for group in groups.values():
            for district_key in group["districts"]:
                for keyword in group["dividedDistrictKeywords"]:
                    divided.setdefault((province_key, district_key), []).append(keyword)

    old_provinces: list[list[Any]] = []
    old_province_index: dict[str, int] = {}
    old_districts: list[list[Any]] = []
    old_district_index: dict[tuple[str, str], int] = {}
    old_wards: list[list[Any]] = []
    rows = db.execute(
        "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
    ).fetchall()
    for row in rows:
        pkey, dkey = row["provinceKey"], row["districtKey"]
        if pkey not in old_province_index:
            old_province_index[pkey] = len(old_provinces)
            kind, short = split_type(row["province"])
            names = aliases(row["provinceAlias"], short)
            names += [a for a in EXTRA_PROVINCE_ALIASES.get(short, []) if a not in names]
            new = new_of_old_province[pkey]
            old_provinces.append([row["provinceCode"], kind, short, new, names])
        if (pkey, dkey) not in old_district_index:
            old_district_index[pkey, dkey] = len(old_districts)
            kind, short = split_type(row["district"])
            names = aliases(row["districtAlias"], short)
            names += [a for a in aliases(json.dumps(divided.get((pkey, dkey), [])), short)]
            old_districts.append(
                [row["districtCode"], kind, short, old_province_index[pkey], sorted(set(names)), []]
            )
        key = f"{pkey}_{dkey}_{row['wardKey'] or ''}"
        if row["ward"] is None:
            # Island districts had no communes; each became one special zone.
            old_districts[-1][5] = targets[key]
            continue
        kind, short = split_type(row["ward"])
        old_wards.append(
            [
                row["wardCode"],
                kind,
                short,
                old_district_index[pkey, dkey],
                targets[key],
                aliases(row["wardAlias"], short),
            ]
        )
    data = {
        "format": 1,
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "url": "https://github.com/tranngocminhhieu/vietnamadminunits",
            "licence": "MIT (LICENSE-vietnamadminunits beside this file)",
        },
        "types": TYPES,
        "provinces": provinces,
        "wards": wards,
        "old_provinces": old_provinces,
        "old_districts": old_districts,
        "old_wards": old_wards,
    }
    return data, licence


def write_data(data: dict[str, Any], path: Path) -> None:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name: the same input always gives the same bytes.
    with path.open("wb") as out, gzip.GzipFile("", "wb", 9, out, mtime=0) as archive:
        archive.write(raw)


PROFILE = """\
# Hồ sơ tỉnh sinh tự động từ bộ dữ liệu đơn vị hành chính 2025 (tools/build_address_data.py).
# Các trường để trống chưa được kiểm chứng: câu trả lời sẽ dùng thông tin toàn quốc trong
# default.yaml. Cán bộ tỉnh điền giá trị chính thức (đã kiểm tra) vào đây.
id: {slug}
code: "{code}"
name: "{name}"
short_name: "{short}"
portal_url: ""
hotline: ""
one_stop_address: ""
working_hours: ""
email: null
notes: "Chưa kiểm chứng: đường dây nóng, cổng dịch vụ công, địa chỉ và giờ làm việc \
của tỉnh còn để trống."
communes: []
"""


def write_profiles(data: dict[str, Any], directory: Path) -> list[Path]:
    written: list[Path] = []
    for code, kind, short, _ in data["provinces"]:
        path = directory / f"{slug(short)}.yaml"
        if path.exists():
            continue  # staff may have filled it in: never overwrite
        name = f"{data['types'][kind].lower()} {short}"
        path.write_text(
            PROFILE.format(slug=slug(short), code=code, name=name, short=short), encoding="utf-8"
        )
        written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--provinces", action="store_true", help="write missing province files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        data, licence = build(wheel, Path(tmp))
    write_data(data, args.output)
    (args.output.parent / f"LICENSE-{PACKAGE}").write_text(licence, encoding="utf-8")
    print(
        f"{args.output}: {len(data['provinces'])} provinces, {len(data['wards'])} communes, "
        f"{len(data['old_provinces'])}/{len(data['old_districts'])}/{len(data['old_wards'])} "
        f"old provinces/districts/communes, {args.output.stat().st_size} bytes"
    )
    if args.provinces:
        for path in write_profiles(data, PROVINCES):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
