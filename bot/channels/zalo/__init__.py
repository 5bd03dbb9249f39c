"""The Zalo Bot Platform channel (bot.zaloplatforms.com): a client of our own on aiohttp."""

from __future__ import annotations

from bot.channels.zalo.answer import CHANNEL, ZaloAnswers
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient

__all__ = ["CHANNEL", "ZaloAnswers", "ZaloChannel", "ZaloClient"]
