from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import Assistant
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir
from bot.runtime import Runtime, make_runtime
from tests.fakes.ports import MemoryPorts

KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_dir(KNOWLEDGE)


@pytest.fixture(scope="session")
def runtime(kb: KnowledgeBase) -> Runtime:
    return make_runtime(Settings(knowledge_dir=KNOWLEDGE, _env_file=None), kb)  # type: ignore[call-arg]


@pytest.fixture
def memory_ports() -> MemoryPorts:
    return MemoryPorts()


@pytest.fixture
def assistant(runtime: Runtime, memory_ports: MemoryPorts) -> Assistant:
    return Assistant(runtime.responder, memory_ports.as_ports())
