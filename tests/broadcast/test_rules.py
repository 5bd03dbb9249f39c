"""Pure rules: crontab meaning, quiet hours, settings validation, pacing, --at parsing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.broadcast.cron import CronError, latest_fire_time, parse_cron
from bot.broadcast.options import BroadcastConfigError, options_from_settings
from bot.broadcast.pacing import ChatSpacing, TokenBucket
from bot.broadcast.quiet import QuietHours
from bot.broadcast.when import parse_when
from bot.channels.telegram.broadcast import telegram_pace
from bot.config import Settings

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expr", "weekday"),
    [("0 8 * * tue", 1), ("0 8 * * 2", 1), ("0 8 * * 0", 6), ("0 8 * * 7", 6), ("0 8 * * SUN", 6)],
)
def test_crontab_weekdays_keep_their_usual_meaning(expr: str, weekday: int) -> None:
    trigger = parse_cron(expr, TZ)
    fire = trigger.get_next_fire_time(None, local(2026, 11, 27, 12, 0))
    assert fire is not None and fire.weekday() == weekday and (fire.hour, fire.minute) == (8, 0)


def test_weekday_ranges_and_steps() -> None:
    trigger = parse_cron("30 7 * * 1-5", TZ)
    fires, moment = [], local(2026, 11, 29, 0, 0)  # a Sunday
    for _ in range(6):
        moment = trigger.get_next_fire_time(None, moment + dt.timedelta(minutes=1))
        fires.append(moment.weekday())
    assert fires == [0, 1, 2, 3, 4, 0]


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("0 8 * *", "5 trường"),
        ("61 8 * * tue", "không hợp lệ"),
        ("0 8 * * someday", "thứ"),
        ("0 8 1 * mon", "một trong hai"),
    ],
)
def test_invalid_cron_gets_a_clear_message(expr: str, words: str) -> None:
    with pytest.raises(CronError, match=words):
        parse_cron(expr, TZ)


def test_latest_fire_time_looks_back_within_the_window() -> None:
    trigger = parse_cron("0 8 * * tue", TZ)
    tuesday_0805 = local(2026, 12, 1, 8, 5)
    assert latest_fire_time(trigger, tuesday_0805, dt.timedelta(hours=12)) == local(
        2026, 12, 1, 8, 0
    )
    wednesday_0805 = local(2026, 12, 2, 8, 5)
    assert latest_fire_time(trigger, wednesday_0805, dt.timedelta(hours=12)) is None
    assert latest_fire_time(trigger, local(2026, 12, 1, 7, 59), dt.timedelta(hours=12)) is None


def test_quiet_hours_span_midnight() -> None:
    quiet = QuietHours.parse("21:00", "07:00", "Asia/Ho_Chi_Minh")
    assert quiet.is_quiet(local(2026, 12, 1, 21, 0))
    assert quiet.is_quiet(local(2026, 12, 2, 3, 0))
    assert not quiet.is_quiet(local(2026, 12, 2, 7, 0))
    assert not quiet.is_quiet(local(2026, 12, 1, 20, 59))
    assert quiet.resume_at(local(2026, 12, 1, 22, 30)) == local(2026, 12, 2, 7, 0)
    assert quiet.resume_at(local(2026, 12, 2, 6, 0)) == local(2026, 12, 2, 7, 0)
    noon = local(2026, 12, 2, 12, 0)
    assert quiet.resume_at(noon) == noon
    assert not QuietHours.parse("00:00", "00:00", "Asia/Ho_Chi_Minh").is_quiet(noon)
    with pytest.raises(ValueError, match="HH:MM"):
        QuietHours.parse("9pm", "07:00", "Asia/Ho_Chi_Minh")


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_rate_above_telegram_limit_is_refused_unless_paid() -> None:
    # Telegram's sender brings its own pace and limits (bot.channels.telegram.broadcast).
    assert telegram_pace(settings()).rate == 25.0
    assert telegram_pace(settings()).burst == 1.0
    with pytest.raises(BroadcastConfigError, match="TELEGRAM_PAID_BROADCAST"):
        telegram_pace(settings(telegram_broadcast_rate=31))
    paid = telegram_pace(settings(telegram_broadcast_rate=500, telegram_paid_broadcast=True))
    assert paid.rate == 500.0 and paid.burst == 25.0
    with pytest.raises(BroadcastConfigError, match="số dương"):
        telegram_pace(settings(telegram_broadcast_rate=0))
    with pytest.raises(BroadcastConfigError, match="1000"):
        telegram_pace(settings(telegram_broadcast_rate=1001, telegram_paid_broadcast=True))


def test_broadcast_settings_are_checked() -> None:
    with pytest.raises(BroadcastConfigError, match="QUIET_HOURS_START"):
        options_from_settings(settings(quiet_hours_start="25:00"))
    with pytest.raises(BroadcastConfigError, match="TIMEZONE"):
        options_from_settings(settings(timezone="Mars/Olympus"))


class StepClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> dt.datetime:
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)

    async def sleep_until(self, when: dt.datetime) -> None:
        self.t = max(self.t, (when - self.now()).total_seconds() + self.t)


async def test_token_bucket_never_exceeds_rate_plus_burst_in_any_second() -> None:
    clock = StepClock()
    bucket = TokenBucket(25.0, 1.0, clock)
    stamps: list[float] = []
    while len(stamps) < 200:
        taken = await bucket.acquire(5)
        stamps.extend([clock.t] * taken)
    for i, start in enumerate(stamps):
        in_window = sum(1 for s in stamps[i:] if s < start + 1.0)
        assert in_window <= 26
    assert stamps[-1] == pytest.approx(199 / 25.0, rel=0.01)


async def test_token_bucket_pause_stops_everyone() -> None:
    clock = StepClock()
    bucket = TokenBucket(100.0, 2.0, clock)
    await bucket.acquire()
    bucket.pause(3.0)
    await bucket.acquire()
    assert clock.t >= 3.0


async def test_chat_spacing_keeps_one_second_between_messages_to_a_chat() -> None:
    clock = StepClock()
    spacing = ChatSpacing(1.0, clock)
    await spacing.wait("a")
    await spacing.wait("b")
    assert clock.t == 0.0
    await spacing.wait("a")
    assert clock.t == 1.0
    spacing.defer("b", 5.0)
    await spacing.wait("b")
    assert clock.t == 6.0


def test_parse_when_reads_local_time() -> None:
    now = local(2026, 12, 1, 10, 0).astimezone(dt.UTC)
    assert parse_when("2026-12-01 14:30", TZ, now) == local(2026, 12, 1, 14, 30)
    assert parse_when("01/12/2026 14:30", TZ, now) == local(2026, 12, 1, 14, 30)
    assert parse_when("16:00", TZ, now) == local(2026, 12, 1, 16, 0)
    assert parse_when("2026-12-01T14:30:00+00:00", TZ, now) == dt.datetime(
        2026, 12, 1, 14, 30, tzinfo=dt.UTC
    )
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_when("ngày mai", TZ, now)
