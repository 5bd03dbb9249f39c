"""Per-user flood control for every messenger channel (Telegram, Zalo): a sliding window in
this process's memory, bounded by recent activity, and the database's windows shared by every
process taking the messenger's updates (bot.storage.flood), counted behind the answers."""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.bookkeeping import WriteBehind
from bot.core.ports import FloodVerdict, FloodWindows

if TYPE_CHECKING:
    from bot.channels.base import ChannelContext
    from bot.config import Settings

Verdict = FloodVerdict
FLOOD_WINDOWS = "flood windows"  # what the write-behind queue calls the shared counts
COUNT_EVERY = 500  # messages after which another shared count is queued even if one waits
# Said once to a user who went over the limit (plain text: every channel can show it).
SLOW_DOWN = (
    "Bạn đang gửi tin nhắn hơi nhanh. Vui lòng chờ một chút rồi gửi lại câu hỏi, "
    "tôi sẽ trả lời từng câu một."
)


# A user's window is one tuple: (last seen, muted until or 0.0, the stamps inside the window,
# oldest first). A peak keeps everyone who wrote within the last window (thousands of users
# at a province's busiest): as a tuple each costs about 250 bytes with its key, where an
# object holding a deque cost about 1 KiB (a deque's first block alone is 528 bytes).
_Window = tuple[float, ...]
_LAST_SEEN, _MUTED_UNTIL, _STAMPS = 0, 1, 2
_NOT_MUTED = 0.0


class FloodGuard:
    """More than ``max_messages`` in ``window`` seconds → one notice, then silence for a window.

    Users are kept in least-recently-seen order; anyone silent for a whole window is forgotten,
    and ``max_users`` caps memory even under a flood of distinct senders.
    """

    def __init__(
        self,
        max_messages: int,
        window: float,
        *,
        max_users: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_messages < 1 or window <= 0:
            raise ValueError("flood limits must be positive")
        self.max_messages = max_messages
        self.window = window
        self.max_users = max_users
        self._clock = clock
        self._users: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def check(self, user_key: str) -> Verdict:
        now = self._clock()
        self._forget_idle(now)
        users = self._users
        state = users.get(user_key)
        if state is None:
            users[user_key] = (now, _NOT_MUTED, now)
            while len(users) > self.max_users:
                users.popitem(last=False)
            return Verdict.ALLOW
        users.move_to_end(user_key)
        muted_until = state[_MUTED_UNTIL]
        if muted_until:
            if now < muted_until:
                users[user_key] = (now, muted_until)
                return Verdict.IGNORE
            # The mute is over: the window starts afresh (a muted window keeps no stamps).
            users[user_key] = (now, _NOT_MUTED, now)
            return Verdict.ALLOW
        # Stamps are in time order: those at or before the horizon have left the window.
        first = bisect_right(state, now - self.window, _STAMPS)
        if len(state) - first + 1 > self.max_messages:
            users[user_key] = (now, now + self.window)
            return Verdict.NOTIFY
        users[user_key] = (now, _NOT_MUTED, *state[first:], now)
        return Verdict.ALLOW

    def _forget_idle(self, now: float) -> None:
        horizon = now - self.window
        users = self._users
        while users:
            key, oldest = next(iter(users.items()))
            if oldest[_LAST_SEEN] > horizon:
                break
            del users[key]


class FloodControl:
    """This process's window decides at once; the shared windows (``shared``, in the database)
    count every process's messages behind the answers: the messages of every user since the
    last count go in one bookkeeping write (one statement batch, however many users), and a
    user they find over the limit is muted here too (the first of their next messages gets the
    notice unless this process gave it already). So the database never delays an answer, and
    messages spread over processes are held to the limit within a flush (about 50 ms)."""

    def __init__(
        self,
        local: FloodGuard,
        shared: FloodWindows | None = None,
        bookkeeping: WriteBehind | None = None,
        *,
        channel: str = "",
        clock: Callable[[], float] = time.monotonic,
        max_muted: int = 10_000,
    ) -> None:
        self.local = local
        self.shared = shared
        # Not `or`: an empty queue is falsy, and the shared one must be used even then.
        self.bookkeeping = bookkeeping if bookkeeping is not None else WriteBehind()
        self.channel = channel
        self._clock = clock
        self.max_muted = max_muted
        # Users the shared windows found over the limit: until when, and whether the notice
        # is still due.
        self._muted: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        # Messages allowed here and not yet counted in the shared windows, per user; a count
        # is queued in the bookkeeping while this is not empty.
        self._uncounted: dict[str, int] = {}
        self._since_queued = 0

    async def check(self, user_key: str) -> Verdict:
        verdict = self.local.check(user_key)
        if self.shared is None:
            return verdict
        muted = self._muted.get(user_key)
        if muted is not None:
            until, notice_due = muted
            if self._clock() < until:
                # One notice in all: from here if the shared window found it due here.
                self._muted[user_key] = (until, False)
                return Verdict.NOTIFY if notice_due else Verdict.IGNORE
            del self._muted[user_key]
        if verdict is Verdict.ALLOW:
            # A count is queued for the first message since the last one was taken, and
            # again every COUNT_EVERY messages (should a full queue have dropped it).
            if not self._uncounted or self._since_queued >= COUNT_EVERY:
                self.bookkeeping.put(FLOOD_WINDOWS, self._count_job(), order=FLOOD_WINDOWS)
                self._since_queued = 0
            self._since_queued += 1
            self._uncounted[user_key] = self._uncounted.get(user_key, 0) + 1
        return verdict

    def _count_job(self) -> Callable[[], Awaitable[None]]:
        """The next shared count: it takes the messages gathered until it runs (a retry after
        an outage counts the same ones again, once)."""
        taken: tuple[dict[str, int], float] | None = None

        async def count() -> None:
            nonlocal taken
            if taken is None:
                taken, self._uncounted = (self._uncounted, self._clock()), {}
            if taken[0]:
                await self._count(*taken)

        return count

    async def _count(self, users: dict[str, int], at: float) -> None:
        assert self.shared is not None
        keys = {f"{self.channel}:{user}": user for user in users}
        verdicts = await self.shared.count({key: users[user] for key, user in keys.items()})
        for key, shared in verdicts.items():
            if shared is Verdict.ALLOW:
                continue
            user = keys[key]
            self._muted[user] = (at + self.local.window, shared is Verdict.NOTIFY)
            self._muted.move_to_end(user)
        while len(self._muted) > self.max_muted:
            self._muted.popitem(last=False)


def for_channel(channel: str, context: ChannelContext, settings: Settings) -> FloodControl:
    """A channel's flood control: FLOOD_MAX_MESSAGES in FLOOD_WINDOW_SECONDS per user, held
    across every process serving ``channel`` when the context has the database's windows."""
    return FloodControl(
        FloodGuard(settings.flood_max_messages, settings.flood_window_seconds),
        context.flood,
        context.bookkeeping,
        channel=channel,
    )
