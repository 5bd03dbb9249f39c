"""Fixtures every channel's tests share: the shipped knowledge, a fresh assistant per test, and
the database backends."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import Assistant
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir
from bot.runtime import Runtime, make_runtime
from tests.fakes.ports import MemoryPorts
from tests.storage.backends import BACKENDS, Backend, backend

KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend(request.param, tmp_path) as value:
        yield value


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_dir(KNOWLEDGE)


@pytest.fixture(scope="session")
def base_runtime(kb: KnowledgeBase) -> Runtime:
    settings = Settings(_env_file=None, knowledge_dir=KNOWLEDGE, database_url="sqlite:///unused.db")  # type: ignore[call-arg]
    return make_runtime(settings, kb)


@pytest.fixture
def memory_ports() -> MemoryPorts:
    return MemoryPorts()


@pytest.fixture
def runtime(base_runtime: Runtime, memory_ports: MemoryPorts) -> Runtime:
    """The shared index with a fresh assistant (its per-user memory) and in-memory ports."""
    assistant = Assistant(base_runtime.responder, memory_ports.as_ports())
    return dataclasses.replace(base_runtime, assistant=assistant, _swap_lock=asyncio.Lock())
