"""Web chat sessions, history and rate limits, shared by every process serving the chat.

Each request is admitted in one small write (rate counters, session lookup or creation) and its
exchange recorded in another (the sessions' last-seen times and counts updated, returning which
still exist, then the messages inserted: nothing read); both go through the storage's group
commit, so the requests of many visitors share transactions. History is bounded per session and
expires with the session.

A session this process has seen alive is remembered until it would expire (``LiveSessions``):
a request in it is admitted without reading the session row (the rate counters are still
counted in the database, shared by every process). A choice is checked against the choices
the session's last replies offered, read from its stored messages, so a choice offered by
whichever process is accepted; a token this process does not know is looked up, so a session
opened by another process is accepted and a forged one is not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import BindParameter

from bot.storage.batch import GroupCommit, sqlite_form
from bot.storage.engine import dialect_insert, reading
from bot.storage.models import utcnow
from bot.storage.sqlite_direct import Statement
from bot.storage.web_chat_models import WebChatMessageRow, WebChatRateRow, WebChatSessionRow

Pair = tuple[str, str]  # (choice id, label)
Clock = Callable[[], dt.datetime]

KEEP_MESSAGES = 100  # per session; older ones go once twice as many piled up
MAX_OFFERED = 30  # choice ids remembered per session (the last few replies' buttons)
PURGE_EVERY_SECONDS = 300.0
LIVE_SESSIONS = 50_000  # sessions remembered alive per process (least recently used go first)


def session_key(token: str) -> str:
    """The stored key of a session token (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class RateLimits:
    window: dt.timedelta
    per_session: int
    per_ip: int


@dataclass(frozen=True, slots=True)
class Admission:
    """A request asking to be answered: the token it carried (if any) and its client address.
    ``choosing``: it acts on a choice, so the session's offered choices must be read."""

    token: str | None
    client: str
    choosing: bool = True


@dataclass(frozen=True, slots=True)
class Admitted:
    """The session to answer in, or how long to wait (``retry_after`` > 0: refused).
    ``offered`` is read only for a request ``choosing`` (empty otherwise)."""

    token: str
    key: str
    fresh: bool
    offered: tuple[Pair, ...] = ()
    retry_after: float = 0.0


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    role: str  # "visitor" or "assistant"
    text: str
    outcome: str | None = None
    faq_id: str | None = None
    choices: tuple[Pair, ...] = ()


@dataclass(frozen=True, slots=True)
class Exchange:
    """One turn to remember: what the visitor sent (redacted; None for a silent start) and the
    reply, whose choices become the ones the session may pick next."""

    key: str
    visitor: str | None
    reply: HistoryEntry


def _pairs(value: Any) -> tuple[Pair, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        (str(item[0]), str(item[1]))
        for item in value
        if isinstance(item, list | tuple) and len(item) == 2
    )


def _client_key(client: str) -> str:
    # Hashed: a rate counter needs no readable address (rows live one window).
    return "ip:" + hashlib.sha256(client.encode("utf-8")).hexdigest()[:40]


async def _count(
    session: AsyncSession,
    keys: Sequence[str],
    limits: Sequence[int],
    now: dt.datetime,
    window: dt.timedelta,
) -> list[float]:
    """Count one request per item of ``keys`` (a key may repeat) in its fixed window; for
    each, in order, the seconds to wait when it is past its item of ``limits`` (0: allowed).

    One upsert for the whole batch, shared by every process: the database adds to each
    counter (starting it afresh when its window ended) and returns the totals, and the
    requests of a key take the places after the count it had. Keys in sorted order, so two
    processes lock the same rows in the same order."""
    if not keys:
        return []
    wanted = Counter(keys)
    upsert = dialect_insert(session, RATES)
    ended = or_(RATES.c.window_start <= now - window, RATES.c.window_start > now)
    upsert = upsert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "window_start": case((ended, upsert.excluded.window_start), else_=RATES.c.window_start),
            "count": case(
                (ended, upsert.excluded.count), else_=RATES.c.count + upsert.excluded.count
            ),
        },
    ).returning(RATES.c.key, RATES.c.window_start, RATES.c.count)
    # Parameters apart from the statement: its compiled form is cached whatever the batch size
    # (the driver still sends one multi-row statement).
    rows = await session.execute(
        upsert,
        [{"key": key, "window_start": now, "count": n} for key, n in sorted(wanted.items())],
    )
    totals = {key: (start, int(total)) for key, start, total in rows}
    waits: list[float] = []
    taken: Counter[str] = Counter()
    for key, limit in zip(keys, limits, strict=True):
        start, total = totals[key]
        taken[key] += 1
        if total - wanted[key] + taken[key] <= limit:
            waits.append(0.0)
        else:
            waits.append(max((start + window - now).total_seconds(), 1.0))
    return waits


