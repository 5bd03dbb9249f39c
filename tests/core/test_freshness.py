"""An answer never shows an old review date without saying where to check the current rule."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.config import Settings
from bot.core.freshness import Reason, age_days, is_outdated, review_reasons
from bot.core.knowledge import FaqEntry, Link
from bot.core.responder import Responder, ResponderSettings
from bot.runtime import Runtime, make_runtime
from tests.core.conftest import KNOWLEDGE

NOTICE = "Thông tin có thể đã thay đổi, hãy kiểm tra tại"
REVIEWED = dt.date(2026, 5, 1)


def entry(**fields: object) -> FaqEntry:
    values: dict[str, object] = {
        "id": "help.sample",
        "category": "help",
        "question": "Câu hỏi mẫu?",
        "alternates": tuple(f"cách hỏi {i}" for i in range(6)),
        "answer": "Trả lời mẫu. Gọi {hotline}.",
        "links": (Link("Cổng Dịch vụ công Bộ Công an", "https://dichvucong.bocongan.gov.vn"),),
        "source": "Nghị định 118/2025/NĐ-CP",
        "reviewed": REVIEWED,
    }
    values.update(fields)
    return FaqEntry(**values)  # type: ignore[arg-type]


def responder(runtime: Runtime, today: dt.date, limit: int = 180, **profile: str) -> Responder:
    chosen = dataclasses.replace(runtime.profile, **profile) if profile else runtime.profile
    return Responder(runtime.live, chosen, ResponderSettings(4000, limit), today=lambda: today)


def test_age_and_reasons_follow_one_rule() -> None:
    assert age_days(entry(), dt.date(2026, 10, 28)) == 180
    assert not is_outdated(entry(), dt.date(2026, 10, 28), 180)  # exactly the limit: still fresh
    assert is_outdated(entry(), dt.date(2026, 10, 29), 180)
    assert age_days(entry(), dt.date(2026, 4, 1)) == 0  # a date in the future is not negative
    assert review_reasons(entry(), dt.date(2026, 10, 29), 180) == (Reason.STALE,)
    bare = entry(reviewed=None, source="  ")
    assert is_outdated(bare, dt.date(2026, 5, 1), 180)
    assert review_reasons(bare, dt.date(2026, 5, 1), 180) == (
        Reason.NO_REVIEWED_DATE,
        Reason.NO_SOURCE,
    )


def test_a_recent_answer_shows_its_date_and_no_notice(runtime: Runtime) -> None:
    text = responder(runtime, dt.date(2026, 10, 28)).entry_text(entry())
    assert "cập nhật 01/05/2026" in text
    assert NOTICE not in text


def test_an_old_answer_keeps_its_date_and_says_where_to_check(runtime: Runtime) -> None:
    text = responder(runtime, dt.date(2026, 10, 29)).entry_text(entry())
    lines = text.splitlines()
    footer = lines.index(next(line for line in lines if line.startswith("Nguồn:")))
    assert "cập nhật 01/05/2026" in lines[footer]
    assert lines[footer + 1] == (
        f"⚠️ {NOTICE} Cổng Dịch vụ công Bộ Công an: https://dichvucong.bocongan.gov.vn"
    )


def test_the_limit_comes_from_the_settings(runtime: Runtime) -> None:
    today = dt.date(2026, 6, 1)  # 31 days after the review
    assert NOTICE not in responder(runtime, today, limit=31).entry_text(entry())
    assert NOTICE in responder(runtime, today, limit=30).entry_text(entry())
    built = make_runtime(
        Settings(knowledge_dir=KNOWLEDGE, knowledge_stale_days=30, _env_file=None),  # type: ignore[call-arg]
        runtime.snapshot.kb,
    )
    assert built.responder.settings.stale_after_days == 30
    assert isinstance(built.responder.today(), dt.date)


@pytest.mark.parametrize(
    "changed",
    [{"reviewed": None}, {"reviewed": None, "source": ""}],
    ids=["no-date", "no-date-no-source"],
)
def test_an_undated_answer_always_says_where_to_check(
    runtime: Runtime, changed: dict[str, object]
) -> None:
    text = responder(runtime, REVIEWED).entry_text(entry(**changed))
    assert "cập nhật" not in text
    assert text.splitlines()[-1].startswith(f"⚠️ {NOTICE} Cổng Dịch vụ công Bộ Công an")


def test_the_place_is_the_first_link_filled_or_else_the_province_portal(
    runtime: Runtime,
) -> None:
    own = "https://dichvucong.example.gov.vn"
    late = dt.date(2027, 1, 1)
    province_first = entry(links=(Link("Cổng Dịch vụ công của tỉnh", "{portal_url}"),))
    text = responder(runtime, late, portal_url=own).entry_text(province_first)
    assert text.endswith(f"{NOTICE} Cổng Dịch vụ công của tỉnh: {own}")
    text = responder(runtime, late, portal_url=own).entry_text(entry(links=()))
    assert text.endswith(f"{NOTICE} Cổng Dịch vụ công: {own}")


def test_a_shared_address_keeps_the_title_of_the_link_that_names_it(runtime: Runtime) -> None:
    national = "https://dichvucong.gov.vn"
    both = entry(
        links=(
            Link("Cổng Dịch vụ công của tỉnh", "{portal_url}"),
            Link("Cổng Dịch vụ công quốc gia", national),
        )
    )
    same = responder(runtime, REVIEWED, portal_url=national)
    assert same.entry_links(both) == [("Cổng Dịch vụ công quốc gia", national)]
    own = responder(runtime, REVIEWED, portal_url="https://dvc.example.gov.vn")
    assert own.entry_links(both) == [
        ("Cổng Dịch vụ công của tỉnh", "https://dvc.example.gov.vn"),
        ("Cổng Dịch vụ công quốc gia", national),
    ]
