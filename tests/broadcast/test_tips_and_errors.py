"""The tips library file, and how Telegram errors map onto delivery outcomes."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.broadcast import tips_store
from bot.broadcast.senders import Outcome
from bot.broadcast.tipfile import BODY_MAX, TipEntry, dump_tips, load_tips_file, render_tip
from bot.broadcast.tips_store import TipRepository
from bot.channels.telegram.broadcast import TelegramSender, classify
from bot.config import PROJECT_ROOT
from bot.core.knowledge import KnowledgeError, load_knowledge_dir
from tests.broadcast.conftest import Db

TIPS = PROJECT_ROOT / "knowledge" / "tips.yaml"


def test_the_shipped_tips_library_is_valid() -> None:
    faq_ids = set(load_knowledge_dir(PROJECT_ROOT / "knowledge").by_id)
    tips = load_tips_file(TIPS, faq_ids)
    assert len(tips) >= 60
    for tip in tips:
        assert len(tip.body) <= BODY_MAX
        assert unicodedata.is_normalized("NFC", tip.title + tip.body)
        assert TelegramSender.length(render_tip(tip.to_tip())) <= 2000  # fits Zalo too


def test_export_then_import_is_lossless(tmp_path: Path) -> None:
    tips = load_tips_file(TIPS)
    copy = tmp_path / "tips.yaml"
    copy.write_text(dump_tips(tips), encoding="utf-8")
    assert load_tips_file(copy) == tips


def test_unknown_faq_and_bad_link_are_located(tmp_path: Path) -> None:
    path = tmp_path / "tips.yaml"
    path.write_text(
        "tips:\n"
        "  - id: ok.one\n"
        "    title: Một\n"
        "    body: Nội dung\n"
        "    link: www.example.com\n"
        "    faq_id: khong.ton_tai\n"
        "    tags: [a, 1]\n"
        f"  - id: long.body\n    title: Dài\n    body: {'x' * (BODY_MAX + 1)}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as caught:
        load_tips_file(path, {"account.register"})
    messages = [str(issue) for issue in caught.value.issues]
    assert (
        f"{path}:2, entry ok.one, field link: đường dẫn phải bắt đầu bằng https://" in messages[0]
    )
    assert any("field faq_id" in m and "khong.ton_tai" in m for m in messages)
    assert any(f"{path}:8, entry long.body, field body: dài 1001 ký tự" in m for m in messages)


def test_a_file_of_the_wrong_shape_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "tips.yaml"
    path.write_text("- id: a\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"tips: \[ \.\.\. \]"):
        load_tips_file(path)
    path.write_text("tips: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="invalid YAML"):
        load_tips_file(path)


def caused(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (lambda: RetryAfter(dt.timedelta(seconds=3)), Outcome.RATE_LIMITED),
        (lambda: Forbidden("Forbidden: bot was blocked by the user"), Outcome.BLOCKED),
        (lambda: Forbidden("Forbidden: user is deactivated"), Outcome.BLOCKED),
        (lambda: BadRequest("Bad Request: chat not found"), Outcome.REJECTED),
        (lambda: InvalidToken("Unauthorized"), Outcome.FATAL),
        (lambda: NetworkError("Internal Server Error (500)"), Outcome.TRANSIENT),
        (lambda: caused(NetworkError("x"), httpx.ConnectError("refused")), Outcome.TRANSIENT),
        (lambda: caused(TimedOut(), httpx.ConnectTimeout("slow")), Outcome.TRANSIENT),
        (lambda: caused(TimedOut(), httpx.PoolTimeout("busy")), Outcome.TRANSIENT),
        # The request went out; Telegram may have delivered it: never resend.
        (lambda: caused(TimedOut(), httpx.ReadTimeout("no answer")), Outcome.AMBIGUOUS),
        (
            lambda: caused(NetworkError("x"), httpx.RemoteProtocolError("dropped")),
            Outcome.AMBIGUOUS,
        ),
    ],
)
def test_telegram_errors_map_to_outcomes(error: Callable[[], Exception], outcome: Outcome) -> None:
    result = classify(error())  # built here: PTB warns at import time without PTB_TIMEDELTA
    assert result.outcome is outcome
    if outcome is Outcome.RATE_LIMITED:
        assert result.retry_after == 3.0


async def test_processes_starting_together_seed_the_tips_once(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every process seeds an empty tips table at start; several starting at once (a bot, its
    standby and two web processes on a new database) must not fail on each other's rows."""
    # Both processes have seen the table empty before either writes: the file is read (in a
    # thread) only after that check, and neither read returns until both have started.
    both_checked = threading.Barrier(2)

    def load_after_both_checked(path: Path) -> list[TipEntry]:
        both_checked.wait()
        return load_tips_file(path)

    monkeypatch.setattr(tips_store, "load_tips_file", load_after_both_checked)
    second_engine, second_sessions = await db.open_second()
    try:
        repos = [TipRepository(db.sessions), TipRepository(second_sessions)]
        added = await asyncio.gather(*(repo.seed_if_empty(TIPS) for repo in repos))
        expected = len(load_tips_file(TIPS))
        assert sorted(added) == [0, expected]
        assert await repos[1].count() == expected
    finally:
        await second_engine.dispose()
