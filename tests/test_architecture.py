"""Dependency direction (bot/DESIGN): core depends on nothing in the project; a channel package
alone imports its SDK; channels get narrow ports, never the runtime; broadcast names no channel;
only the composition root (app.py, with runtime.py as its helper) knows every part."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
CORE = BOT / "core"
FORBIDDEN_ROOTS = {"telegram", "httpx", "aiohttp", "sqlalchemy", "apscheduler", "alembic"}
ALLOWED_THIRD_PARTY = {"rapidfuzz", "yaml"}
# A messenger SDK and the one channel package that may import it.
SDKS = {"telegram": "telegram"}
CHANNEL_NAMES = {"telegram", "zalo", "web", "console"}
# The parts of the project; only the composition root imports all of them.
PARTS = {"channels", "broadcast", "staff", "storage", "web"}
COMPOSITION_ROOT = {BOT / "app.py", BOT / "runtime.py"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute import in the module, also those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(under: Path) -> list[Path]:
    return sorted(under.rglob("*.py"))


def rel(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def test_core_imports_only_core_stdlib_and_allowed_libraries() -> None:
    stdlib = set(sys.stdlib_module_names)
    problems = []
    for path in modules(CORE):
        for name in imported_modules(path):
            root = name.split(".")[0]
            if root == "bot":
                if not name.startswith("bot.core"):
                    problems.append(f"{rel(path)}: {name}")
            elif root in FORBIDDEN_ROOTS or (
                root not in stdlib and root not in ALLOWED_THIRD_PARTY and root != "__future__"
            ):
                problems.append(f"{rel(path)}: {name}")
    assert problems == []


def test_only_a_channel_package_imports_its_sdk() -> None:
    problems = []
    for path in modules(BOT):
        for name in imported_modules(path):
            channel = SDKS.get(name.split(".")[0])
            if channel is not None and not path.is_relative_to(BOT / "channels" / channel):
                problems.append(f"{rel(path)}: {name}")
    assert problems == []


def test_the_zalo_sdk_is_the_benchs_reference_only() -> None:
    """python-zalo-bot (a dev extra) runs bench_zalo's "SDK echo"; the bot has its own client."""
    problems = [
        f"{rel(path)}: {name}"
        for path in modules(BOT)
        for name in imported_modules(path)
        if name.split(".")[0] == "zalo_bot"
    ]
    assert problems == []


def test_channels_never_see_the_runtime_or_the_composition_root() -> None:
    problems = [
        f"{rel(path)}: {name}"
        for path in modules(BOT / "channels")
        for name in imported_modules(path)
        if name.split(".")[:2] in (["bot", "runtime"], ["bot", "app"])
    ]
    assert problems == []


def test_channels_do_not_import_each_other() -> None:
    problems = []
    for package in (p for p in (BOT / "channels").iterdir() if p.is_dir()):
        for path in modules(package):
            for name in imported_modules(path):
                parts = name.split(".")
                if (
                    parts[:2] == ["bot", "channels"]
                    and len(parts) > 2
                    and (BOT / "channels" / parts[2]).is_dir()
                    and parts[2] != package.name
                ):
                    problems.append(f"{rel(path)}: {name}")
    assert problems == []


def test_broadcast_holds_no_channel_sdk_no_channel_code_and_no_runtime() -> None:
    problems = []
    for path in modules(BOT / "broadcast"):
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] in SDKS or parts[:2] in (["bot", "channels"], ["bot", "runtime"]):
                problems.append(f"{rel(path)}: {name}")
    assert problems == []


def test_broadcast_has_no_channel_name_in_a_condition() -> None:
    problems = []
    for path in modules(BOT / "broadcast"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            for constant in ast.walk(node):
                if isinstance(constant, ast.Constant) and constant.value in CHANNEL_NAMES:
                    problems.append(f"{rel(path)}:{node.lineno}: {constant.value!r}")
    assert problems == []


def test_staff_service_is_channel_free() -> None:
    problems = [
        f"{rel(path)}: {name}"
        for path in modules(BOT / "staff")
        for name in imported_modules(path)
        if name.split(".")[0] in SDKS or name.split(".")[:2] == ["bot", "channels"]
    ]
    assert problems == []
    # The old circle: the Telegram rendering of staff tools never reaches storage.
    admin = imported_modules(BOT / "channels" / "telegram" / "admin.py")
    assert not any(name.startswith(("bot.storage", "bot.staff")) for name in admin)


def parts_used(path: Path) -> set[str]:
    return {
        name.split(".")[1]
        for name in imported_modules(path)
        if name.startswith("bot.") and name.split(".")[1] in PARTS
    }


def test_only_the_composition_root_knows_every_part() -> None:
    knows_all = {path for path in modules(BOT) if parts_used(path) >= PARTS}
    assert knows_all <= COMPOSITION_ROOT
    assert set().union(*(parts_used(path) for path in COMPOSITION_ROOT)) >= PARTS
