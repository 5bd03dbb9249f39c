"""Address data: start-up load time, memory it adds, and lookup latency.

Each load is measured in a fresh interpreter (so nothing is cached), beside the baseline of
only decompressing and parsing the same JSON. Memory is the process's resident size before
and after the load, and the Python heap the loaded book keeps (tracemalloc, a separate run).
Lookups: p50 / p99 / max over old addresses written in full, without accents, with a typo,
as a question, plus the worst inputs (2,000 characters, a repeated address).

    .venv/bin/python bench/bench_address.py
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "knowledge" / "addresses" / "units.json.gz"
RUNS = 5
QUERIES = 2000
SEED = 7


def child(mode: str) -> None:
    """One measurement in this fresh interpreter; prints one JSON line."""
    import gzip
    import tracemalloc

    import psutil

    import bot.core.normalize  # noqa: F401  (the assistant has it loaded anyway)
    from bot.core.address import AddressFinder
    from bot.core.address_book import AddressBook

    process = psutil.Process()
    if mode == "heap":
        tracemalloc.start()
        finder = AddressFinder(AddressBook.load(DATA))
        heap = tracemalloc.get_traced_memory()[0]
        print(json.dumps({"heap": heap, "keys": len(finder.book.index)}))
        return
    rss_before = process.memory_info().rss
    started = time.perf_counter()
    if mode == "json":
        with gzip.open(DATA, "rt", encoding="utf-8") as stream:
            json.load(stream)
    else:
        AddressFinder(AddressBook.load(DATA))
    elapsed = time.perf_counter() - started
    rss_after = process.memory_info().rss
    print(json.dumps({"seconds": elapsed, "rss": rss_after - rss_before}))


def measure(mode: str) -> list[dict[str, float]]:
    rows = []
    for _ in range(RUNS if mode != "heap" else 1):
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(done.stdout))
    return rows


def queries() -> list[tuple[str, str]]:
    from bot.core.address_book import AddressBook
    from bot.core.tones import fold

    book = AddressBook.load(DATA)
    rnd = random.Random(SEED)
    found: list[tuple[str, str]] = []
    for ward in rnd.sample(book.old_wards, QUERIES // 4):
        full = f"{ward.full}, {ward.district.full}, {ward.province.full}"
        plain = fold(full).lower()
        cut = rnd.randrange(1, max(2, len(ward.name) - 1))
        typo = f"xa {fold(ward.name[:cut] + ward.name[cut + 1 :]).lower()}, {ward.district.name}"
        found += [
            ("full", full),
            ("no accents", plain),
            ("typo", typo),
            ("question", f"{ward.title} cũ giờ là xã nào ạ"),
        ]
    found += [("2,000 chars", "xã Phú Túc huyện Châu Thành " * 72)] * 20
    found += [("2,000 chars", "a" * 2000)] * 20
    return found


def main() -> None:
    from bot.core.address import AddressFinder
    from bot.core.address_book import AddressBook

    print(f"address data {DATA.relative_to(ROOT)}: {DATA.stat().st_size / 1024:.0f} KiB on disk")
    for name, mode in (("parse JSON only (baseline)", "json"), ("load + index (ready)", "book")):
        rows = measure(mode)
        seconds = statistics.median(r["seconds"] for r in rows)
        rss = statistics.median(r["rss"] for r in rows)
        print(
            f"{name:<28} median of {RUNS}: {seconds * 1000:6.0f} ms   "
            f"resident memory added {rss / 2**20:5.1f} MiB"
        )
    heap = measure("heap")[0]
    print(f"{'Python heap kept':<28} {heap['heap'] / 2**20:5.1f} MiB ({heap['keys']} name keys)")

    finder = AddressFinder(AddressBook.load(DATA))
    by_kind: dict[str, list[float]] = {}
    for kind, text in queries():
        started = time.perf_counter()
        finder.find(text)
        by_kind.setdefault(kind, []).append(time.perf_counter() - started)
    for kind, times in by_kind.items():
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"lookup {kind:<12} n={len(times):4d}  p50 {statistics.median(times) * 1000:6.2f} ms"
            f"  p99 {p99 * 1000:6.2f} ms  max {times[-1] * 1000:6.2f} ms"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
