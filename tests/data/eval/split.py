"""Builds tune.jsonl and test.jsonl from the blind authors' files, once, with a fixed seed.

Run once (2026-11-30); the result is committed and items never move between the two files.
Rows marked "nfd" are stored in decomposed Unicode, as some citizens' phones send them.
"""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

SEED = 20261130


def main(sources: list[Path], out_dir: Path) -> None:
    rows = [json.loads(line) for path in sources for line in path.open(encoding="utf-8")]
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        text = unicodedata.normalize("NFC", str(row["text"]))
        if row.pop("nfd", False):
            text = unicodedata.normalize("NFD", text)
        row["text"] = text
        groups[str(row["style"])].append(row)
    # Half of every style goes to each side; within a style the order is a seeded shuffle.
    rng = random.Random(SEED)
    tune: list[dict[str, object]] = []
    test: list[dict[str, object]] = []
    for style in sorted(groups):
        members = sorted(groups[style], key=lambda r: (str(r["expect"]), str(r["text"])))
        rng.shuffle(members)
        half = (len(members) + 1) // 2
        tune.extend(members[:half])
        test.extend(members[half:])
    for name, part in (("tune", tune), ("test", test)):
        with (out_dir / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for row in part:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"tune {len(tune)}  test {len(test)}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]], Path(__file__).parent)
