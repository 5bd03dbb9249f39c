"""Hot swap under traffic: answer latency while a 10,000-entry knowledge base is swapped in.

Steady question traffic runs against the live runtime (the same ``Runtime.install`` the
knowledge watcher calls). In the same run, the same traffic without a swap is the baseline.
Prints answers, failures, answers slower than 1 s, p50 / p99 / max latency for both.

    .venv/bin/python bench/bench_hot_swap.py
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_match import percentile, synthetic_entries  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir  # noqa: E402
from bot.core.messages import IncomingMessage  # noqa: E402
from bot.runtime import Runtime, make_runtime  # noqa: E402

SIZE = 10_000
RATE = 50  # questions per second of steady traffic
SEED = 7


async def traffic(runtime: Runtime, questions: list[str], stop: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    failures = 0
    index = 0
    while not stop.is_set():
        text = questions[index % len(questions)]
        index += 1
        started = time.perf_counter()
        try:
            await runtime.assistant.handle(IncomingMessage("bench", str(index % 500), "c", text))
        except Exception:
            failures += 1
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(1 / RATE)
    if failures:
        latencies.append(float("inf"))
    return latencies


def report(name: str, latencies: list[float]) -> None:
    finite = [x for x in latencies if x != float("inf")]
    slow = sum(1 for x in finite if x > 1.0)
    print(
        f"{name:<26} answers {len(finite):5d}  failed {len(latencies) - len(finite)}  "
        f">1 s {slow}  p50 {statistics.median(finite) * 1000:7.2f} ms  "
        f"p99 {percentile(finite, 0.99) * 1000:7.2f} ms  max {max(finite) * 1000:7.2f} ms"
    )


async def run() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    real = load_knowledge_dir(settings.knowledge_dir)
    runtime = make_runtime(settings, real, version=1)
    rows = [json.loads(line) for line in (ROOT / "tests/data/dev.jsonl").open(encoding="utf-8")]
    questions = [row["text"] for row in rows]
    big_entries = synthetic_entries(list(real.published), SIZE, random.Random(SEED))
    big = KnowledgeBase.build(real.categories, (*real.entries, *big_entries))

    async def measure(seconds: float, swap: bool) -> tuple[list[float], float]:
        stop = asyncio.Event()
        task = asyncio.create_task(traffic(runtime, questions, stop))
        await asyncio.sleep(0.5)
        swap_seconds = 0.0
        if swap:
            started = time.perf_counter()
            await runtime.install(big, runtime.snapshot.version + 1)
            swap_seconds = time.perf_counter() - started
        else:
            await asyncio.sleep(seconds)
        await asyncio.sleep(0.5)
        stop.set()
        return await task, swap_seconds

    baseline, _ = await measure(8.0, swap=False)
    swapped, swap_seconds = await measure(0.0, swap=True)
    print(f"traffic {RATE} questions/s from the dev set; swap to {len(big.entries):,} entries")
    report("baseline (no swap)", baseline)
    report("during swap", swapped)
    print(
        f"swap (build beside + install) took {swap_seconds:.2f} s; live entries now "
        f"{len(runtime.snapshot.kb.entries):,}"
    )


if __name__ == "__main__":
    asyncio.run(run())
