"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.core.knowledge import KnowledgeError


def settings_from(args: argparse.Namespace) -> Settings:
    del args  # every command reads the same environment and .env
    return Settings()


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, which contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs each run of the 5-second broadcast tick at INFO; failures stay visible.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


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
