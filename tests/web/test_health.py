"""/healthz, /readyz and /metrics on the shared HTTP server, against a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir
from bot.core.messages import IncomingMessage
from bot.metrics import AppMetrics
from bot.runtime import Runtime, make_runtime
from bot.storage import Storage
from bot.web.health import HealthRoutes, health_routes
from bot.web.server import HttpServer
from tests.storage.backends import BACKENDS, Backend, backend

KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_dir(KNOWLEDGE)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend(request.param, tmp_path) as value:
        yield value


async def serve(provider: Any) -> tuple[HttpServer, str]:
    server = HttpServer("127.0.0.1", 0)
    server.mount(provider)
    port = await server.start()
    return server, f"http://127.0.0.1:{port}"


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


@pytest.fixture
async def runtime(db: Backend, kb: KnowledgeBase) -> AsyncIterator[Runtime]:
    storage = await Storage.open(db.settings(knowledge_dir=KNOWLEDGE))
    try:
        yield make_runtime(
            Settings(knowledge_dir=KNOWLEDGE, _env_file=None),  # type: ignore[call-arg]
            kb,
            version=3,
            storage=storage,
        )
    finally:
        await storage.close()


async def test_ready_when_the_database_answers_and_metrics_count_answers(
    runtime: Runtime,
) -> None:
    server, base = await serve(health_routes(runtime))
    try:
        assert (await get(f"{base}/healthz"))[0] == 200
        status, _, body = await get(f"{base}/readyz")
        assert (status, body) == (200, '{"status": "ready"}')
        await runtime.assistant.handle(IncomingMessage("web", "u1", "c1", "đăng ký tài khoản"))
        await runtime.assistant.handle(IncomingMessage("web", "u2", "c2", "cảm ơn"))
        await runtime.assistant.handle(IncomingMessage("zalo", "u3", "c3", "qwzx plokj"))
        status, content_type, text = await get(f"{base}/metrics")
    finally:
        await server.stop()
    assert status == 200 and content_type.startswith("text/plain")
    assert 'dvc_questions_total{channel="web",outcome="answered"} 1.0' in text
    assert 'dvc_questions_total{channel="web",outcome="smalltalk"} 1.0' in text
    assert 'dvc_questions_total{channel="zalo",outcome="no_match"} 1.0' in text
    assert 'dvc_answer_latency_seconds_count{channel="web"} 2.0' in text
    assert "dvc_knowledge_version 3.0" in text


class Probe:
    """A database stand-in: answers, fails, or never answers, and counts calls."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.mode == "down":
            raise ConnectionRefusedError("connection refused")
        if self.mode == "hung":
            await asyncio.Event().wait()


@pytest.mark.parametrize(
    ("mode", "loaded", "reason"),
    [
        ("down", True, "database unavailable: connection refused"),
        ("hung", True, "database did not answer within 0.05 s"),
        ("up", False, "knowledge index not loaded"),
    ],
)
async def test_not_ready_says_why_and_healthz_touches_nothing(
    mode: str, loaded: bool, reason: str
) -> None:
    probe = Probe(mode)
    routes = HealthRoutes(AppMetrics(), ping=probe, knowledge_loaded=lambda: loaded, timeout=0.05)
    server, base = await serve(routes)
    try:
        status, _, body = await get(f"{base}/healthz")
        assert status == 200 and probe.calls == 0
        status, _, body = await get(f"{base}/readyz")
    finally:
        await server.stop()
    assert status == 503
    assert body == '{"status": "not ready", "reason": "' + reason + '"}'


class Broadcasts:
    def totals(self) -> dict[str, int]:
        return {"sent": 40, "blocked": 2, "failed": 1}


async def test_errors_and_broadcasts_are_counted_per_app(runtime: Runtime) -> None:
    routes = health_routes(runtime)
    runtime.broadcast = Broadcasts()  # type: ignore[assignment]
    other = AppMetrics()
    runtime.bookkeeping.health.failed("database is locked")
    runtime.bookkeeping.health.lost("conversation logs dropped", 5)
    runtime.bookkeeping.health.recovered()
    text = routes.metrics.render().decode()
    assert 'dvc_errors_total{kind="database_unavailable"} 1.0' in text
    assert 'dvc_errors_total{kind="lost_while_database_unavailable"} 5.0' in text
    assert 'dvc_broadcast_messages_total{status="sent"} 40.0' in text
    assert 'dvc_broadcast_messages_total{status="blocked"} 2.0' in text
    assert "dvc_errors_total{" not in other.render().decode()


async def test_a_failing_answer_is_counted(runtime: Runtime) -> None:
    routes = health_routes(runtime)

    def broken(message: IncomingMessage) -> Any:
        raise RuntimeError("index broken")

    runtime.assistant.responder.respond = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await runtime.assistant.handle(IncomingMessage("web", "u1", "c1", "hỏi"))
    assert 'dvc_errors_total{kind="answer_failed"} 1.0' in routes.metrics.render().decode()
