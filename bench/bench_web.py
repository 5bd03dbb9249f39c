"""Web chat speed beside a bare aiohttp handler, in the same run; prints figures, never fails.

Each server runs in its own process on 127.0.0.1; the load generator (aiohttp client, this
process) talks to it over loopback.

1. Answers per second, closed loop: ``--clients`` visitors each post questions from the dev set
   (their own session, one at a time) for ``--seconds``; the same against a bare aiohttp handler
   that returns a fixed JSON reply of the same shape.
2. Latency at a steady rate: ``--rate`` questions per second, open loop (sent on schedule
   whatever the answers do), for ``--seconds``; p50 / p99.
3. Weight of the page (HTML, JS, CSS, icon) and of the loader.

The web chat runs as in production: SQLite file, the project's knowledge, conversation logs,
history and rate limits written. Rate limits are raised for the run (one address, few
sessions), since a bench is one client by design. Before measuring, every dev-set text is
asked once (``--warm all``, the default), so the figures are those of the answer path around
the matcher (HTTP, sessions, history, rate limits, memory, logs) with the answer cache serving
repeated questions; ``--answer-cache 0`` matches every question afresh instead, and
``--warm 50`` only opens connections (the first pass over the texts is then matched cold).

    .venv/bin/python bench/bench_web.py
    .venv/bin/python bench/bench_web.py --clients 32 --seconds 10 --rate 100
    .venv/bin/python bench/bench_web.py --answer-cache 0
    .venv/bin/python bench/bench_web.py --stub-core   # + the web path alone (fixed reply)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import psutil  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.channels.web.assets import LOADER, PAGE, Assets  # noqa: E402

FIXED = {
    "session": "x" * 32,
    "reply": {
        "text": "Câu trả lời cố định.",
        "outcome": "answered",
        "faq_id": "account.register",
        "choices": [{"id": "fb:1:account.register", "label": "👍 Hữu ích"}],
    },
}


def questions() -> list[str]:
    rows = (ROOT / "tests" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(row)["text"] for row in rows if row.strip()]


# ---------------------------------------------------------------- servers (child processes)


async def _stub_handle(message: Any) -> Any:
    """The assistant replaced by a fixed reply (``--stub-core``): the web path's own cost."""
    from bot.core.messages import Choice, Outcome, Reply

    reply = FIXED["reply"]
    choices = tuple(Choice(c["label"], c["id"]) for c in reply["choices"])
    return Reply(reply["text"], Outcome.ANSWERED, choices, faq_id=reply["faq_id"])


async def _serve_web(ready: Any, folder: str, answer_cache: int | None, stub: bool) -> None:
    from bot.channels.web import web_chat
    from bot.config import Settings
    from bot.lifecycle import settle_heap
    from bot.runtime import open_runtime
    from bot.web.server import HttpServer

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{folder}/bench.db",
        web_rate_per_session=1_000_000,
        web_rate_per_ip=1_000_000,
    )
    if answer_cache is not None:
        settings.answer_cache_size = answer_cache
    async with open_runtime(settings) as runtime:
        assert runtime.storage is not None
        server = HttpServer("127.0.0.1", 0)
        handle = _stub_handle if stub else runtime.assistant.handle
        server.mount(web_chat(settings, handle, runtime.storage))
        port = await server.start()
        settle_heap()  # as the app does once serving starts
        ready.put(port)
        await asyncio.Event().wait()


async def _serve_bare(ready: Any) -> None:
    body = json.dumps(FIXED, ensure_ascii=False).encode("utf-8")

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    app = web.Application()
    app.router.add_post("/api/chat", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ready.put(int(runner.addresses[0][1]))
    await asyncio.Event().wait()


def _server_main(kind: str, ready: Any, folder: str, answer_cache: int | None, stub: bool) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _serve_web(ready, folder, answer_cache, stub) if kind == "web" else _serve_bare(ready)
        )


# ---------------------------------------------------------------- load generator


