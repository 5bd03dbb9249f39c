"""Storage figures: a 10,000-entry spreadsheet import, and concurrent logging processes.

    .venv/bin/python bench/bench_storage.py [--entries 10000] [--seconds 5]
        [--pg postgresql://postgres@127.0.0.1:5432/test]

Targets (issue 3): import ≤ 20 s; two processes logging to one SQLite file and four on
PostgreSQL at full speed with no "database is locked" (or any other) error. Baselines: parsing
the spreadsheet alone (the floor for an import) and one process logging alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.admin.sheets import read_xlsx, write_xlsx  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.knowledge import FaqEntry, Link  # noqa: E402
from bot.core.messages import IncomingMessage, Outcome, Reply  # noqa: E402
from bot.core.ports import LoggedExchange  # noqa: E402
from bot.storage import Storage  # noqa: E402

KB_DIR = ROOT / "tests" / "data" / "storage_kb"


def entries(count: int) -> list[FaqEntry]:
    return [
        FaqEntry(
            id=f"help.item_{i:05d}",
            category="help",
            question=f"Câu hỏi số {i} về thủ tục hành chính trực tuyến?",
            alternates=tuple(f"cách hỏi {j} cho mục {i} dịch vụ công" for j in range(8)),
            answer=f"Trả lời ngắn cho mục {i}.\n\n1. Bước một.\n2. Bước hai gọi {{hotline}}.",
            links=(Link("Cổng Dịch vụ công quốc gia", "https://dichvucong.gov.vn"),),
            source="Nghị định 69/2024/NĐ-CP",
        )
        for i in range(count)
    ]


def cli(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return elapsed


def bench_import(count: int, folder: Path, pg: str | None) -> None:
    sheet = folder / "big.xlsx"
    start = time.perf_counter()
    write_xlsx(entries(count), sheet)
    print(f"write {count}-row xlsx: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    found, issues, _ = read_xlsx(sheet)
    assert len(found) == count and not issues
    print(f"baseline, parse the xlsx only: {time.perf_counter() - start:.1f} s")
    targets = [("sqlite", {"DATABASE_URL": f"sqlite:///{folder / 'import.db'}"})]
    if pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg(pg, f'CREATE SCHEMA "{schema}"'))
        targets.append(("postgresql", {"DATABASE_URL": pg, "DATABASE_SCHEMA": schema}))
    try:
        for name, db_env in targets:
            env = {**os.environ, **db_env, "KNOWLEDGE_DIR": str(KB_DIR)}
            dry = cli(["kb", "import", str(sheet), "--dry-run"], env)
            full = cli(["kb", "import", str(sheet)], env)
            again = cli(["kb", "import", str(sheet), "--dry-run"], env)
            print(
                f"{name}: `kb import` {count} rows: dry run {dry:.1f} s, import {full:.1f} s "
                f"(target ≤ 20 s), re-check unchanged {again:.1f} s"
            )
    finally:
        if pg:
            asyncio.run(_pg(pg, f'DROP SCHEMA "{schema}" CASCADE'))


async def _pg(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ---------------------------------------------------------------- concurrent logging


async def log_worker(url: str, schema: str | None, seconds: float, name: str) -> dict[str, object]:
    settings = Settings(database_url=url, database_schema=schema, knowledge_dir=KB_DIR)
    storage = await Storage.open(settings)
    done = locked = failed = 0
    try:
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            message = IncomingMessage("bench", f"{name}-{i % 50}", "c", text=f"câu hỏi {i % 300}")
            outcome = Outcome.NO_MATCH if i % 3 == 0 else Outcome.ANSWERED
            reply = Reply("…", outcome, faq_id=None if i % 3 == 0 else "account.register")
            try:
                await storage.users.touch(
                    channel="bench", user_id=message.user_id, display_name=None
                )
                await storage.conversations.record(
                    LoggedExchange(message, reply, message.text or "")
                )
                done += 1
            except Exception as exc:  # counted, not fatal: this is what we measure
                if "locked" in str(exc):
                    locked += 1
                else:
                    failed += 1
    finally:
        await storage.close()
    return {"done": done, "locked": locked, "failed": failed, "seconds": seconds}


def run_loggers(processes: int, url: str, schema: str | None, seconds: float) -> dict[str, float]:
    command = [sys.executable, __file__, "worker", url, schema or "-", str(seconds)]
    procs = [
        subprocess.Popen([*command, f"p{i}"], stdout=subprocess.PIPE, text=True)
        for i in range(processes)
    ]
    results = [json.loads(p.communicate()[0]) for p in procs]
    done = sum(r["done"] for r in results)
    return {
        "rate": done / seconds,
        "done": done,
        "locked": sum(r["locked"] for r in results),
        "failed": sum(r["failed"] for r in results),
    }


def bench_logging(folder: Path, seconds: float, pg: str | None) -> None:
    db = f"sqlite:///{folder / 'log.db'}"
    asyncio.run(_prepare(db, None))
    for n in (1, 2):
        r = run_loggers(n, db, None, seconds)
        print(
            f"sqlite, {n} process(es) logging {seconds:.0f} s: {r['rate']:.0f} exchanges/s, "
            f"'database is locked': {r['locked']:.0f}, other errors: {r['failed']:.0f}"
        )
    if not pg:
        print("postgresql: skipped (pass --pg URL)")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(pg, f'CREATE SCHEMA "{schema}"'))
    try:
        asyncio.run(_prepare(pg, schema))
        for n in (1, 4):
            r = run_loggers(n, pg, schema, seconds)
            print(
                f"postgresql, {n} process(es) logging {seconds:.0f} s: {r['rate']:.0f} "
                f"exchanges/s, errors: {r['locked'] + r['failed']:.0f}"
            )
    finally:
        asyncio.run(_pg(pg, f'DROP SCHEMA "{schema}" CASCADE'))


async def _prepare(url: str, schema: str | None) -> None:
    storage = await Storage.open(Settings(database_url=url, database_schema=schema))
    await storage.close()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        url, schema, seconds, name = sys.argv[2:6]
        result = asyncio.run(
            log_worker(url, None if schema == "-" else schema, float(seconds), name)
        )
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_import(args.entries, Path(folder), args.pg)
        bench_logging(Path(folder), args.seconds, args.pg)


if __name__ == "__main__":
    main()
