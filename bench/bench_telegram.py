"""Telegram channel benchmark against the fake Bot API server on loopback.

    python bench/bench_telegram.py                 # throughput, latency, then memory
    python bench/bench_telegram.py throughput --total 20000 --rounds 2
    python bench/bench_telegram.py latency --rate 100
    python bench/bench_telegram.py memory --memory-total 100000 --memory-users 10000
    BENCH_TRACE=/tmp/grew.txt python bench/bench_telegram.py memory   # + what grew, by line
    BENCH_PARTS=/tmp/parts.txt python bench/bench_telegram.py memory  # + malloc, SQLite, Python
    BENCH_READS=/tmp/reads.txt python bench/bench_telegram.py memory  # + memory read waits

Three processes: the fake server with a closed-loop load (one question outstanding per user),
the bot under test (a bare python-telegram-bot echo bot, or ours), and this orchestrator, which
also samples the bot's resident memory. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
PROJECT_ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

TOKEN = "123:abc"
FIRST_USER = 1_000_000
WARM_UP = 1000  # questions each bot answers before it is measured
# The echo reference, ours as shipped (settings defaults, SQLite storage), then what
# concurrency, "typing…" before every answer, matching every question afresh (no answer
# cache), without the heap settled out of the collector's walks, and storage cost.
DEFAULT_VARIANTS = [
    "echo",
    "ours,storage=sqlite",
    "ours,c=1,storage=sqlite",
    "ours,c=32,storage=sqlite",
    "ours,typing=0,storage=sqlite",
    "ours,cache=0,storage=sqlite",
    "ours,settle=0,storage=sqlite",
    "ours,storage=none",
]


def questions() -> list[str]:
    path = PROJECT_ROOT / "tests" / "data" / "dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [row["text"] for row in rows]


# ---------------------------------------------------------------- the bots under test


async def run_echo(base_url: str) -> None:
    """The bare reference: default Application, one reply per text message."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling()
        print("READY", flush=True)
        await stop.wait()
        await app.updater.stop()
        await app.stop()


async def run_ours(
    base_url: str,
    concurrency: int | None,
    storage: str,
    workdir: str,
    typing_delay: float | None,
    answer_cache: int | None = None,
    sqlite_cache_kib: int | None = None,
    max_queued: int | None = None,
    settle: bool = True,
) -> None:
    from bench.probe_common import drop_schema, pg_schema
    from bot.channels.telegram import runner
    from bot.channels.telegram.runner import TelegramService, quiet_http_logs
    from bot.config import Settings
    from bot.core.knowledge import load_knowledge_dir
    from bot.lifecycle import limit_malloc_arenas, settle_heap, stop_on_signals
    from bot.storage import engine

    limit_malloc_arenas()  # as run_bot.py does
    from bot.runtime import channel_context, make_runtime, open_runtime

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    quiet_http_logs()
    database_url = f"sqlite:///{workdir}/bench.db"
    schema = None
    if storage == "postgresql":
        # A schema of its own, dropped at the end (left behind only if the bot is killed).
        database_url = os.environ["BENCH_DATABASE_URL"]
        schema = await pg_schema(database_url, create=True)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        database_url=database_url,
        database_schema=schema,
        # Simulated users ask every second or two, far above human pace: keep the guard
        # evaluating every message without ever tripping it.
        flood_max_messages=50,
    )
    if typing_delay is not None:
        settings.telegram_typing_delay = typing_delay
    if concurrency is not None:
        settings.telegram_concurrent_updates = concurrency
    if answer_cache is not None:
        settings.answer_cache_size = answer_cache
    # Sizes that are constants in the code, changed here to measure them side by side.
    if sqlite_cache_kib is not None:
        engine.SQLITE_CACHE_KIB = sqlite_cache_kib
    if max_queued is not None:
        runner.MAX_QUEUED = max_queued
    if os.environ.get("BENCH_READS"):
        time_memory_reads(os.environ["BENCH_READS"])
    stop = asyncio.Event()

    async def serve(runtime: Any) -> None:
        service = TelegramService(settings, channel_context(runtime, stop))
        waiter = asyncio.create_task(service.ready.wait())

        def ready(_: object) -> None:
            if settle:
                settle_heap()  # as the app does once serving starts
            print("READY", flush=True)

        waiter.add_done_callback(ready)
        with stop_on_signals(stop):
            await service.run(stop)

    if storage in ("sqlite", "postgresql"):
        try:
            async with open_runtime(settings) as runtime:
                await serve(runtime)
        finally:
            if schema is not None:
                await drop_schema(database_url, schema)
    else:
        await serve(make_runtime(settings, load_knowledge_dir(settings.knowledge_dir)))


