"""``python -m bot chat``: talk to the assistant in the terminal (logged like any channel)."""

from __future__ import annotations

import argparse

from bot.admin.common import kb_path_arg, run_async, settings_from, setup_logging
from bot.channels.console import ConsoleChannel
from bot.runtime import open_runtime


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = sub.add_parser("chat", help="chat with the assistant in this terminal")
    kb_path_arg(chat)
    chat.set_defaults(func=cmd_chat)


def cmd_chat(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)

    async def run() -> int:
        async with open_runtime(settings, kb_path=args.kb) as runtime:
            # Numbered choices are remembered in the database when there is one.
            state = runtime.storage.chat_state if runtime.storage is not None else None
            return await ConsoleChannel(runtime.assistant.handle, state=state).run()

    return run_async(run)
