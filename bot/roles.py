"""``python run_bot.py --role web|bot|all``: which parts of the assistant one process runs.

``web``: the shared HTTP server with everything that speaks HTTP (web chat, messenger webhooks,
staff console, health); never polls a messenger, never runs the scheduler, so any number of
them can run behind a load balancer. ``bot``: messenger polling (one process per token at a
time: the others stand by on a database lease, see bot.standby) and the broadcast scheduler,
with the health endpoints only. ``all`` (the default): both in one process.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    WEB = "web"
    BOT = "bot"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Plan:
    web: bool  # web chat, staff console and messenger webhooks on the shared server
    polling: bool  # messenger polling, under the poller lease
    scheduler: bool  # scheduled tips, announcements, the daily purge (under its own lease)


PLANS = {
    Role.WEB: Plan(web=True, polling=False, scheduler=False),
    Role.BOT: Plan(web=False, polling=True, scheduler=True),
    Role.ALL: Plan(web=True, polling=True, scheduler=True),
}


def parse_role(argv: Sequence[str]) -> Role:
    parser = argparse.ArgumentParser(
        prog="run_bot.py",
        description="Run the assistant: the web, the messenger bots, or both.",
    )
    parser.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ALL.value,
        help="web: HTTP only (web chat, webhooks, staff console, health; many may run); "
        "bot: messenger polling and scheduled broadcasts (a second one stands by); "
        "all: everything (default)",
    )
    return Role(parser.parse_args(argv).role)
