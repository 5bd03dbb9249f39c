"""Answers per second on Telegram polling beside a bare python-telegram-bot echo bot, and memory
over many users; figures printed side by side, never judged.

    python bench/bench_throughput.py                        # throughput, then memory
    python bench/bench_throughput.py throughput --rounds 3 --total 10000
    python bench/bench_throughput.py memory --memory-total 200000 --memory-users 50000
    (memory: the echo bot, then ours; BENCH_TRACE=FILE adds what grew, by source line;
    BENCH_PARTS=FILE what malloc, SQLite and Python hold at each sample)
    python bench/bench_throughput.py memory --memory-total 30000 --memory-variants \
        "ours,storage=sqlite,sqlitecache=2000,queue=1000" "ours,storage=sqlite"  # old sizes
    TEST_DATABASE_URL=postgresql://… python bench/bench_throughput.py throughput   # + PostgreSQL

Same fake Bot API server (its own process), same run, same questions (tests/data/dev.jsonl):
the echo bot answers each text with itself; ours matches, renders, journals and logs. The
processes are those of bench/bench_telegram.py (this script drives them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_telegram import Proc, Run, memory, questions, with_bot


def variants(args: argparse.Namespace) -> list[str]:
    # Ours as shipped (an answer cache; "typing…" only for an answer slower than 0.5 s), then
    # with every question matched afresh (the bench repeats 600 questions: a cache's best case),
    # then with "typing…" before every answer (one API call more each).
    chosen = [
        "echo",
        "ours,storage=sqlite",
        "ours,cache=0,storage=sqlite",
        "ours,typing=0,storage=sqlite",
    ]
    if args.database_url:
        chosen.append("ours,storage=postgresql")
    return chosen


def figures(run: Run) -> str:
    r = run.result
    return (
        f"{r['per_second']:6.0f}/s  bot CPU {run.cpu_ms:5.2f} ms/answer  "
        f"latency p50 {r['latency_p50'] * 1000:6.0f} ms  p90 {r['latency_p90'] * 1000:6.0f} ms"
    )


async def throughput(port: int, fake_pid: int, args: argparse.Namespace, texts: list[str]) -> None:
    names = variants(args)
    print(
        f"\nThroughput: {args.users} users, {args.total} questions per run, closed loop, "
        f"polling; {args.rounds} rounds, each bot in turn on the same fake server"
    )
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(1, args.rounds + 1):
        echo = 0.0
        for name in names:
            run = await with_bot(port, fake_pid, name, args.users, args.total, texts)
            rate = run.result["per_second"]
            rates[name].append(rate)
            echo = rate if name == "echo" else echo
            ratio = f"{rate / echo:5.2f}× echo" if echo else ""
            print(f"round {round_no}  {name:<26} {figures(run)}  {ratio}", flush=True)
    echo_median = statistics.median(rates["echo"])
    print("median over rounds:")
    for name in names:
        median = statistics.median(rates[name])
        print(f"  {name:<26} {median:6.0f}/s  {median / echo_median:5.2f}× echo")


async def main_async(args: argparse.Namespace) -> None:
    texts = questions()
    fake = await Proc.spawn("fake", "--port", "0", "--rtt", "0")
    port = int((await fake.line("PORT")).split()[1])
    print(
        f"fake Bot API on 127.0.0.1:{port}; {len(texts)} questions; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    try:
        if args.command in ("all", "throughput"):
            await throughput(port, fake.process.pid, args, texts)
        if args.command in ("all", "memory"):
            args.memory_variant = (
                "ours,storage=postgresql" if args.memory_postgresql else "ours,storage=sqlite"
            )
            await memory(port, fake.process.pid, args, texts)
    finally:
        await fake.stop()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command", nargs="?", default="all", choices=("all", "throughput", "memory")
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-users", type=int, default=50_000)
    parser.add_argument("--memory-total", type=int, default=200_000)
    parser.add_argument("--memory-postgresql", action="store_true")
    parser.add_argument(
        "--memory-variants",
        nargs="+",
        help="bots measured for memory (default: echo, then ours on SQLite or PostgreSQL)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="also measure ours on this PostgreSQL (default: TEST_DATABASE_URL)",
    )
    args = parser.parse_args()
    if args.database_url:
        os.environ["BENCH_DATABASE_URL"] = args.database_url
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
