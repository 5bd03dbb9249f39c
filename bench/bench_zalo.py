"""Zalo channel benchmark against fake servers on loopback, beside Telegram in the same run.

    python bench/bench_zalo.py                    # answers, latency, then the broadcast
    python bench/bench_zalo.py answers --total 3000 --latency-seconds 30
    python bench/bench_zalo.py answers --latency-seconds 0   # closed loop only
    python bench/bench_zalo.py broadcast --subscribers 10000
    python bench/bench_zalo.py answers --latency-seconds 0 --polling-only --profile stacks.txt

Diagnostics (environment of the bot under test): BENCH_COUNT_SQL=1 prints its statements by
kind at the end, with its pool checkouts, its trips to SQLite's thread and its writes and
grouped reads by work, BENCH_COUNT_CALLS=1 its calls to Zalo by method and the asyncio tasks
it created by coroutine, BENCH_GC=1 its
garbage collections, BENCH_SETTLE=0 leaves its heap unsettled (the app settles it once
serving starts: lifecycle.settle_heap), BENCH_WITHOUT=journal,flood,state runs it without
those database parts. "bot CPU" is the bot
process's CPU time per answer during the run (Linux /proc).

Answers: two references, each a bare echo bot in its own process: "bare aiohttp echo" (plain
aiohttp, hand-written: poll, send each text back beside the next poll, kept-alive connections)
and "SDK echo (python-zalo-bot)", the Zalo Bot SDK on PyPI (a third-party fork of
python-telegram-bot; nothing shows Zalo publishes it) used as its README shows
(ApplicationBuilder, MessageHandler, run_polling: one update at a time, a new connection per
call; see run_sdk_echo), the Zalo analogue of bench_telegram's python-telegram-bot echo bot.
Then our bot (SQLite storage, settings defaults) in its own process, the fake Zalo Bot API with
a closed-loop load in another (bench/zalo_load.py), through Zalo polling (getUpdates hands out
one update per call), with its ratio to both references (--polling-only stops there), through
the Zalo webhook (the fake POSTs every question), and through Telegram
(bench/bench_telegram.py's fake and bot): answers per second, then p50/p99 latency at a steady
50 questions per second. Only questions whose Zalo answer is one message are asked, so
"answered" means the whole answer arrived.

Broadcast: 10,000 subscribers, half on Telegram and half on Zalo, one announcement run, each
channel at its configured rate (Telegram 25/s, the default; Zalo configured at 25/s) while its
fake enforces the limit (Zalo: the rate, plus one, in any second; Telegram: 30/s, bench_broadcast's
fake); then Zalo's shipped default (5/s) on a shorter sample. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

FIRST_USER = 3_000_000
QUESTION_POOL = 400
MODES_OURS = ("polling", "webhook")
MODES_REFERENCE = ("echo", "sdk-echo")


# ---------------------------------------------------------------- the bot under test


async def run_bot(base_url: str, mode: str, workdir: str, port: int) -> None:
    from bot.channels.zalo import ZaloChannel
    from bot.config import Settings
    from bot.lifecycle import settle_heap, stop_on_signals
    from bot.runtime import channel_context, open_runtime
    from bot.web.server import HttpServer
    from tests.fakes.zalo_server import TOKEN

    webhook = mode == "webhook"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        zalo_bot_token=TOKEN,
        zalo_api_base_url=base_url,
        database_url=f"sqlite:///{workdir}/bench.db",
        zalo_webhook_url=f"http://127.0.0.1:{port}/zalo" if webhook else None,
        zalo_webhook_secret="bench-webhook-secret" if webhook else None,
        flood_max_messages=50,  # as bench_telegram: a closed-loop user asks faster than a person
    )
    stop = asyncio.Event()
    statements = count_statements() if os.environ.get("BENCH_COUNT_SQL") else None
    calls = count_calls() if os.environ.get("BENCH_COUNT_CALLS") else None
    async with open_runtime(settings) as runtime:
        context = without(channel_context(runtime, stop), os.environ.get("BENCH_WITHOUT", ""))
        channel = ZaloChannel.from_settings(settings, context)
        server = HttpServer("127.0.0.1", port)
        server.mount(channel)
        if webhook:
            await server.start()
        with stop_on_signals(stop):
            await channel.start()
            await channel.ready.wait()
            collections = gc_timer() if os.environ.get("BENCH_GC") else None
            if os.environ.get("BENCH_SETTLE", "1") != "0":
                settle_heap()  # as the app does once serving starts
            print("READY", flush=True)
            await stop.wait()
            if collections is not None:
                print(f"GC {collections}", file=sys.stderr)
            await channel.stop()
        await server.stop()
    if statements is not None:
        for kind, count in statements.most_common():
            print(f"SQL {count:7d}  {kind}", file=sys.stderr)
    if calls is not None:
        for kind, count in calls.most_common():
            print(f"CALLS {count:7d}  {kind}", file=sys.stderr)


def without(context: Any, parts: str) -> Any:
    """The channel context with some of the database's parts taken out (BENCH_WITHOUT=journal,
    flood,state), to see what each costs per answer; never for a figure of ours."""
    import dataclasses

    from bot.core.chat_state import MemoryChatState

    names = set(filter(None, parts.split(",")))
    unknown = names - {"journal", "flood", "state"}
    if unknown:
        raise SystemExit(f"BENCH_WITHOUT: unknown {sorted(unknown)}")
    if "journal" in names:
        context = dataclasses.replace(context, journal=None)
    if "flood" in names:
        context = dataclasses.replace(context, flood=None)
    if "state" in names:
        context = dataclasses.replace(context, chat_state=MemoryChatState())
    return context


def gc_timer() -> dict[int, list[float]]:
    """Collections per generation: how many, and the seconds they took (BENCH_GC=1)."""
    spent: dict[int, list[float]] = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
    started = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[info["generation"]][0] += 1
            spent[info["generation"]][1] += time.perf_counter() - started[0]

    gc.callbacks.append(timed)
    return spent


def count_statements() -> Any:
    """Statements the bot sends to the database, by their first words (BENCH_COUNT_SQL=1)."""
    from collections import Counter

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    counts: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def counted(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts[" ".join(statement.split()[:4])[:60]] += 1

    @event.listens_for(Engine, "commit")
    def committed(conn: Any) -> None:
        counts["COMMIT"] += 1

    @event.listens_for(Pool, "checkout")
    def checked_out(*args: Any) -> None:
        counts["(pool checkout)"] += 1

    @event.listens_for(Pool, "reset")
    def reset(*args: Any) -> None:
        counts["(pool reset on return)"] += 1

    # Every trip to a SQLite connection's thread (aiosqlite runs each call there), also the
    # answer path's own (storage.sqlite_direct), which SQLAlchemy's events do not see.
    import aiosqlite

    execute = aiosqlite.Connection._execute

    async def trip(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts["(trips to the SQLite thread)"] += 1
        return await execute(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = trip  # type: ignore[method-assign]

    # Writes submitted to the group-commit writer and reads to the grouped readers, by work.
    from bot.storage.batch import GroupCommit, GroupRead

    submit, get = GroupCommit.submit, GroupRead.get

    async def submitted(self: Any, work: Any, item: Any) -> Any:
        counts[f"(write) {getattr(work, '__qualname__', work)}"] += 1
        return await submit(self, work, item)

    async def read(self: Any, key: Any) -> Any:
        counts[f"(read) {getattr(self._read_many, '__qualname__', self._read_many)}"] += 1
        return await get(self, key)

    GroupCommit.submit = submitted  # type: ignore[method-assign]
    GroupRead.get = read  # type: ignore[method-assign]
    return counts


def count_calls() -> Any:
    """Calls to Zalo by method, and asyncio tasks created, by the coroutine each runs
    (BENCH_COUNT_CALLS=1)."""
    from collections import Counter

    from bot.channels.zalo.client import ZaloClient

    counts: Counter[str] = Counter()
    call = ZaloClient.call

    async def counted(self: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        counts[f"(zalo) {method}"] += 1
        return await call(self, method, *args, **kwargs)

    ZaloClient.call = counted  # type: ignore[method-assign]

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        counts[f"(task) {getattr(coro, '__qualname__', type(coro).__name__)}"] += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    asyncio.get_running_loop().set_task_factory(factory)
    return counts


async def run_echo(base_url: str) -> None:
    """The bare reference: getUpdates in a loop (one update per call, as Zalo hands them
    out), each text sent back with sendMessage beside the next poll; plain aiohttp."""
    import aiohttp

    from bot.channels.zalo.updates import polled
    from tests.fakes.zalo_server import TOKEN

    prefix = f"{base_url}{TOKEN}/"
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    replies: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=18)  # as ours: HTTP_POOL + 2 connections
    async with aiohttp.ClientSession(connector=connector) as http:

        async def reply(update: dict[str, Any]) -> None:
            message = update.get("message") or {}
            chat = (message.get("chat") or {}).get("id") or (message.get("from") or {}).get("id")
            body = {"chat_id": chat, "text": message.get("text") or "?"}
            async with http.post(prefix + "sendMessage", json=body) as response:
                await response.read()

        async def poll() -> None:
            while not stop.is_set():
                async with http.post(prefix + "getUpdates", json={"timeout": 25}) as response:
                    envelope = await response.json()
                if not envelope.get("ok"):
                    continue
                for update in polled(envelope.get("result")):
                    task = asyncio.create_task(reply(update))
                    replies.add(task)
                    task.add_done_callback(replies.discard)

        polling = asyncio.create_task(poll())
        print("READY", flush=True)
        await stop.wait()
        polling.cancel()
        await asyncio.gather(polling, *replies, return_exceptions=True)


def run_sdk_echo(base_url: str) -> None:
    """The SDK reference: a bare echo bot written as python-zalo-bot's README shows
    (ApplicationBuilder, a MessageHandler for text that is not a command, run_polling), pointed
    at the fake. The SDK's loop is its own: one getUpdates (timeout 30), the handler awaited
    (one sendMessage), then the next getUpdates; a second's sleep only after an empty poll. Its
    HTTP client (httpx) posts urlencoded forms with ``Connection: close``, a new connection per
    call. None of that is configurable through its documented API, so none is changed here."""
    from zalo_bot import Update
    from zalo_bot.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    from tests.fakes.zalo_server import TOKEN

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    # The SDK builds ``{base_url}/bot{token}/{method}``; ours takes the base up to "/bot".
    app = ApplicationBuilder().token(TOKEN).base_url(base_url.removesuffix("/bot")).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    print("READY", flush=True)
    app.run_polling()  # until SIGTERM ends the process


# ---------------------------------------------------------------- processes


class Proc:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def spawn(cls, *args: str, cwd: str | None = None) -> Proc:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            cwd=cwd or str(ROOT),
            env={**os.environ, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)},
        )
        return cls(process)

    async def line(self, prefix: str) -> str:
        assert self.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), 120)
            if not raw:
                raise RuntimeError(f"process ended before printing {prefix}")
            text = raw.decode().strip()
            if prefix in text:
                return text

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def http_json(url: str, body: Any = None, method: str = "GET") -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=1800) as response:
        return json.loads(response.read())


async def control(port: int, path: str, body: Any = None) -> Any:
    method = "GET" if body is None else "POST"
    url = f"http://127.0.0.1:{port}/_load/{path}"
    return await asyncio.to_thread(http_json, url, body, method)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sampled(pid: int, profile: str) -> asyncio.subprocess.Process | None:
    """py-spy sampling the bot from outside (no overhead in the bot) when ``profile`` is set:
    the stacks of the thread holding the GIL, collapsed, go there (``pip install py-spy``)."""
    if not profile:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    args = (
        "record",
        "-p",
        str(pid),
        "-r",
        "250",
        "-f",
        "raw",
        "-o",
        profile,
        "--gil",
        "--nonblocking",
    )
    return await asyncio.create_subprocess_exec(
        str(spy), *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- answers


async def single_message_questions() -> list[str]:
    """dev.jsonl questions whose Zalo answer (after a greeting) fits one message."""
    from bot.channels.text_choices import numbered
    from bot.channels.zalo.render import for_zalo, split
    from bot.config import Settings
    from bot.core.knowledge import load_knowledge_dir
    from bot.core.messages import IncomingMessage
    from bot.runtime import make_runtime

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    runtime = make_runtime(settings, load_knowledge_dir(settings.knowledge_dir))
    path = ROOT / "tests" / "data" / "dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    kept: list[str] = []
    for row in rows:
        text = str(row["text"])
        if text.strip().isdigit():
            continue
        reply = await runtime.assistant.handle(IncomingMessage("zalo", "b", "b", text=text))
        if len(split(numbered(for_zalo(reply)))) == 1:
            kept.append(text)
        if len(kept) >= QUESTION_POOL:
            break
    return kept


async def zalo_run(
    mode: str, users: int, total: int, texts: list[str], rate: float = 0.0, profile: str = ""
) -> dict[str, Any]:
    fake = await Proc.spawn(str(SCRIPT), "fake")
    try:
        port = int((await fake.line("PORT")).split()[1])
        with tempfile.TemporaryDirectory() as workdir:
            bot = await Proc.spawn(
                str(SCRIPT),
                "bot",
                "--mode",
                mode,
                "--base-url",
                f"http://127.0.0.1:{port}/bot",
                "--workdir",
                workdir,
                "--port",
                str(free_port()),
                cwd=workdir,
            )
            try:
                await bot.line("READY")
                ids = [str(FIRST_USER + i) for i in range(users)]
                # Every user greeted once (the automated-assistant notice), as in real use.
                await control(
                    port, "start", {"users": ids, "total": users, "questions": ["xin chào"]}
                )
                await control(port, "result")
                body = {"users": ids, "total": total, "questions": texts, "rate": rate}
                cpu = cpu_seconds(bot.process.pid)
                spy = await sampled(bot.process.pid, profile) if mode in MODES_OURS else None
                await control(port, "start", body)
                result = dict(await control(port, "result"))
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    await spy.wait()
                result["cpu_ms"] = (cpu_seconds(bot.process.pid) - cpu) * 1000 / total
                return result
            finally:
                await bot.stop()
    finally:
        await fake.stop()


async def telegram_run(
    users: int, total: int, texts: list[str], rate: float = 0.0
) -> dict[str, Any]:
    from bench import bench_telegram

    fake = await bench_telegram.Proc.spawn("fake", "--port", "0", "--rtt", "0")
    try:
        port = int((await fake.line("PORT")).split()[1])
        run = await bench_telegram.with_bot(
            port, fake.process.pid, "ours,storage=sqlite", users, total, texts, rate=rate
        )
        return dict(run.result)
    finally:
        await fake.stop()


async def sdk_run(users: int, total: int, texts: list[str]) -> dict[str, Any] | None:
    """The SDK echo bot's run, or None (with a note) where python-zalo-bot is not installed."""
    import importlib.util

    if importlib.util.find_spec("zalo_bot") is None:
        print("SDK echo: python-zalo-bot is not installed (pip install -e '.[dev]')", flush=True)
        return None
    return await zalo_run("sdk-echo", users, total, texts)


