"""Staff console page timings at 10,000 knowledge entries and 1,000,000 logged questions.

    .venv/bin/python bench/bench_console.py [--pg postgresql://postgres@127.0.0.1:5432/test]
        [--entries 10000] [--questions 1000000] [--inbox 100000] [--rounds 30]

Generated data on PostgreSQL in a schema of its own (dropped at the end): the real knowledge
plus synthetic entries (recombined real phrasings, as bench_match does), questions spread over
180 days (20% unanswered, 10% choices, 4% choices tapped), feedback, and open inbox items. The
console runs on a real port and warms up at start as in production (``--cold``: not); a
logged-in client times each page: the first request, then p50 / p99 (ms). Then the inbox
grouping: 100,000 unanswered questions counted into inbox items through the logging path's
upsert, and the inbox page over them.

Targets (issue 15): each page ≤ 100 ms; grouping 100,000 unanswered questions ≤ 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from bench_match import synthetic_entries  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.console.web.app import StaffConsole  # noqa: E402
from bot.console.web.context import Console  # noqa: E402
from bot.console.web.warm import warmed  # noqa: E402
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir  # noqa: E402
from bot.runtime import make_runtime  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.storage.conversations import InboxHit, feed_inbox_many  # noqa: E402

PASSWORD = "mật khẩu đo hiệu năng"
SEED = 20261130


def knowledge(count: int) -> KnowledgeBase:
    real = load_knowledge_dir(ROOT / "knowledge")
    categories = [c.id for c in real.categories]
    rng = random.Random(SEED)
    synthetic = [
        dataclasses.replace(
            e,
            id=f"{categories[n % len(categories)]}.bench_{n}",
            category=categories[n % len(categories)],
        )
        for n, e in enumerate(
            synthetic_entries(list(real.published), count - len(real.entries), rng)
        )
    ]
    return KnowledgeBase.build(real.categories, (*real.entries, *synthetic))


GENERATE = """
INSERT INTO conversations (channel, user_id, text, normalized, outcome, matched_id, confidence,
                           picked, created_at)
SELECT CASE WHEN g % 3 = 0 THEN 'web' ELSE 'telegram' END,
       'u' || (g % 50000),
       'câu hỏi thử số ' || (g % 40000),
       'cau hoi thu so ' || (g % 40000),
       CASE WHEN g % 10 < 2 THEN 'no_match' WHEN g % 10 = 2 THEN 'ambiguous' ELSE 'answered' END,
       CASE WHEN g % 10 < 2 THEN NULL ELSE :ids_array[1 + g % :n_ids] END,
       0.5,
       (g % 25 = 3),
       (now() AT TIME ZONE 'utc') - (g * interval '1 second' * :spread)
FROM generate_series(1, :n) AS g
"""
FEEDBACK = """
INSERT INTO feedback (channel, user_id, faq_id, helpful, comment, question, created_at)
SELECT 'telegram', 'u' || g, :ids_array[1 + g % :n_ids], g % 5 <> 0, NULL, NULL,
       (now() AT TIME ZONE 'utc') - (g * interval '1 minute')
FROM generate_series(1, :n) AS g
"""
INBOX = """
INSERT INTO inbox_items (kind, key, text, faq_id, count, first_seen, last_seen, status, open_slot)
SELECT CASE WHEN g % 10 < 7 THEN 'no_match' WHEN g % 10 < 9 THEN 'ambiguous'
            ELSE 'negative_feedback' END,
       'khoa nhom ' || g, 'câu hỏi chưa trả lời được số ' || g, NULL,
       1 + (g * 7919) % 97,
       (now() AT TIME ZONE 'utc') - interval '90 days',
       (now() AT TIME ZONE 'utc') - (g * interval '1 minute'), 'open', 0
