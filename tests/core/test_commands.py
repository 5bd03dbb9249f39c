"""One command registry: the core answers the citizen commands it lists, channels show them."""

from __future__ import annotations

import pytest

from bot.channels.telegram import texts as tg_texts
from bot.core import commands, texts
from bot.core.commands import command_argument, command_name
from bot.core.messages import IncomingMessage, Outcome
from bot.runtime import Runtime


def test_names_are_unique_and_descriptions_fit_telegram() -> None:
    names = [c.name for c in commands.COMMANDS]
    assert len(names) == len(set(names))
    assert all(1 <= len(c.description) <= 256 for c in commands.COMMANDS)
    assert all(c.name.isascii() and c.name.islower() for c in commands.COMMANDS)


def test_telegram_menu_is_the_registry() -> None:
    assert [n for n, _ in tg_texts.COMMANDS] == [c.name for c in commands.CITIZEN_COMMANDS]
    assert [n for n, _ in tg_texts.ADMIN_COMMANDS] == [c.name for c in commands.STAFF_COMMANDS]


def test_help_names_every_citizen_command_but_start_and_help() -> None:
    for command in commands.CITIZEN_COMMANDS:
        if command.name not in (commands.START, commands.HELP):
            assert f"/{command.name}" in texts.HELP, command.name


@pytest.mark.parametrize("command", [c.name for c in commands.CITIZEN_COMMANDS])
def test_every_citizen_command_is_understood(runtime: Runtime, command: str) -> None:
    if command in commands.SUBSCRIPTION_NAMES or command == commands.ERASE:
        return  # answered by the assistant with its ports (tests/core/test_assistant.py)
    reply = runtime.responder.respond(IncomingMessage("console", "u", "u", text=f"/{command}"))
    assert reply.text != texts.UNKNOWN_COMMAND


def test_command_name_and_argument() -> None:
    assert command_name("/Start@MyBot arg") == "start"
    assert command_name("hello /start") is None
    assert command_name("/") is None
    assert command_argument("/broadcast   Bảo trì  22h ") == "Bảo trì  22h"
    assert Outcome.COMMAND.value == "command"