def time_memory_reads(path: str) -> None:
    """Time every read of the assistant's memory of a citizen (bot.core.memory: a pending
    comment before each text answer), as the answer waits for it; at exit append the
    percentiles to ``path`` (BENCH_READS)."""
    import atexit

    from bot.core.memory import UserMemory

    waits: list[float] = []
    read = UserMemory._read

    async def timed(self: UserMemory, *args: Any) -> str | None:
        started = time.perf_counter()
        try:
            return await read(self, *args)
        finally:
            waits.append(time.perf_counter() - started)

    def report() -> None:
        if not waits:
            return
        ordered = sorted(waits)
        cut = [
            ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 for q in (0.5, 0.9, 0.99)
        ]
        over = sum(w >= 1.0 for w in ordered)
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(
                f"{len(ordered)} memory reads: p50 {cut[0]:.1f} ms, p90 {cut[1]:.1f} ms, p99 "
                f"{cut[2]:.1f} ms, max {ordered[-1] * 1000:.0f} ms; {over} took 1 s or more\n"
            )

    UserMemory._read = timed  # type: ignore[method-assign]
    atexit.register(report)


def memory_parts() -> str:
    """Where this process's memory is, cheaply (no tracing): resident set, what glibc's malloc
    holds (in use / free inside its arenas: C libraries, SQLite's page caches among them), what
    SQLite itself has allocated, and Python's object allocator (pymalloc: its own mmap'd arenas,
    outside malloc's figures)."""
    import ctypes
    import ctypes.util
    import sys

    page = os.sysconf("SC_PAGE_SIZE")
    rss = int(Path("/proc/self/statm").read_text().split()[1]) * page
    parts = [f"RSS {rss / 2**20:6.1f}"]

    fields = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks")

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (*fields, "uordblks", "fordblks", "keep")]

    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
        mallinfo2.restype = MallInfo2
        info = mallinfo2()
        parts.append(
            f"malloc in use {(info.uordblks + info.hblkhd) / 2**20:6.1f} free in arenas "
            f"{info.fordblks / 2**20:5.1f}"
        )
    except (OSError, AttributeError):
        pass
    name = ctypes.util.find_library("sqlite3")
    if name:
        sqlite = ctypes.CDLL(name)
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        parts.append(f"SQLite {sqlite.sqlite3_memory_used() / 2**20:5.1f}")
    parts.append(f"Python blocks {sys.getallocatedblocks():>9}")
    return "  ".join(parts) + " (MiB)"


def parts_on_signal(path: str) -> None:
    """At each SIGUSR2 append ``memory_parts()`` to ``path`` (BENCH_PARTS)."""

    def write(signum: int, frame: object) -> None:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(memory_parts() + "\n")

    signal.signal(signal.SIGUSR2, write)


def trace_on_signal(path: str) -> None:
    """At the first SIGUSR1 start tracing allocations; at each later one append to ``path``
    the source lines whose live allocations grew most since then (how the memory bench finds
    what grows; tracing from the start would slow loading the index several times)."""
    import tracemalloc

    first: list[tracemalloc.Snapshot] = []

    def snapshot() -> tracemalloc.Snapshot:
        return tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )

    def compare(signum: int, frame: object) -> None:
        if not first:
            tracemalloc.start()
            first.append(snapshot())
            return
        stats = snapshot().compare_to(first[0], "lineno")
        with Path(path).open("a", encoding="utf-8") as out:
            grown = sum(s.size_diff for s in stats) / 2**20
            out.write(f"-- traced heap {grown:+.1f} MiB since tracing started; top lines:\n")
            for stat in stats[:25]:
                out.write(f"{stat}\n")

    signal.signal(signal.SIGUSR1, compare)


# ---------------------------------------------------------------- orchestration


class Proc:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def spawn(cls, *args: str, cwd: str | None = None) -> Proc:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, "LOG_LEVEL": "WARNING"},
        )
        return cls(process)

    async def line(self, prefix: str) -> str:
        assert self.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), 120)
            if not raw:
                raise RuntimeError(f"process ended before printing {prefix}")
            text = raw.decode().strip()
            if text.startswith(prefix):
                return text

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def control(port: int, method: str, path: str, body: Any = None) -> Any:
    import aiohttp

    url = f"http://127.0.0.1:{port}/_load/{path}"
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3600)) as http,
        http.request(method, url, json=body) as response,
    ):
        return await response.json()


