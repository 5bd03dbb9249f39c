"""The core depends on nothing else in the project and on no SDK, database or scheduler."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.config import PROJECT_ROOT

CORE = PROJECT_ROOT / "bot" / "core"
FORBIDDEN_ROOTS = {"telegram", "httpx", "aiohttp", "sqlalchemy", "apscheduler", "alembic"}
ALLOWED_THIRD_PARTY = {"rapidfuzz", "yaml"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_only_core_stdlib_and_allowed_libraries() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    problems = []
    for path in sorted(CORE.rglob("*.py")):
        for name in imported_modules(path):
            root = name.split(".")[0]
            if root == "bot":
                if not name.startswith("bot.core"):
                    problems.append(f"{path.name}: {name}")
            elif root in FORBIDDEN_ROOTS or (
                root not in stdlib and root not in ALLOWED_THIRD_PARTY and root != "__future__"
            ):
                problems.append(f"{path.name}: {name}")
    assert problems == []
