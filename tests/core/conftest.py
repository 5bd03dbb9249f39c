from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import Assistant, Ports
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir
from bot.core.ports import LoggedExchange, Tip
from bot.runtime import Runtime, make_runtime

KNOWLEDGE = PROJECT_ROOT / "knowledge"


@dataclass
class MemoryPorts:
    """In-memory stand-ins for the storage ports, recording every call."""

    exchanges: list[LoggedExchange] = field(default_factory=list)
    feedback: list[dict[str, object]] = field(default_factory=list)
    subscribers: dict[tuple[str, str], str] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    tips: list[Tip] = field(default_factory=list)
    fail_logging: bool = False

    async def record(self, exchange: LoggedExchange) -> None:
        if self.fail_logging:
            raise RuntimeError("database down")
        self.exchanges.append(exchange)

    async def record_feedback(self, **kwargs: object) -> None:
        self.feedback.append(kwargs)

    async def subscribe(
        self, *, channel: str, user_id: str, chat_id: str, topics: Sequence[str] = ("tips",)
    ) -> bool:
        if (channel, user_id) in self.subscribers:
            return False
        self.subscribers[(channel, user_id)] = chat_id
        return True

    async def unsubscribe(self, *, channel: str, user_id: str) -> bool:
        return self.subscribers.pop((channel, user_id), None) is not None

    async def is_subscribed(self, *, channel: str, user_id: str) -> bool:
        return (channel, user_id) in self.subscribers

    async def touch(self, *, channel: str, user_id: str, display_name: str | None) -> bool:
        new = (channel, user_id) not in self.seen
        self.seen.add((channel, user_id))
        return new

    async def latest_tip(self) -> Tip | None:
        return self.tips[-1] if self.tips else None

    def as_ports(self) -> Ports:
        return Ports(log=self, feedback=self, subscriptions=self, users=self, tips=self)


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