def show_answers(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:<28} {r['per_second']:7.1f} answers/s   latency p50 {r['latency_p50'] * 1000:7.1f}"
        f" ms  p99 {r.get('latency_p99', 0.0) * 1000:7.1f} ms  ({r['answered']} answered)"
        + (f"  bot CPU {r['cpu_ms']:.2f} ms/answer" if "cpu_ms" in r else ""),
        flush=True,
    )


async def answers(args: argparse.Namespace) -> None:
    texts = await single_message_questions()
    print(
        f"\nAnswers: {len(texts)} real questions from tests/data/dev.jsonl (one-message answers), "
        f"{args.users} users, SQLite storage, bot and fake in their own processes; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"-- closed loop (one question outstanding per user), {args.total} questions")
    echo = await zalo_run("echo", args.users, args.total, texts)
    show_answers("bare aiohttp echo", echo)
    sdk = await sdk_run(args.users, args.total, texts)
    if sdk is not None:
        show_answers("SDK echo (python-zalo-bot)", sdk)
    ours = await zalo_run("polling", args.users, args.total, texts, profile=args.profile)
    show_answers("Zalo polling", ours)
    print(f"{'':28} {ours['per_second'] / echo['per_second']:7.2f}× the bare aiohttp echo")
    if sdk is not None:
        print(f"{'':28} {ours['per_second'] / sdk['per_second']:7.2f}× the SDK echo", flush=True)
    if args.profile:
        print(f"{'':28} (py-spy's stacks of the bot: {args.profile})", flush=True)
    if args.polling_only:
        return
    show_answers("Zalo webhook", await zalo_run("webhook", args.users, args.total, texts))
    show_answers("Telegram polling", await telegram_run(args.users, args.total, texts))
    if args.latency_seconds <= 0:
        return
    total = int(args.rate * args.latency_seconds)
    print(f"-- steady {args.rate:.0f} questions/s for {args.latency_seconds:.0f} s ({total})")
    show_answers("Zalo polling", await zalo_run("polling", args.users, total, texts, args.rate))
    show_answers("Zalo webhook", await zalo_run("webhook", args.users, total, texts, args.rate))
    show_answers("Telegram polling", await telegram_run(args.users, total, texts, args.rate))


# ---------------------------------------------------------------- broadcast


class ZaloFakeProcess:
    """tests/fakes/zalo_server.py in a child process enforcing ``rate`` messages per second."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.proc: Proc | None = None
        self.port = 0

    async def __aenter__(self) -> ZaloFakeProcess:
        args = ("-m", "tests.fakes.zalo_server", "--port", "0", "--rate", str(self.rate))
        self.proc = await Proc.spawn(*args)
        url = (await self.proc.line("fake Zalo Bot API at")).split()[5]
        self.port = int(url.split(":")[2].split("/")[0])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        await self.proc.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stats(self) -> dict[str, Any]:
        return dict(await asyncio.to_thread(http_json, f"http://127.0.0.1:{self.port}/_stats"))


async def broadcast_run(
    subscribers: int, telegram_rate: float, telegram_limit: float, zalo_rate: float
) -> None:
    from bench.bench_broadcast import FakeServer
    from bot.broadcast.options import default_in_flight
    from bot.broadcast.service import BroadcastService
    from bot.channels.telegram.broadcast import TelegramSender
    from bot.channels.zalo.broadcast import ZaloSender
    from bot.config import Settings
    from bot.storage import Storage
    from tests.broadcast.helpers import add_subscribers, options
    from tests.fakes.bot_api_limits import TOKEN
    from tests.fakes.zalo_server import TOKEN as ZALO_TOKEN

    half = subscribers // 2
    with tempfile.TemporaryDirectory() as workdir:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{workdir}/broadcast.db",
            knowledge_dir=ROOT / "tests" / "data" / "storage_kb",
        )
        storage = await Storage.open(settings)
        try:
            sessions = storage.session_factory
            await add_subscribers(sessions, subscribers - half, first=10_000_000)
            await add_subscribers(sessions, half, first=20_000_000, channel="zalo")
            async with FakeServer(telegram_limit, []) as tg, ZaloFakeProcess(zalo_rate) as zalo:
                opts = options(
                    rate=telegram_rate,
                    paid_broadcast=telegram_rate > 30,
                    max_in_flight=default_in_flight(telegram_rate),
                    poll_interval=1.0,
                )
                senders = {
                    "telegram": TelegramSender(
                        TOKEN, tg.base_url, pool_size=opts.max_in_flight + 2
                    ),
                    "zalo": ZaloSender(
                        ZALO_TOKEN,
                        zalo.base_url,
                        pool_size=default_in_flight(zalo_rate) + 2,
                        rate=zalo_rate,
                    ),
                }
                service = BroadcastService(sessions, opts, senders)
                await service.start()
                try:
                    run_id = await service.create_announcement("Thông báo thử tải", "bench")
                    started = time.perf_counter()
                    report = await service.deliver(run_id)
                    wall = time.perf_counter() - started
                finally:
                    await service.close()
                tg_stats, zalo_stats = await tg.stats(), await zalo.stats()
        finally:
            await storage.close()
    print(
        f"{subscribers} subscribers ({subscribers - half} Telegram, {half} Zalo) in {wall:.0f} s:"
        f" sent {report.sent}, failed {report.failed}, unknown {report.unknown}, {report.status}"
    )
    for name, stats, rate, limit in (
        ("Telegram", tg_stats, telegram_rate, telegram_limit),
        ("Zalo", zalo_stats, zalo_rate, zalo_rate),
    ):
        limited = stats["rate_limited"] + stats.get("chat_limited", 0)
        print(
            f"  {name:<9} configured {rate:6.1f}/s  achieved {stats['achieved_rate']:7.2f}/s "
            f"({stats['achieved_rate'] / rate:6.1%})  most in any second {stats['max_per_second']}"
            f" (fake limit {limit:g})  429s {limited}  duplicates {stats['duplicates']}",
            flush=True,
        )


async def broadcast(args: argparse.Namespace) -> None:
    print(
        f"\nBroadcast across Telegram and Zalo, one announcement run, SQLite: Telegram at "
        f"TELEGRAM_BROADCAST_RATE={args.telegram_rate:g}/s under a {args.telegram_limit:g}/s fake "
        f"limit, Zalo at ZALO_BROADCAST_RATE={args.zalo_rate:g}/s under a fake enforcing "
        f"{args.zalo_rate:g}/s"
    )
    await broadcast_run(args.subscribers, args.telegram_rate, args.telegram_limit, args.zalo_rate)
    print("\nZalo's shipped default (ZALO_BROADCAST_RATE 5/s) beside Telegram's 25/s, shorter")
    await broadcast_run(args.default_subscribers, 25.0, 30.0, 5.0)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    for name in ("all", "answers", "broadcast"):
        p = sub.add_parser(name)
        p.add_argument("--users", type=int, default=200)
        p.add_argument("--total", type=int, default=3000)
        p.add_argument("--rate", type=float, default=50.0)
        p.add_argument("--latency-seconds", type=float, default=30.0)
        p.add_argument("--subscribers", type=int, default=10_000)
        p.add_argument("--telegram-rate", type=float, default=25.0)
        p.add_argument("--telegram-limit", type=float, default=30.0)
        p.add_argument("--zalo-rate", type=float, default=25.0)
        p.add_argument("--default-subscribers", type=int, default=600)
        p.add_argument("--polling-only", action="store_true", help="skip webhook and Telegram")
        p.add_argument(
            "--profile",
            default="",
            help="py-spy's collapsed stacks of the Zalo polling bot, to this file",
        )
    sub.add_parser("fake")
    bot = sub.add_parser("bot")
    bot.add_argument("--mode", choices=MODES_OURS + MODES_REFERENCE, required=True)
    bot.add_argument("--base-url", required=True)
    bot.add_argument("--workdir", default=".")
    bot.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.command == "fake":
        from bench.zalo_load import serve

        asyncio.run(serve(0))
    elif args.command == "bot":
        if args.mode == "echo":
            asyncio.run(run_echo(args.base_url))
        elif args.mode == "sdk-echo":
            run_sdk_echo(args.base_url)
        else:
            asyncio.run(run_bot(args.base_url, args.mode, args.workdir, args.port))
    else:
        if args.command is None:
            args = parser.parse_args(["all"])
        if args.command in ("all", "answers"):
            asyncio.run(answers(args))
        if args.command in ("all", "broadcast"):
            asyncio.run(broadcast(args))


if __name__ == "__main__":
    main()
