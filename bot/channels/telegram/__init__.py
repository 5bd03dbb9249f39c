"""The Telegram channel on python-telegram-bot 22: polling or webhook around the core assistant.

``run_telegram(settings, runtime)`` serves until SIGINT/SIGTERM; ``build_application`` gives the
configured Application for tests and embedding.
"""

from bot.channels.telegram.app import build_application, install, register_commands
from bot.channels.telegram.render import Outgoing, render
from bot.channels.telegram.runner import main_telegram, run_telegram

__all__ = [
    "Outgoing",
    "build_application",
    "install",
    "main_telegram",
    "register_commands",
    "render",
    "run_telegram",
]
