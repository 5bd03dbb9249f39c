from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.knowledge import KnowledgeBase, load_knowledge_dir
from bot.storage import Storage
from tests.storage.backends import BACKENDS, KB_DIR, Backend, backend


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend(request.param, tmp_path) as value:
        yield value


@pytest.fixture
def seed_kb() -> KnowledgeBase:
    return load_knowledge_dir(KB_DIR)


@pytest.fixture
async def storage(db: Backend, seed_kb: KnowledgeBase) -> AsyncIterator[Storage]:
    store = await Storage.open(db.settings())
    try:
        assert await store.knowledge.seed_if_empty(seed_kb)
        yield store
    finally:
        await store.close()
