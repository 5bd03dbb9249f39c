"""The built heap kept out of the cyclic collector's walks, and given back on a hot swap."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.lifecycle import settle_heap
from bot.runtime import open_runtime
from tests.test_runtime import make_settings


class Node:
    """A reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # leave the test process as it was


def test_what_is_settled_is_not_walked_and_a_later_settle_frees_its_cycles() -> None:
    node = Node()
    ref = weakref.ref(node)
    settle_heap()
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert ref() is not None  # frozen: a full collection does not reach it
    settle_heap()
    assert ref() is None  # given back to the collector first, then freed


async def test_a_hot_swap_settles_the_heap_after_the_new_index_is_live(tmp_path: Path) -> None:
    async with open_runtime(make_settings(tmp_path)) as runtime:
        live_when_settled: list[int] = []
        runtime.after_swap = lambda: live_when_settled.append(runtime.snapshot.version)
        version = runtime.snapshot.version + 1
        await runtime.install(runtime.snapshot.kb, version)
        assert live_when_settled == [version]
