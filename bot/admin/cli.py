"""Command-line entry: every sub-command lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

# Each module defines ``register(subparsers)`` which adds its commands and sets ``func``
# (a callable taking the parsed namespace and returning an exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "bot.admin.chat_cmd",
    "bot.admin.match_cmd",
    "bot.admin.kb_cmd",
    "bot.admin.eval_cmd",
    "bot.admin.inbox_cmd",
    "bot.admin.stats_cmd",
    "bot.admin.db_cmd",
    "bot.admin.broadcast_cmd",
    "bot.admin.tips_cmd",
    "bot.admin.address_cmd",
    "bot.admin.staff_cmd",
    "bot.admin.doctor_cmd",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Trợ lý dịch vụ công trực tuyến — staff and operator commands.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8")
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `python -m bot tips list | head`: the reader has all it wanted. Point stdout at
        # /dev/null so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
