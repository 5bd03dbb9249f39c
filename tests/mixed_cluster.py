"""The production shape on one PostgreSQL, as real processes: two ``run_bot.py --role web``
on different WEB_PORTs, one ``--role bot`` polling the fake Telegram Bot API and a standby
``--role bot`` on the same token, with mixed web-chat and Telegram questions, each of which can
be matched to its answers: a web question by its HTTP response, a Telegram question by its
chat (every question comes from a chat of its own). Used by tests/test_multiprocess.py and
bench/bench_mixed.py; nothing here asserts.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import PROJECT_ROOT
from bot.core.texts import ASK_AGAIN_AFTER_RESTART
from tests.bot_process import BotProcess
from tests.fakes.telegram_server import FakeTelegram, SentMessage

TOKEN = "7912345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
FIRST_CHAT = 3_000_000
# Many questions from one address and few visitors: a load generator, not citizens.
LOAD_SETTINGS = {
    "WEB_RATE_PER_IP": "100000000",
    "WEB_RATE_PER_SESSION": "100000000",
    "FLOOD_MAX_MESSAGES": "100000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(predicate: Callable[[], bool], within: float, step: float = 0.05) -> bool:
    """Poll ``predicate`` (a guard against hanging, not a timing): whether it came true."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


async def ready(base: str, bot: BotProcess, within: float = 120.0) -> None:
    """Wait until the process answers /readyz."""
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                async with http.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if bot.process is not None and bot.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} never ready:\n{bot.output()[-3000:]}")


async def chat(base: str, **body: Any) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/chat", json=body) as response,
    ):
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def poller_pid(env: dict[str, str]) -> int:
    """The pid holding the Telegram poller lease (0 when nobody does)."""
    from bench.probe_common import query

    rows = await query(
        env["DATABASE_URL"],
        env.get("DATABASE_SCHEMA"),
        "SELECT pid FROM broadcast_leases WHERE name LIKE 'poller:telegram:%' AND holder <> ''",
    )
    return int(rows[0][0]) if rows else 0


