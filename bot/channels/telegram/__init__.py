"""The Telegram channel on python-telegram-bot 22: polling or webhook around the core assistant.

``TelegramService(settings, context)`` is the channel the composition root starts;
``build_application`` gives the configured Application for tests and embedding.
"""

from bot.channels.telegram.app import build_application, install, register_commands
from bot.channels.telegram.render import Outgoing, render
from bot.channels.telegram.runner import TelegramService

__all__ = [
    "Outgoing",
    "TelegramService",
    "build_application",
    "install",
    "register_commands",
    "render",
]