FROM generate_series(1, :n) AS g
"""


async def generate(storage: Storage, kb: KnowledgeBase, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    await storage.knowledge.seed_if_empty(kb)
    ids = [e.id for e in kb.entries[:2000]]
    async with storage.engine.begin() as conn:
        spread = 180 * 86400 / args.questions
        await conn.execute(
            text(GENERATE.replace(":ids_array", "(CAST(:ids AS text[]))")),
            {"ids": ids, "n_ids": len(ids), "n": args.questions, "spread": spread},
        )
        await conn.execute(
            text(FEEDBACK.replace(":ids_array", "(CAST(:ids AS text[]))")),
            {"ids": ids, "n_ids": len(ids), "n": args.questions // 20},
        )
        await conn.execute(text(INBOX), {"n": args.inbox})
    async with storage.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        # A database in steady use has been vacuumed: index-only scans can skip the table.
        await conn.execute(text("VACUUM ANALYZE"))
    print(
        f"generated {len(kb.entries):,} entries, {args.questions:,} questions, "
        f"{args.questions // 20:,} feedback, {args.inbox:,} open inbox items "
        f"in {time.perf_counter() - started:.1f} s"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def login(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(base + "/staff/login") as r:
        page = await r.text()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    async with http.post(
        base + "/staff/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": base},
    ) as r:
        page = await r.text()
        assert r.status == 200 and "/staff/login" not in str(r.url), page[:300]
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def time_pages(
    base: str, rounds: int, kb: KnowledgeBase
) -> list[tuple[str, float, float, float]]:
    jar = aiohttp.CookieJar(unsafe=True)
    results = []
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        csrf = await login(http, base)
        entry = kb.entries[-1]
        from bot.console.web.entry_form import fields_of

        trial_form = {
            **fields_of(entry),
            "tests": "\n".join(entry.phrasings[:3]),
            "csrf_token": csrf,
        }
        trial_form["alternates"] += "\nmột cách hỏi mới để thử"
        new_form = {**trial_form, "id": entry.id + "_moi", "status": "draft"}
        pages: list[tuple[str, str, dict[str, str] | None]] = [
            ("overview 30 days", "/staff?days=30", None),
            ("overview 7 days", "/staff?days=7", None),
            ("inbox newest", "/staff/inbox", None),
            ("inbox most asked", "/staff/inbox?sort=frequent", None),
            ("inbox page 100", "/staff/inbox?sort=frequent&page=100", None),
            ("knowledge list", "/staff/knowledge", None),
            ("knowledge search", "/staff/knowledge?q=tai+khoan", None),
            ("knowledge stale", "/staff/knowledge?stale=1&page=20", None),
            ("entry editor", f"/staff/knowledge/{entry.id}", None),
            ("trial (3 questions)", "/staff/knowledge/trial", trial_form),
            ("trial, a new entry", "/staff/knowledge/trial", new_form),
            ("broadcasts", "/staff/broadcasts", None),
            ("accounts", "/staff/accounts", None),
        ]
        for name, path, form in pages:
            timings = []
            for _ in range(rounds + 2):
                started = time.perf_counter()
                if form is None:
                    async with http.get(base + path) as r:
                        await r.read()
                else:
                    async with http.post(base + path, data=form, headers={"Origin": base}) as r:
                        await r.read()
                assert r.status == 200, (name, r.status)
                timings.append(time.perf_counter() - started)
            first, timings = timings[0], timings[2:]  # the first two fill caches
            p50, p99 = statistics.median(timings), percentile(timings, 0.99)
            results.append((name, first * 1000, p50 * 1000, p99 * 1000))
    return results


GROUP_LOG = """
SELECT max(text), count(*) AS n FROM conversations
WHERE created_at >= :since AND outcome IN ('no_match', 'ambiguous') AND NOT picked
GROUP BY normalized ORDER BY n DESC LIMIT 50
"""


async def group_log(storage: Storage, count: int) -> tuple[int, float]:
    """Group the most recent ``count`` unanswered logged questions by wording (read side)."""
    async with storage.engine.connect() as conn:
        since = (
            await conn.execute(
                text(
                    "SELECT created_at FROM conversations WHERE outcome IN ('no_match', "
                    "'ambiguous') AND NOT picked ORDER BY created_at DESC OFFSET :n LIMIT 1"
                ),
                {"n": count - 1},
            )
        ).scalar()
        rows = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM conversations WHERE created_at >= :since "
                    "AND outcome IN ('no_match', 'ambiguous') AND NOT picked"
                ),
                {"since": since},
            )
        ).scalar()
        started = time.perf_counter()
        await conn.execute(text(GROUP_LOG), {"since": since})
        return int(rows or 0), time.perf_counter() - started


async def group_writes(storage: Storage, count: int) -> float:
    """Count ``count`` unanswered questions into inbox items the way logging does (write side:
    each commit of the logging writer upserts its batch, here 1,000 questions)."""
    rng = random.Random(SEED)
    hits = [
        InboxHit("no_match", f"nhom moi {rng.randrange(count // 4)}", f"câu hỏi mới {n}")
        for n in range(count)
    ]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        async with storage.session_factory.begin() as session:
            await feed_inbox_many(session, hits[start : start + 1000])
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    schema = f"bench_console_{uuid.uuid4().hex[:8]}"
    import asyncpg

    admin = await asyncpg.connect(args.pg)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=args.pg,
        database_schema=schema,
        knowledge_dir=ROOT / "knowledge",
    )
    storage = await Storage.open(settings)
    runner: web.AppRunner | None = None
    try:
        kb = knowledge(args.entries)
        await generate(storage, kb, args)
        started = time.perf_counter()
        runtime = make_runtime(settings, await storage.knowledge.load(), storage=storage)
        print(
            f"live index over {len(kb.entries):,} entries built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        console = Console.from_runtime(runtime)
        await console.accounts.add("bench", PASSWORD, "admin", by="bench")
        app = web.Application()
        staff_console = StaffConsole(console, warm=not args.cold)
        staff_console.add_routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        if not args.cold:
            assert staff_console.app is not None
            print(f"console warm-up at start (background): {await warmed(staff_console.app):.2f} s")
        print(
            f"\n{'page':24} {'first ms':>9} {'p50 ms':>8} {'p99 ms':>8}"
            f"   (first request, then {args.rounds} each after two more, one client)"
        )
        for name, first, p50, p99 in await time_pages(base, args.rounds, kb):
            flag = "" if p99 <= 100 else "  > 100 ms"
            print(f"{name:24} {first:9.1f} {p50:8.1f} {p99:8.1f}{flag}")
        rows, seconds = await group_log(storage, args.inbox)
        print(
            f"\ninbox grouping (read side): {rows:,} unanswered logged questions grouped by "
            f"wording in {seconds:.2f} s (target ≤ 2 s)"
        )
        seconds = await group_writes(storage, args.inbox)
        print(
            f"inbox grouping (write side): {args.inbox:,} more unanswered questions counted into "
            f"{args.inbox // 4:,} groups by the logging path's upsert in {seconds:.2f} s "
            f"({seconds / args.inbox * 1e6:.0f} µs per question)"
        )
        async with storage.engine.connect() as conn:
            open_items = (
                await conn.execute(text("SELECT count(*) FROM inbox_items WHERE status = 'open'"))
            ).scalar()
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await login(http, base)
            timings = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                async with http.get(base + "/staff/inbox?sort=frequent") as r:
                    await r.read()
                timings.append(time.perf_counter() - started)
        print(
            f"inbox page over {open_items:,} open groups: "
            f"p50 {statistics.median(timings) * 1000:.1f} ms, "
            f"p99 {percentile(timings, 0.99) * 1000:.1f} ms"
        )
    finally:
        if runner is not None:
            await runner.cleanup()
        await storage.close()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--inbox", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up at start (first requests pay it)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("bot.console.web.warm").setLevel(logging.INFO)
    asyncio.run(main(parse()))