class Cluster:
    """Processes of one test or bench run, each in its own folder, on its own port."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.processes: list[BotProcess] = []

    def process(self, name: str, role: str) -> tuple[BotProcess, str]:
        port = free_port()
        workdir = self.tmp_path / name
        workdir.mkdir()
        env = {**self.env, "WEB_PORT": str(port)}
        bot = BotProcess(env, workdir, args=("--role", role))
        self.processes.append(bot)
        return bot, f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        for bot in self.processes:
            await bot.close()


class TrackingFake(FakeTelegram):
    """The fake Bot API noting when each message went out (the bench's clock)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.record_calls = False
        self.sent_at: list[tuple[float, int, str]] = []  # (monotonic time, chat, text)

    def on_message_sent(self, message: SentMessage) -> None:
        self.sent_at.append((time.monotonic(), message.chat_id, message.text))


@dataclass
class Question:
    sent: float
    answered: float | None = None  # the first answer (web: the response)
    answers: int = 0  # answer messages (Telegram), repeated texts counted in ``duplicates``
    duplicates: int = 0
    notices: int = 0  # "ask again": its answer may not have left the killed process
    failure: str = ""  # web: why there was no answer


@dataclass
class Tally:
    """Questions per channel and what became of them."""

    telegram: dict[int, Question] = field(default_factory=dict)  # by chat
    web: list[Question] = field(default_factory=list)

    def read_fake(self, fake: TrackingFake) -> None:
        """Match the messages the fake server sent to the Telegram questions (by chat)."""
        seen: Counter[tuple[int, str]] = Counter()
        for question in self.telegram.values():
            question.answered, question.answers, question.duplicates = None, 0, 0
            question.notices = 0
        for at, chat_id, text in fake.sent_at:
            question = self.telegram.get(chat_id)
            if question is None:
                continue
            if text == ASK_AGAIN_AFTER_RESTART:
                question.notices += 1
                continue
            seen[(chat_id, text)] += 1
            if seen[(chat_id, text)] > 1:
                question.duplicates += 1  # the same message twice: answered twice
                continue
            question.answers += 1
            if question.answered is None:
                question.answered = at

    def unanswered_telegram(self) -> int:
        return sum(1 for q in self.telegram.values() if q.answered is None)


def figures(questions: Sequence[Question]) -> dict[str, Any]:
    """Sent, answered, lost, duplicated and latency of one channel's questions."""
    latencies = sorted(q.answered - q.sent for q in questions if q.answered is not None)
    answered = len(latencies)
    return {
        "sent": len(questions),
        "answered": answered,
        "lost": sum(1 for q in questions if q.answered is None and not q.notices),
        "told_to_ask_again": sum(1 for q in questions if q.answered is None and q.notices),
        "duplicated": sum(1 for q in questions if q.duplicates),
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "failures": dict(Counter(q.failure for q in questions if q.failure)),
    }


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


class MixedLoad:
    """Questions to both web processes (alternately, per visitor) and to Telegram."""

    def __init__(
        self,
        fake: TrackingFake,
        web_bases: Sequence[str],
        texts: Sequence[str],
        *,
        visitors: int = 50,
        timeout: float = 120.0,
    ) -> None:
        self.fake = fake
        self.web_bases = list(web_bases)
        self.texts = list(texts)
        self.tally = Tally()
        self._chats = itertools.count(FIRST_CHAT)
        self._turns = itertools.count()
        self._visitors: list[str | None] = [None] * max(1, visitors)
        self._visits = [0] * max(1, visitors)
        self._tasks: set[asyncio.Task[None]] = set()
        connector = aiohttp.TCPConnector(limit=256)
        self._http = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
        )

    def telegram(self) -> int:
        """One question from a chat of its own; returns the chat."""
        chat_id = next(self._chats)
        text = self.texts[next(self._turns) % len(self.texts)]
        self.tally.telegram[chat_id] = Question(time.monotonic())
        self.fake.text(chat_id, text)
        return chat_id

    def web(self) -> None:
        """One question from the next visitor, to the web process it did not ask last."""
        turn = next(self._turns)
        visitor = turn % len(self._visitors)
        base = self.web_bases[self._visits[visitor] % len(self.web_bases)]
        self._visits[visitor] += 1
        question = Question(time.monotonic())
        self.tally.web.append(question)
        text = self.texts[turn % len(self.texts)]
        task = asyncio.ensure_future(self._ask(base, visitor, text, question))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask(self, base: str, visitor: int, text: str, question: Question) -> None:
        body = {"text": text, "session": self._visitors[visitor]}
        try:
            async with self._http.post(f"{base}/api/chat", json=body) as response:
                if response.status != 200:
                    question.failure = f"HTTP {response.status}"
                    await response.read()
                    return
                answer = await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            question.failure = type(exc).__name__
            return
        if not answer.get("reply", {}).get("text"):
            question.failure = "empty reply"
            return
        question.answered = time.monotonic()
        question.answers = 1
        self._visitors[visitor] = answer.get("session") or self._visitors[visitor]

    async def run(self, rate: float, seconds: float, web_share: float = 0.5) -> None:
        """Open loop: ``rate`` questions per second on schedule, whatever the answers do."""
        started = time.monotonic()
        web_every = web_share
        credit = 0.0
        for index in itertools.count():
            due = started + index / rate
            if due - started >= seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            credit += web_every
            if credit >= 1.0:
                credit -= 1.0
                self.web()
            else:
                self.telegram()

    async def web_done(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.web_done()
        await self._http.close()


@dataclass
class Topology:
    """Two web processes, the polling bot and its standby, all started and ready."""

    cluster: Cluster
    web_bases: list[str]
    active: BotProcess
    standby: BotProcess


def cluster_env(fake: FakeTelegram, database: dict[str, str]) -> dict[str, str]:
    return {
        **database,
        **LOAD_SETTINGS,
        "KNOWLEDGE_DIR": str(PROJECT_ROOT / "knowledge"),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "LOG_LEVEL": "WARNING",
    }


async def start_topology(tmp_path: Path, env: dict[str, str]) -> Topology:
    """web1 first (it brings the schema up to date), then web2 and the first bot, which
    takes the poller lease; the standby only once it has."""
    group = Cluster(tmp_path, env)
    try:
        web1, base1 = group.process("web1", "web")
        await web1.start()
        await ready(base1, web1)
        web2, base2 = group.process("web2", "web")
        active, active_base = group.process("bot1", "bot")
        await web2.start()
        await active.start()
        await ready(base2, web2)
        await ready(active_base, active)
        deadline = time.monotonic() + 120
        while await poller_pid(env) != active.pid:
            if time.monotonic() > deadline:
                raise AssertionError(f"bot1 never polled:\n{active.output()[-3000:]}")
            await asyncio.sleep(0.1)
        standby, standby_base = group.process("bot2", "bot")
        await standby.start()
        await ready(standby_base, standby)
        # Ready is not yet standing by: a standby that first asked for the lease after the
        # active one was killed would take it without ever having stood by.
        await standby.wait_for_output("standing by", within=120)
    except BaseException:
        await group.close()
        raise
    return Topology(group, [base1, base2], active, standby)
