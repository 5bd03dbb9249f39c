from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.backends import BACKENDS, Backend, backend


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend(request.param, tmp_path) as value:
        yield value