async def closed_loop(url: str, texts: list[str], clients: int, seconds: float) -> dict[str, Any]:
    done = errors = 0
    deadline = time.perf_counter() + seconds

    async def visitor(index: int, http: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        session: str | None = None
        turn = index
        while time.perf_counter() < deadline:
            body = {"text": texts[turn % len(texts)], "session": session}
            turn += clients
            async with http.post(url, json=body) as response:
                if response.status != 200:
                    errors += 1
                    await response.read()
                    continue
                session = (await response.json())["session"]
                done += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(visitor(i, http) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return {"answers_per_s": done / elapsed, "answers": done, "errors": errors}


async def steady(url: str, texts: list[str], rate: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    count = int(rate * seconds)

    async def one(index: int, http: aiohttp.ClientSession) -> None:
        nonlocal errors
        started = time.perf_counter()
        async with http.post(url, json={"text": texts[index % len(texts)]}) as response:
            await response.read()
            if response.status != 200:
                errors += 1
                return
        latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter()
        tasks = []
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(index, http)))
        await asyncio.gather(*tasks)
        achieved = count / (time.perf_counter() - start)
    latencies.sort()
    return {
        "sent": count,
        "achieved_rate": achieved,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        "errors": errors,
    }


async def core_alone(
    folder: str, texts: list[str], seconds: float, answer_cache: int | None, warm_count: int
) -> tuple[float, float]:
    """Answers per second of the assistant's handle() alone: no HTTP, no web chat storage."""
    from bot.config import Settings
    from bot.core.messages import IncomingMessage
    from bot.runtime import open_runtime

    url = f"sqlite:///{folder}/core.db"
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    if answer_cache is not None:
        settings.answer_cache_size = answer_cache
    async with open_runtime(settings) as runtime:
        for text in texts[:warm_count]:
            await runtime.assistant.handle(IncomingMessage("web", "warm", "warm", text=text))
        await runtime.assistant.bookkeeping.drain()
        done, started, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            user = f"u{done % 16}"
            await runtime.assistant.handle(
                IncomingMessage("web", user, user, text=texts[done % len(texts)])
            )
            done += 1
        await runtime.assistant.bookkeeping.drain()
        used = (time.process_time() - cpu) * 1000 / max(done, 1)
        return done / (time.perf_counter() - started), used


def start_server(
    kind: str, folder: str, answer_cache: int | None = None, stub: bool = False
) -> tuple[multiprocessing.Process, int]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    process = context.Process(
        target=_server_main, args=(kind, ready, folder, answer_cache, stub), daemon=True
    )
    process.start()
    port = int(ready.get(timeout=300))
    return process, port


async def warm(url: str, texts: list[str], count: int = 50) -> None:
    """Open connections and ask the first ``count`` texts once, eight at a time."""

    async def ask(http: aiohttp.ClientSession, text: str) -> None:
        async with http.post(url, json={"text": text}) as response:
            await response.read()

    async with aiohttp.ClientSession() as http:
        chunk = texts[:count]
        for start in range(0, len(chunk), 8):
            await asyncio.gather(*(ask(http, text) for text in chunk[start : start + 8]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument(
        "--answer-cache", type=int, default=None, help="answer cache size (0: off; default as set)"
    )
    parser.add_argument(
        "--warm", default="all", help="texts asked before measuring: 'all' (default) or a number"
    )
    parser.add_argument(
        "--stub-core",
        action="store_true",
        help="also run the web chat with a fixed reply in place of the assistant",
    )
    args = parser.parse_args()
    texts = questions()
    warm_count = len(texts) if args.warm == "all" else int(args.warm)
    assets = Assets.load()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        core, core_cpu = asyncio.run(
            core_alone(folder, texts, args.seconds, args.answer_cache, warm_count)
        )
        kinds = ("bare", "web", "stub") if args.stub_core else ("bare", "web")
        for kind in kinds:
            server = "bare" if kind == "bare" else "web"
            process, port = start_server(server, folder, args.answer_cache, kind == "stub")
            url = f"http://127.0.0.1:{port}/api/chat"
            try:
                asyncio.run(warm(url, texts, warm_count))
                cpu = psutil.Process(process.pid)
                before = cpu.cpu_times()
                results[kind] = asyncio.run(closed_loop(url, texts, args.clients, args.seconds))
                after = cpu.cpu_times()
                used = (after.user + after.system) - (before.user + before.system)
                results[kind]["cpu_ms"] = used * 1000 / max(results[kind]["answers"], 1)
                results[kind] |= asyncio.run(steady(url, texts, args.rate, args.seconds))
                if kind == "web":
                    # Near saturation the latencies are queueing; also show them at half load.
                    half = results[kind]["answers_per_s"] / 2
                    results["web_half"] = dict(results[kind])
                    results["web_half"] |= asyncio.run(steady(url, texts, half, args.seconds))
            finally:
                process.terminate()
                process.join(10)

    print(f"POST /api/chat, loopback, {args.clients} visitors closed loop for {args.seconds:g} s;")
    print(
        f"then {args.rate:g} questions/s open loop for {args.seconds:g} s "
        f"({len(texts)} dev-set texts, {warm_count} asked once before; answer cache "
        f"{'as set' if args.answer_cache is None else args.answer_cache})"
    )
    print(
        f"{'':34}{'answers/s':>10}{'cpu ms':>8}{'errors':>8}{'rate':>8}{'p50 ms':>9}{'p99 ms':>9}"
    )
    names = {
        "bare": "bare aiohttp handler (fixed JSON)",
        "web": "web chat (assistant + storage)",
        "web_half": "  same, at half its answers/s",
        "stub": "web chat, fixed reply (no assistant)",
    }
    for kind, row in results.items():
        print(
            f"{names[kind]:34}{row['answers_per_s']:>10.0f}{row['cpu_ms']:>8.2f}{row['errors']:>8}"
            f"{row['achieved_rate']:>8.1f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
        )
    print(f"{'assistant.handle() alone, in-process':34}{core:>10.0f}{core_cpu:>8.2f}")
    print("(cpu ms: the server process's CPU time per answer in the closed loop)")
    ratio = results["web"]["answers_per_s"] / max(results["bare"]["answers_per_s"], 1e-9)
    print(f"web chat / bare handler, answers/s in the closed loop: {ratio:.2f}×")
    if "stub" in results:
        stub = results["stub"]["answers_per_s"] / max(results["bare"]["answers_per_s"], 1e-9)
        print(f"web chat without the assistant / bare handler: {stub:.2f}×")
    sizes = {name: len(assets.files[name]) for name in PAGE}
    print()
    print("page weight (uncompressed): " + ", ".join(f"{k} {v:,} B" for k, v in sizes.items()))
    print(
        f"  whole page {assets.page_size():,} B (limit 51,200); loader {LOADER} "
        f"{len(assets.files[LOADER]):,} B (limit 2,048)"
    )


if __name__ == "__main__":
    main()
