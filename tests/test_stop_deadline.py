"""Once a stop has begun, the process ends by its deadline even when something never returns:
the "stopped within 10 s of SIGTERM" promise does not depend on every part shutting down."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.config import PROJECT_ROOT
from bot.lifecycle import STOP_DEADLINE_SECONDS

STUCK = """
import logging, threading
from bot.lifecycle import arm_stop_deadline
logging.basicConfig(level=logging.INFO)
arm_stop_deadline(lambda: {code}, seconds=0.05)
threading.Event().wait()  # a part of the stop that never returns
"""


@pytest.mark.parametrize("code", [0, 1])
async def test_a_stuck_stop_is_cut_at_the_deadline_with_the_stop_s_exit_code(code: int) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        STUCK.format(code=code),
        cwd=PROJECT_ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()  # ends only because the deadline cut it
    assert process.returncode == code
    assert f"exiting now (code {code})" in stderr.decode()


def test_the_deadline_leaves_room_inside_the_promised_ten_seconds() -> None:
    assert 0 < STOP_DEADLINE_SECONDS < 10
