"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.admin import log_guard
from bot.admin.log_json import JsonFormatter
from bot.config import Settings
from bot.core.knowledge import KnowledgeError


def settings_from(args: argparse.Namespace) -> Settings:
    del args  # every command reads the same environment and .env
    return Settings()


def setup_logging(settings: Settings, *, quiet: bool = False, **guard: Any) -> None:
    """Root handler, levels, and the guard that scrubs and counts (bot.admin.log_guard)."""
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    logging.getLogger().setLevel(level)
    # httpx logs every request at INFO: noise unless debugging (its URLs are scrubbed anyway).
    logging.getLogger("httpx").setLevel(
        logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    )
    # APScheduler logs each run of the 5-second broadcast tick at INFO; failures stay visible.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    log_guard.install(secret_values(settings), **guard)


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret: tokens, webhook secrets, the database password."""
    values = [
        value.get_secret_value()
        for value in settings.model_dump().values()
        if isinstance(value, SecretStr)
    ]
    with contextlib.suppress(Exception):
        password = make_url(settings.database_url).password
        if password:
            values.append(str(password))
    return values


def run_async(func: Callable[[], Awaitable[int]]) -> int:
    """Run a coroutine, turning knowledge errors into a located message and exit code 1."""
    try:
        return asyncio.run(func())  # type: ignore[arg-type]
    except KnowledgeError as exc:
        print("Lỗi dữ liệu kiến thức (knowledge error):", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def kb_path_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kb",
        type=Path,
        default=None,
        help="match against another knowledge source (a YAML directory or a .jsonl export) "
        "instead of the live one",
    )
