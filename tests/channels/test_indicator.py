"""bot.channels.indicator: "typing…" only for an answer slower than the delay."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.indicator import indicated


async def test_an_answer_ready_within_the_delay_goes_alone() -> None:
    calls: list[str] = []

    async def answer() -> str:
        return "reply"

    async def indicate() -> bool:
        calls.append("typing")
        return True

    assert await indicated(answer(), indicate, 60.0) == ("reply", None)
    assert calls == []


async def test_no_delay_indicates_before_every_answer() -> None:
    calls: list[str] = []

    async def answer() -> str:
        calls.append("answer")
        return "reply"

    async def indicate() -> bool:
        calls.append("typing")
        return False

    assert await indicated(answer(), indicate, 0.0) == ("reply", False)
    assert calls == ["answer", "typing"]  # both started; the answer waited for the indicator


async def test_a_slow_answer_is_indicated_and_waits_for_the_indicator() -> None:
    shown = asyncio.Event()
    finished: list[str] = []

    async def answer() -> str:
        await shown.wait()  # slow by construction: done only once the indicator started
        return "reply"

    async def indicate() -> bool:
        shown.set()
        await asyncio.sleep(0)
        finished.append("typing")
        return True

    assert await indicated(answer(), indicate, 0.001) == ("reply", True)
    assert finished == ["typing"]


async def test_a_failed_answer_still_waits_for_the_indicator() -> None:
    finished: list[str] = []

    async def answer() -> str:
        raise RuntimeError("boom")

    async def indicate() -> bool:
        await asyncio.sleep(0)
        finished.append("typing")
        return True

    with pytest.raises(RuntimeError):
        await indicated(answer(), indicate, 0.0)
    assert finished == ["typing"]