class LiveSessions:
    """Session keys this process saw alive, each with the time it expires at the latest.

    Sessions are only ever deleted once expired (purge, or a late visit), so a session known
    alive until ``t`` still exists before ``t``, whichever process served it since; seen by
    another process meanwhile it lives longer than remembered here, never shorter. A key that
    is not here (unknown, forged, expired, or evicted) is looked up in the database."""

    def __init__(self, size: int = LIVE_SESSIONS) -> None:
        self.size = size
        self._until: OrderedDict[str, dt.datetime] = OrderedDict()

    def alive(self, key: str, now: dt.datetime) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if until <= now:
            del self._until[key]
            return False
        self._until.move_to_end(key)
        return True

    def seen(self, key: str, until: dt.datetime) -> None:
        self._until[key] = until
        self._until.move_to_end(key)
        if len(self._until) > self.size:
            self._until.popitem(last=False)

    def gone(self, key: str) -> None:
        self._until.pop(key, None)


SESSIONS = cast(Table, WebChatSessionRow.__table__)
MESSAGES = cast(Table, WebChatMessageRow.__table__)
RATES = cast(Table, WebChatRateRow.__table__)


def _message(
    key: str, now: dt.datetime, role: str, text: str, reply: HistoryEntry | None = None
) -> dict[str, Any]:
    return {
        "session_key": key,
        "created_at": now,
        "role": role,
        "text": text,
        "outcome": reply.outcome if reply is not None else None,
        "faq_id": reply.faq_id if reply is not None else None,
        "choices": [list(pair) for pair in reply.choices] if reply is not None else None,
    }


async def _offered(session: AsyncSession, key: str) -> tuple[Pair, ...]:
    """The choices the session's last replies showed, newest first (at most MAX_OFFERED)."""
    rows = await session.scalars(
        select(MESSAGES.c.choices)
        .where(MESSAGES.c.session_key == key, MESSAGES.c.role == "assistant")
        .order_by(MESSAGES.c.id.desc())
        .limit(MAX_OFFERED)
    )
    return tuple(dict.fromkeys(pair for value in rows for pair in _pairs(value)))[:MAX_OFFERED]


async def _sessions_by_key(
    session: AsyncSession, keys: Sequence[str]
) -> dict[str, WebChatSessionRow]:
    if not keys:
        return {}
    query = select(WebChatSessionRow).where(WebChatSessionRow.key.in_(sorted(set(keys))))
    return {row.key: row for row in await session.scalars(query)}


def _added(exchanges: Sequence[Exchange]) -> dict[int, list[str]]:
    """Sessions by the number of messages the exchanges add to each, keys in sorted order."""
    added: Counter[str] = Counter()
    for exchange in exchanges:
        added[exchange.key] += 1 if exchange.visitor is None else 2
    by_count: dict[int, list[str]] = {}
    for key, count in sorted(added.items()):
        by_count.setdefault(count, []).append(key)
    return by_count


_KEY: BindParameter[str] = bindparam("b_key")
_TOUCH = Statement(
    update(SESSIONS)
    .where(SESSIONS.c.key == _KEY)
    .values(last_seen=bindparam("b_seen"), messages=SESSIONS.c.messages + bindparam("b_count"))
    .returning(SESSIONS.c.key, SESSIONS.c.messages)
)
_INSERT_MESSAGES = Statement(
    insert(MESSAGES),
    ["session_key", "created_at", "role", "text", "outcome", "faq_id", "choices"],
)
_OLDEST_KEPT_SQL = (
    select(MESSAGES.c.id)
    .where(MESSAGES.c.session_key == _KEY)
    .order_by(MESSAGES.c.id.desc())
    .offset(KEEP_MESSAGES - 1)
    .limit(1)
)
_DROP_OLDER_SQL = delete(MESSAGES).where(
    MESSAGES.c.session_key == _KEY, MESSAGES.c.id < bindparam("b_id")
)
_COUNT_KEPT_SQL = update(SESSIONS).where(SESSIONS.c.key == _KEY).values(messages=KEEP_MESSAGES)
_OLDEST_KEPT = Statement(_OLDEST_KEPT_SQL)
_DROP_OLDER = Statement(_DROP_OLDER_SQL)
_COUNT_KEPT = Statement(_COUNT_KEPT_SQL)

Recording = tuple["WebChatRepository", Exchange]


def _record_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[Recording]
) -> list[None]:
    for store, exchanges in _by_store(items).items():
        store._record_sqlite(conn, dialect, exchanges)
    return [None] * len(items)


