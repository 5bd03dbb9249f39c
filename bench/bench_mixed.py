"""Two web processes, a polling bot and its standby on one PostgreSQL, under mixed traffic.

    python bench/bench_mixed.py --pg postgresql://postgres@127.0.0.1:5432/test
    python bench/bench_mixed.py --pg URL --seconds 60 --rate 200 --runs nokill,kill

Starts the fake Telegram Bot API server (in this process), two ``run_bot.py --role web`` on
different WEB_PORTs, one ``--role bot`` (it takes the poller lease) and a standby ``--role bot``
on the same token, each in a schema of its own (dropped afterwards). Then, open loop, ``--rate``
questions per second for ``--seconds``: web-chat questions (POST /api/chat, each visitor
alternating between the two web ports) and Telegram questions (each from a chat of its own, so
its answers are the messages the fake server sent to that chat), half and half. In a ``kill``
run the active bot process gets SIGKILL at ``--kill-at`` seconds. After the load, answers still
due are waited for (``--settle``), then everything is stopped.

Per channel: questions sent / answered / lost / duplicated and p50 / p99 latency (web: the
response; Telegram: from the update queued to its first answer message). "Told to ask again":
a question the killed process had claimed, whose answer may or may not have left (the restart
notice went out instead; never sent twice). Takeover: from the kill to the standby's first
answer. The ``nokill`` run is the baseline, side by side. Figures are printed, never asserted.
The fake server and the load run in this process, on the same 2 cores as the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.probe_common import drop_schema, pg_schema, questions  # noqa: E402
from bot.core.texts import ASK_AGAIN_AFTER_RESTART  # noqa: E402
from tests.mixed_cluster import (  # noqa: E402
    TOKEN,
    MixedLoad,
    TrackingFake,
    cluster_env,
    figures,
    poller_pid,
    start_topology,
)


async def one_run(args: argparse.Namespace, kill: bool) -> dict[str, Any]:
    fake = TrackingFake(token=TOKEN)
    fake.keep_messages = False  # sent_at keeps what the figures need
    await fake.start()
    schema = await pg_schema(args.pg, create=True)
    env = cluster_env(fake, {"DATABASE_URL": args.pg, "DATABASE_SCHEMA": schema})
    try:
        with tempfile.TemporaryDirectory(prefix="bench_mixed_") as folder:
            topology = await start_topology(Path(folder), env)
            load = MixedLoad(fake, topology.web_bases, questions(), visitors=args.visitors)
            try:
                return await drive(args, kill, topology, fake, load, env)
            finally:
                await load.close()
                await topology.cluster.close()
    finally:
        await fake.stop()
        await drop_schema(args.pg, schema)


async def drive(
    args: argparse.Namespace,
    kill: bool,
    topology: Any,
    fake: TrackingFake,
    load: MixedLoad,
    env: dict[str, str],
) -> dict[str, Any]:
    killed_at: float | None = None

    async def killer() -> None:
        nonlocal killed_at
        await asyncio.sleep(args.kill_at)
        topology.active.kill()
        killed_at = time.monotonic()
        await topology.active.wait()

    started = time.monotonic()
    kill_task = asyncio.create_task(killer()) if kill else None
    await load.run(args.rate, args.seconds, web_share=args.web_share)
    sending = time.monotonic() - started
    if kill_task is not None:
        await kill_task
    await load.web_done()
    # Answers still due: wait until every Telegram question has a message, or --settle.
    chats = set(load.tally.telegram)
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        if chats <= {chat for _, chat, _ in fake.sent_at}:
            break
        await asyncio.sleep(0.5)
    holder = await poller_pid(env)
    # The standby first: stopping the active bot first would hand it the lease (and the
    # updates still in hand) as if the active one had died.
    for process in [topology.standby, *topology.cluster.processes]:
        if process.process is not None and process.process.returncode is None:
            await process.terminate()
    load.tally.read_fake(fake)
    result: dict[str, Any] = {
        "offered_rate": args.rate,
        "sent_rate": (len(load.tally.web) + len(load.tally.telegram)) / sending,
        "web": figures(load.tally.web),
        "telegram": figures(list(load.tally.telegram.values())),
        "conflicts": fake.conflicts,
        "standby_polls": holder == topology.standby.pid,
    }
    if killed_at is not None:
        after = [(at, text) for at, _, text in fake.sent_at if at >= killed_at]
        answers = [at for at, text in after if text != ASK_AGAIN_AFTER_RESTART]
        result["takeover_s"] = (answers[0] - killed_at) if answers else float("nan")
        result["kill_at_s"] = args.kill_at
    return result


def show(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, value: Any) -> None:
        rows.append((label, [value(results[name]) for name in names]))

    row("questions/s offered", lambda r: f"{r['offered_rate']:.0f}")
    row("questions/s sent", lambda r: f"{r['sent_rate']:.0f}")
    for channel in ("web", "telegram"):
        row(f"{channel}: sent", lambda r, c=channel: str(r[c]["sent"]))
        row(f"{channel}: answered", lambda r, c=channel: str(r[c]["answered"]))
        row(f"{channel}: lost (no answer at the end)", lambda r, c=channel: str(r[c]["lost"]))
        if channel == "telegram":
            row(f"{channel}: told to ask again", lambda r: str(r["telegram"]["told_to_ask_again"]))
        row(f"{channel}: duplicated", lambda r, c=channel: str(r[c]["duplicated"]))
        row(f"{channel}: p50 ms", lambda r, c=channel: f"{r[c]['p50_ms']:.0f}")
        row(f"{channel}: p99 ms", lambda r, c=channel: f"{r[c]['p99_ms']:.0f}")
        row(f"{channel}: failures", lambda r, c=channel: str(r[c]["failures"] or "-"))
    row(
        "killed the active bot at s", lambda r: f"{r['kill_at_s']:.0f}" if "kill_at_s" in r else "-"
    )
    row(
        "takeover s (kill → first answer)",
        lambda r: f"{r['takeover_s']:.1f}" if "takeover_s" in r else "-",
    )
    row("standby holds the lease at the end", lambda r: str(r["standby_polls"]))
    row("two pollers at once (409)", lambda r: str(r["conflicts"]))
    width = max(len(label) for label, _ in rows)
    print(f"{'':{width}}  " + "  ".join(f"{name:>14}" for name in names))
    for label, values in rows:
        print(f"{label:{width}}  " + "  ".join(f"{value:>14}" for value in values))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
        help="PostgreSQL URL (a schema of its own is created and dropped)",
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=200.0, help="questions per second")
    parser.add_argument("--web-share", type=float, default=0.5, help="share of web questions")
    parser.add_argument("--kill-at", type=float, default=None, help="seconds (default: half)")
    parser.add_argument("--visitors", type=int, default=200, help="web-chat visitors")
    parser.add_argument("--settle", type=float, default=60.0, help="max wait for late answers")
    parser.add_argument("--runs", default="nokill,kill", help="nokill (baseline), kill")
    args = parser.parse_args()
    if not args.pg:
        parser.error("--pg URL (or BENCH_DATABASE_URL) is required: this runs on PostgreSQL")
    if args.kill_at is None:
        args.kill_at = args.seconds / 2
    results: dict[str, dict[str, Any]] = {}
    for run in args.runs.split(","):
        print(f"running {run}: {args.rate:.0f} questions/s for {args.seconds:.0f} s …", flush=True)
        results[run] = await one_run(args, kill=run == "kill")
    show(results)


if __name__ == "__main__":
    asyncio.run(main())