@dataclass
class Rss:
    """A process's resident memory over one load: sampled at every tenth of the questions
    answered (printed as they come when ``label`` is set), and its peak over all polls."""

    pid: int
    label: str = ""
    trace: bool = False
    samples: list[tuple[int, float]] = field(default_factory=list)
    peak: float = 0.0

    def now(self) -> float:
        import psutil

        rss = float(psutil.Process(self.pid).memory_info().rss) / 2**20
        self.peak = max(self.peak, rss)
        return rss

    def sample(self, answered: int) -> None:
        rss = self.now()
        self.samples.append((answered, rss))
        if self.label:
            print(
                f"  {self.label:<22} RSS after {answered:>7} questions: {rss:6.1f} MiB", flush=True
            )
        if self.trace:
            os.kill(self.pid, signal.SIGUSR1)
        if os.environ.get("BENCH_PARTS"):
            os.kill(self.pid, signal.SIGUSR2)


async def drive(
    port: int,
    users: int,
    total: int,
    texts: list[str],
    rss: Rss | None = None,
    burst: bool = False,
    rate: float = 0.0,
) -> dict[str, Any]:
    """Run one load; optionally watch a process's RSS (see Rss)."""
    user_ids = list(range(FIRST_USER, FIRST_USER + users))
    body = {"users": user_ids, "total": total, "questions": texts, "burst": burst, "rate": rate}
    await control(port, "POST", "start", body)
    if rss is not None:
        step, mark = max(total // 10, 1), 0
        while mark < total:
            status = await control(port, "GET", "status")
            rss.now()
            if status["answered"] >= mark + step or status["answered"] >= total:
                mark = status["answered"] - status["answered"] % step
                rss.sample(status["answered"])
            await asyncio.sleep(0.2)
    result: dict[str, Any] = await control(port, "GET", "result")
    return result


@dataclass
class Run:
    result: dict[str, Any]
    cpu_ms: float  # bot process CPU per answered update
    fake_cpu_ms: float
    rss_ready: float  # when the bot is ready, before the warm-up
    rss_before: float  # after the warm-up: where the memory bench starts
    rss: Rss


def variant_args(variant: str) -> list[str]:
    """'echo' or 'ours,c=4,typing=0.3,storage=sqlite' → bot command-line arguments."""
    kind, *options = variant.split(",")
    args = ["--kind", kind]
    names = {
        "c": "--concurrency",
        "typing": "--typing-delay",
        "storage": "--storage",
        "cache": "--answer-cache",
        "sqlitecache": "--sqlite-cache-kib",
        "queue": "--max-queued",
        "settle": "--settle-heap",
    }
    for option in options:
        key, value = option.split("=")
        args += [names[key], value]
    return args


async def with_bot(
    port: int,
    fake_pid: int,
    variant: str,
    users: int,
    total: int,
    texts: list[str],
    *,
    burst: bool = False,
    rate: float = 0.0,
    rss: str = "",
    trace: bool = False,
) -> Run:
    """Start the bot, warm it up (1,000 questions from up to 200 users), then run the load.
    With ``rss`` (a label) its memory is printed at every tenth of the load."""
    import psutil

    with tempfile.TemporaryDirectory() as workdir:
        base_url = f"http://127.0.0.1:{port}/bot"
        bot = await Proc.spawn(
            "bot", "--base-url", base_url, *variant_args(variant), "--workdir", workdir, cwd=workdir
        )
        try:
            await bot.line("READY")
            watch = Rss(bot.process.pid, rss, trace)
            ready = watch.now()
            await drive(port, min(users, 200), WARM_UP, texts)  # connections, caches
            proc, fake = psutil.Process(bot.process.pid), psutil.Process(fake_pid)
            watch.peak = 0.0
            before = watch.now()
            if trace:
                proc.send_signal(signal.SIGUSR1)
            if os.environ.get("BENCH_PARTS"):
                proc.send_signal(signal.SIGUSR2)
            cpu0, fake0 = sum(proc.cpu_times()[:2]), sum(fake.cpu_times()[:2])
            result = await drive(port, users, total, texts, watch if rss else None, burst, rate)
            cpu = (sum(proc.cpu_times()[:2]) - cpu0) * 1000 / total
            fake_cpu = (sum(fake.cpu_times()[:2]) - fake0) * 1000 / total
        finally:
            await bot.stop()
    return Run(result, cpu, fake_cpu, ready, before, watch)


def line(name: str, run: Run, echo: float | None) -> str:
    r = run.result
    ratio = f"{r['per_second'] / echo:5.2f}×" if echo else "   — "
    return (
        f"{name:<36} {r['per_second']:6.0f}/s {ratio}  bot CPU {run.cpu_ms:5.2f} ms/update"
        f"  (fake {run.fake_cpu_ms:4.2f})  latency p50 {r['latency_p50'] * 1000:6.0f} ms"
        f"  p90 {r['latency_p90'] * 1000:6.0f} ms  (fetched → answered p50 "
        f"{r['service_p50'] * 1000:4.0f} ms)"
    )


async def orchestrate(args: argparse.Namespace) -> None:
    texts = questions()
    fake = await Proc.spawn("fake", "--port", "0", "--rtt", str(args.rtt))
    port = int((await fake.line("PORT")).split()[1])
    print(
        f"fake Bot API on 127.0.0.1:{port} (own process, {args.rtt * 1000:.0f} ms added per "
        f"call); {len(texts)} real questions from tests/data/dev.jsonl; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    try:
        if args.command in ("throughput", "all"):
            await throughput(port, fake.process.pid, args, texts)
        if args.command in ("latency", "all"):
            await latency(port, fake.process.pid, args, texts)
        if args.command in ("memory", "all"):
            await memory(port, fake.process.pid, args, texts)
    finally:
        await fake.stop()


async def throughput(port: int, fake_pid: int, args: argparse.Namespace, texts: list[str]) -> None:
    load = "burst (all queued at once)" if args.burst else "closed loop (one question each)"
    print(
        f"\nThroughput: {args.users} users, {args.total} text updates per run, polling, {load}; "
        "ratio is against the echo bot of the same round"
    )
    runs: dict[str, list[Run]] = {v: [] for v in args.variants}
    for round_no in range(1, args.rounds + 1):
        print(f"-- round {round_no}", flush=True)
        echo: float | None = None
        for variant in args.variants:
            run = await with_bot(
                port, fake_pid, variant, args.users, args.total, texts, burst=args.burst
            )
            runs[variant].append(run)
            if variant == "echo":
                echo = run.result["per_second"]
            print(line(variant, run, echo), flush=True)
    if args.rounds > 1 and "echo" in runs:
        echo_median = statistics.median(r.result["per_second"] for r in runs["echo"])
        print("-- median over rounds")
        for variant, done in runs.items():
            rates = [r.result["per_second"] for r in done]
            cpu = statistics.median(r.cpu_ms for r in done)
            p50 = statistics.median(r.result["latency_p50"] for r in done) * 1000
            print(
                f"{variant:<36} {statistics.median(rates):6.0f}/s "
                f"{statistics.median(rates) / echo_median:5.2f}×  bot CPU {cpu:5.2f} ms/update"
                f"  latency p50 {p50:6.0f} ms"
            )


async def latency(port: int, fake_pid: int, args: argparse.Namespace, texts: list[str]) -> None:
    total = int(args.rate * args.latency_seconds)
    print(
        f"\nLatency: {args.rate:.0f} questions/s arriving at a steady pace (open loop) from "
        f"{args.users} users for {args.latency_seconds:.0f} s; question sent → answer received"
    )
    for variant in args.latency_variants:
        run = await with_bot(port, fake_pid, variant, args.users, total, texts, rate=args.rate)
        r = run.result
        print(
            f"{variant:<36} p50 {r['latency_p50'] * 1000:6.1f} ms  p90 "
            f"{r['latency_p90'] * 1000:6.1f} ms  ({r['per_second']:.0f}/s answered, bot CPU "
            f"{run.cpu_ms:.2f} ms/update)",
            flush=True,
        )


async def memory(port: int, fake_pid: int, args: argparse.Namespace, texts: list[str]) -> None:
    """RSS over many questions from many users, for each variant in turn (the bare echo bot
    first: what python-telegram-bot and the load cost by themselves)."""
    print(
        f"\nMemory: {args.memory_total} questions from {args.memory_users} distinct users, "
        f"closed loop. Start = RSS after a warm-up of {WARM_UP} questions from 200 users (the "
        "index is loaded by then, and the HTTP and database connections are open); peak = the "
        "largest RSS polled every 0.2 s after that; end = after the last answer."
    )
    variants = args.memory_variants or ["echo", args.memory_variant]
    runs: dict[str, Run] = {}
    for variant in variants:
        started = time.perf_counter()
        run = await with_bot(
            port,
            fake_pid,
            variant,
            args.memory_users,
            args.memory_total,
            texts,
            rss=variant,
            trace=bool(os.environ.get("BENCH_TRACE")),
        )
        runs[variant] = run
        print(
            f"  {variant:<22} {run.result['per_second']:.0f} questions/s, bot CPU "
            f"{run.cpu_ms:.2f} ms/question, {time.perf_counter() - started:.0f} s in all",
            flush=True,
        )
    print(f"{'':<24}{'ready':>8}{'start':>8}{'peak':>8}{'end':>8}   end vs start  peak vs start")
    for variant, run in runs.items():
        start, peak = run.rss_before, run.rss.peak
        end = run.rss.samples[-1][1] if run.rss.samples else start
        print(
            f"{variant:<24}{run.rss_ready:8.1f}{start:8.1f}{peak:8.1f}{end:8.1f}"
            f"   {(end - start) / start * 100:+11.1f} %{(peak - start) / start * 100:+13.1f} %"
        )
    print("(MiB)")
    if "echo" in runs:
        print(
            "The echo bot reads every waiting update into memory (python-telegram-bot's update "
            "queue has no bound), so its RSS follows how many users wait at once; ours stops "
            "reading past a bounded number waiting (bot.core.dispatch)."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    for name in ("all", "throughput", "latency", "memory"):
        p = sub.add_parser(name)
        p.add_argument("--users", type=int, default=1000)
        p.add_argument("--total", type=int, default=20_000)
        p.add_argument("--rounds", type=int, default=2)
        p.add_argument("--burst", action="store_true", help="queue every update at once")
        p.add_argument("--rtt", type=float, default=0.0, help="seconds added to each API call")
        p.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS)
        p.add_argument("--rate", type=float, default=100.0, help="latency: questions/s")
        p.add_argument("--latency-seconds", type=float, default=30.0)
        p.add_argument("--latency-variants", nargs="+", default=["echo", "ours,storage=sqlite"])
        p.add_argument("--memory-users", type=int, default=10_000)
        p.add_argument("--memory-total", type=int, default=100_000)
        p.add_argument("--memory-variant", default="ours,storage=sqlite")
        p.add_argument("--memory-variants", nargs="+", help="default: echo, then --memory-variant")
    fake = sub.add_parser("fake")
    fake.add_argument("--port", type=int, default=0)
    fake.add_argument("--rtt", type=float, default=0.0)
    bot = sub.add_parser("bot")
    bot.add_argument("--kind", choices=("echo", "ours"), required=True)
    bot.add_argument("--base-url", required=True)
    bot.add_argument("--concurrency", type=int, default=None)
    bot.add_argument("--storage", choices=("sqlite", "postgresql", "none"), default="sqlite")
    bot.add_argument("--workdir", default=".")
    bot.add_argument("--typing-delay", type=float, default=None)
    bot.add_argument("--answer-cache", type=int, default=None, help="ANSWER_CACHE_SIZE")
    bot.add_argument("--sqlite-cache-kib", type=int, default=None, help="SQLite page cache")
    bot.add_argument("--max-queued", type=int, default=None, help="updates waiting, at most")
    bot.add_argument("--settle-heap", type=int, default=1, help="0: no gc.freeze once ready")
    args = parser.parse_args()
    if args.command == "fake":
        from bench.telegram_load import serve

        asyncio.run(serve(args.port, args.rtt))
    elif args.command == "bot":
        if os.environ.get("BENCH_TRACE"):
            trace_on_signal(os.environ["BENCH_TRACE"])
        if os.environ.get("BENCH_PARTS"):
            parts_on_signal(os.environ["BENCH_PARTS"])
        if args.kind == "echo":
            asyncio.run(run_echo(args.base_url))
        else:
            asyncio.run(
                run_ours(
                    args.base_url,
                    args.concurrency,
                    args.storage,
                    args.workdir,
                    args.typing_delay,
                    args.answer_cache,
                    args.sqlite_cache_kib,
                    args.max_queued,
                    bool(args.settle_heap),
                )
            )
    else:
        if args.command is None:
            args = parser.parse_args(["all"])
        asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