@sqlite_form(_record_sqlite)
async def _record(session: AsyncSession, items: Sequence[Recording]) -> list[None]:
    """A batch's exchanges, written by the repository each came from (one per process)."""
    for store, exchanges in _by_store(items).items():
        await store._record_batch(session, exchanges)
    return [None] * len(items)


def _by_store(items: Sequence[Recording]) -> dict[WebChatRepository, list[Exchange]]:
    grouped: dict[WebChatRepository, list[Exchange]] = {}
    for store, exchange in items:
        grouped.setdefault(store, []).append(exchange)
    return grouped


class WebChatRepository:
    """Sessions, history and rate limits of the web chat."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: GroupCommit,
        limits: RateLimits,
        session_ttl: dt.timedelta,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self.limits = limits
        self.session_ttl = session_ttl
        self.clock = clock
        self.live = LiveSessions()
        self._last_purge = float("-inf")

    # ------------------------------------------------------------------ admission

    async def admit(self, request: Admission) -> Admitted:
        """Count the request against its address and session; find or open the session."""
        result: Admitted = await self._writer.submit(self._admit_batch, request)
        return result

    async def _admit_batch(
        self, session: AsyncSession, requests: Sequence[Admission]
    ) -> list[Admitted]:
        now, limits = self.clock(), self.limits
        await self._purge_now_and_then(session, now)
        keys = {r.token: session_key(r.token) for r in requests if r.token is not None}
        # Sessions known alive need no row; a choice reads the offered ones from the messages.
        cached = {key for key in keys.values() if self.live.alive(key, now)}
        known = await _sessions_by_key(session, [k for k in keys.values() if k not in cached])
        # The session each request would be answered in: its own, or a new one where it has
        # none (or an unknown or expired one). Nothing is written for it before it is counted.
        planned: list[tuple[str, str, WebChatSessionRow | None]] = []
        for request in requests:
            token = request.token
            key = keys[token] if token is not None else None
            if token is not None and key is not None and key in cached:
                planned.append((token, key, None))
                continue
            row = known.get(key) if key is not None else None
            if row is None or token is None or row.last_seen + self.session_ttl <= now:
                token = new_token()
                planned.append((token, session_key(token), row))
            else:
                planned.append((token, row.key, row))
        # One upsert counts every request against its address and its session (a request
        # refused for its address is counted against its session too: its next one is sent
        # after the wait anyway).
        waits = await _count(
            session,
            [_client_key(r.client) for r in requests] + ["s:" + key for _, key, _ in planned],
            [limits.per_ip] * len(requests) + [limits.per_session] * len(planned),
            now,
            limits.window,
        )
        ip_waits, session_waits = waits[: len(requests)], waits[len(requests) :]
        admitted: list[Admitted] = []
        for request, (token, key, row), ip_wait, session_wait in zip(
            requests, planned, ip_waits, session_waits, strict=True
        ):
            if ip_wait:
                # Past the address limit: no session is opened or touched.
                admitted.append(Admitted("", "", False, retry_after=ip_wait))
                continue
            fresh = token != request.token
            if fresh:
                if row is not None and row.key in known:
                    await session.delete(row)  # expired: its history goes with it
                    await session.flush()
                    del known[row.key]
                    self.live.gone(row.key)
                session.add(
                    WebChatSessionRow(
                        key=key, created_at=now, last_seen=now, offered=[], messages=0
                    )
                )
                self.live.seen(key, now + self.session_ttl)
            elif row is not None:
                self.live.seen(key, row.last_seen + self.session_ttl)
            offered = await _offered(session, key) if request.choosing and not fresh else ()
            admitted.append(Admitted(token, key, fresh, offered, retry_after=session_wait))
        return admitted

    async def _purge_now_and_then(self, session: AsyncSession, now: dt.datetime) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = time.monotonic()
        await self._purge(session, now)

    async def _purge(self, session: AsyncSession, now: dt.datetime) -> None:
        expired = select(WebChatSessionRow.key).where(
            WebChatSessionRow.last_seen <= now - self.session_ttl
        )
        await session.execute(
            delete(WebChatMessageRow).where(WebChatMessageRow.session_key.in_(expired))
        )
        await session.execute(
            delete(WebChatSessionRow).where(WebChatSessionRow.last_seen <= now - self.session_ttl)
        )
        await session.execute(
            delete(WebChatRateRow).where(WebChatRateRow.window_start <= now - self.limits.window)
        )

    async def purge(self) -> None:
        """Delete expired sessions with their history, and finished rate windows."""
        async with self._sessions() as session, session.begin():
            await self._purge(session, self.clock())

    # ------------------------------------------------------------------ history

    async def record(self, exchange: Exchange) -> None:
        await self._writer.submit(_record, (self, exchange))

    def _recorded(
        self, exchanges: Sequence[Exchange], totals: dict[str, int], now: dt.datetime
    ) -> list[dict[str, Any]]:
        """The message rows of the exchanges whose session still exists (``totals``: the
        sessions updated, with their message counts); the others are forgotten here."""
        messages: list[dict[str, Any]] = []
        for exchange in exchanges:
            if exchange.key not in totals:
                self.live.gone(exchange.key)  # expired or purged meanwhile
                continue
            if exchange.visitor is not None:
                messages.append(_message(exchange.key, now, "visitor", exchange.visitor))
            reply = exchange.reply
            messages.append(_message(exchange.key, now, "assistant", reply.text, reply))
        for key in totals:
            self.live.seen(key, now + self.session_ttl)
        return messages

    async def _record_batch(
        self, session: AsyncSession, exchanges: Sequence[Exchange]
    ) -> list[None]:
        """Nothing read: one update of the sessions (last seen, message count; usually one
        statement, one per distinct count added) returns which still exist and their counts,
        then one insert of the messages for the whole batch (Core statements, no ORM objects).
        The choices a session may pick are read from its messages when one is picked."""
        now = self.clock()
        totals: dict[str, int] = {}
        for count, keys in _added(exchanges).items():
            found = await session.execute(
                update(SESSIONS)
                .where(SESSIONS.c.key.in_(keys))
                .values(last_seen=now, messages=SESSIONS.c.messages + count)
                .returning(SESSIONS.c.key, SESSIONS.c.messages)
            )
            totals.update((key, int(total or 0)) for key, total in found)
        messages = self._recorded(exchanges, totals, now)
        if messages:
            await session.execute(insert(MESSAGES), messages)
        for key, total in totals.items():
            if total > 2 * KEEP_MESSAGES:
                await self._trim(session, key)
        return [None] * len(exchanges)

    def _record_sqlite(
        self, conn: sqlite3.Connection, dialect: Dialect, exchanges: Sequence[Exchange]
    ) -> list[None]:
        """_record_batch on SQLite's own connection, in one call to its thread: the same rows."""
        now = self.clock()
        totals: dict[str, int] = {}
        for count, keys in _added(exchanges).items():
            rows = [{"b_key": key, "b_seen": now, "b_count": count} for key in keys]
            totals.update((key, int(total or 0)) for key, total in _TOUCH.each(conn, dialect, rows))
        _INSERT_MESSAGES.many(conn, dialect, self._recorded(exchanges, totals, now))
        for key, total in totals.items():
            if total > 2 * KEEP_MESSAGES:
                [(oldest_kept,)] = _OLDEST_KEPT.each(conn, dialect, [{"b_key": key}]) or [(None,)]
                if oldest_kept is not None:
                    _DROP_OLDER.many(conn, dialect, [{"b_key": key, "b_id": oldest_kept}])
                _COUNT_KEPT.many(conn, dialect, [{"b_key": key}])
        return [None] * len(exchanges)

    @staticmethod
    async def _trim(session: AsyncSession, key: str) -> None:
        """Keep the session's last KEEP_MESSAGES messages (and count them)."""
        params = {"b_key": key}
        oldest_kept = await session.scalar(_OLDEST_KEPT_SQL, params)
        if oldest_kept is not None:
            await session.execute(_DROP_OLDER_SQL, params | {"b_id": oldest_kept})
        await session.execute(_COUNT_KEPT_SQL, params)

    async def history(self, token: str) -> list[HistoryEntry] | None:
        """The session's last messages, oldest first; None when no such live session."""
        key = session_key(token)
        async with reading(self._sessions) as session:
            row = await session.get(WebChatSessionRow, key)
            if row is None or row.last_seen + self.session_ttl <= self.clock():
                return None
            rows = await session.scalars(
                select(WebChatMessageRow)
                .where(WebChatMessageRow.session_key == key)
                .order_by(WebChatMessageRow.id.desc())
                .limit(KEEP_MESSAGES)
            )
            found = list(rows)
        found.reverse()
        return [HistoryEntry(m.role, m.text, m.outcome, m.faq_id, _pairs(m.choices)) for m in found]

    async def forget(self, key: str) -> None:
        """Erase a session's history (the visitor asked for their data to be deleted)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(WebChatMessageRow).where(WebChatMessageRow.session_key == key)
            )
            row = await session.get(WebChatSessionRow, key)
            if row is not None:
                row.messages, row.offered = 0, []

    async def count_sessions(self) -> int:
        async with reading(self._sessions) as session:
            return int(
                await session.scalar(select(func.count()).select_from(WebChatSessionRow)) or 0
            )
