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
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def _counter_upsert(insert_: Any, ended_at: Any, now: Any) -> Any:
    """Add each row's count to its key's counter, starting it afresh when its window ended
    (it began at ``ended_at`` or earlier, or after ``now``); returns each counter's total.
    ``insert_``: the dialect's INSERT of the counters (ON CONFLICT)."""
    ended = or_(RATES.c.window_start <= ended_at, RATES.c.window_start > now)
    return insert_.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "window_start": case(
                (ended, insert_.excluded.window_start), else_=RATES.c.window_start
            ),
            "count": case(
                (ended, insert_.excluded.count), else_=RATES.c.count + insert_.excluded.count
            ),
        },
    ).returning(RATES.c.key, RATES.c.window_start, RATES.c.count)


def _counter_rows(keys: Sequence[str], now: dt.datetime) -> list[dict[str, Any]]:
    """The upsert's rows: one per key with the requests it counts, keys in sorted order (so
    two processes lock the same rows in the same order)."""
    return [
        {"key": key, "window_start": now, "count": n} for key, n in sorted(Counter(keys).items())
    ]


def _waits(
    keys: Sequence[str],
    limits: Sequence[int],
    totals: dict[str, tuple[dt.datetime, int]],
    now: dt.datetime,
    window: dt.timedelta,
) -> list[float]:
    """For each item of ``keys`` (a key may repeat), in order, the seconds to wait when it is
    past its item of ``limits`` (0: allowed), given each counter's start and total after the
    batch was added: the requests of a key take the places after the count it had."""
    wanted = Counter(keys)
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


async def _count(
    session: AsyncSession,
    keys: Sequence[str],
    limits: Sequence[int],
    now: dt.datetime,
    window: dt.timedelta,
) -> list[float]:
    """Count one request per item of ``keys`` in its fixed window (see ``_waits``).

    One upsert for the whole batch, shared by every process: the database adds to each
    counter and returns the totals."""
    if not keys:
        return []
    upsert = _counter_upsert(dialect_insert(session, RATES), now - window, now)
    # Parameters apart from the statement: its compiled form is cached whatever the batch size
    # (the driver still sends one multi-row statement).
    rows = await session.execute(upsert, _counter_rows(keys, now))
    totals = {key: (start, int(total)) for key, start, total in rows}
    return _waits(keys, limits, totals, now, window)


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
SESSION_COLUMNS = ("key", "created_at", "last_seen", "offered", "messages")


def _moment(dialect: Dialect) -> Callable[[Any], dt.datetime]:
    """Reads a stored time as the column's type does through the session (aware UTC)."""
    process = SESSIONS.c.last_seen.type.dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    return cast(Callable[[Any], dt.datetime], process)


def _json_reader(dialect: Dialect) -> Callable[[Any], Any]:
    process = MESSAGES.c.choices.type.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else (lambda value: value)


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


def _offered_from(values: Any) -> tuple[Pair, ...]:
    """The choices of the session's last replies (their ``choices`` values, newest first),
    each once, at most MAX_OFFERED."""
    return tuple(dict.fromkeys(pair for value in values for pair in _pairs(value)))[:MAX_OFFERED]


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

# Admission (its SQLite form runs these on the connection; the session path the same SQL).
_OFFERED_SQL = (
    select(MESSAGES.c.choices)
    .where(MESSAGES.c.session_key == _KEY, MESSAGES.c.role == "assistant")
    .order_by(MESSAGES.c.id.desc())
    .limit(MAX_OFFERED)
)
_PURGE_SQL = (
    delete(MESSAGES).where(
        MESSAGES.c.session_key.in_(
            select(SESSIONS.c.key).where(SESSIONS.c.last_seen <= bindparam("b_expired"))
        )
    ),
    delete(SESSIONS).where(SESSIONS.c.last_seen <= bindparam("b_expired")),
    delete(RATES).where(RATES.c.window_start <= bindparam("b_ended")),
)
_LAST_SEEN = Statement(select(SESSIONS.c.last_seen).where(SESSIONS.c.key == _KEY))
_OFFERED = Statement(_OFFERED_SQL)
_PURGE = tuple(Statement(statement) for statement in _PURGE_SQL)
_DROP_SESSION = Statement(delete(SESSIONS).where(SESSIONS.c.key == _KEY))
_OPEN_SESSION = Statement(insert(SESSIONS), SESSION_COLUMNS)
_COUNT_SQLITE = Statement(
    _counter_upsert(sqlite_insert(RATES), bindparam("b_ended"), bindparam("b_now")),
    ["key", "window_start", "count"],
)


@dataclass(slots=True)
class _Admitting:
    """One batch of admissions between its reads and writes: the session each request would
    be answered in, and then what to write and to read for them."""

    requests: Sequence[Admission]
    now: dt.datetime
    keys: dict[str, str]  # token → session key
    cached: set[str]  # keys known alive here: no row read
    # (token, key, the stored row's key and last visit): its own session, or a new one where
    # it has none (or an unknown or expired one, the row given).
    planned: list[tuple[str, str, tuple[str, dt.datetime] | None]] = field(default_factory=list)
    admitted: list[Admitted] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # expired sessions to delete
    opened: list[dict[str, Any]] = field(default_factory=list)  # session rows to insert
    choosing: dict[int, str] = field(default_factory=dict)  # admitted → key to read offered

    @property
    def unknown(self) -> list[str]:
        """The keys whose session row must be read (sorted, each once)."""
        return sorted({key for key in self.keys.values() if key not in self.cached})


Recording = tuple["WebChatRepository", Exchange]
Admitting = tuple["WebChatRepository", Admission]
Item = TypeVar("Item")


def _record_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[Recording]
) -> list[None]:
    for store, (_, exchanges) in _by_store(items).items():
        store._record_sqlite(conn, dialect, exchanges)
    return [None] * len(items)


@sqlite_form(_record_sqlite)
async def _record(session: AsyncSession, items: Sequence[Recording]) -> list[None]:
    """A batch's exchanges, written by the repository each came from (one per process)."""
    for store, (_, exchanges) in _by_store(items).items():
        await store._record_batch(session, exchanges)
    return [None] * len(items)


def _admit_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[Admitting]
) -> list[Admitted]:
    admitted: list[Admitted | None] = [None] * len(items)
    for store, (places, requests) in _by_store(items).items():
        for place, result in zip(places, store._admit_sqlite(conn, dialect, requests), strict=True):
            admitted[place] = result
    return cast(list[Admitted], admitted)


@sqlite_form(_admit_sqlite)
async def _admit(session: AsyncSession, items: Sequence[Admitting]) -> list[Admitted]:
    """A batch's admissions, by the repository each came to, results in the batch's order."""
    admitted: list[Admitted | None] = [None] * len(items)
    for store, (places, requests) in _by_store(items).items():
        for place, result in zip(places, await store._admit_batch(session, requests), strict=True):
            admitted[place] = result
    return cast(list[Admitted], admitted)


def _by_store(
    items: Sequence[tuple[WebChatRepository, Item]],
) -> dict[WebChatRepository, tuple[list[int], list[Item]]]:
    """The items by repository: each one's places in the batch and its items, in order."""
    grouped: dict[WebChatRepository, tuple[list[int], list[Item]]] = {}
    for place, (store, item) in enumerate(items):
        places, mine = grouped.setdefault(store, ([], []))
        places.append(place)
        mine.append(item)
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
        result: Admitted = await self._writer.submit(_admit, (self, request))
        return result

    def _admitting(self, requests: Sequence[Admission]) -> _Admitting:
        now = self.clock()
        keys = {r.token: session_key(r.token) for r in requests if r.token is not None}
        # Sessions known alive need no row; a choice reads the offered ones from the messages.
        cached = {key for key in keys.values() if self.live.alive(key, now)}
        return _Admitting(requests, now, keys, cached)

    def _purge_due(self, now: dt.datetime) -> dict[str, dt.datetime] | None:
        """The purge's parameters when one is due (now and then), else None."""
        if time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
            return None
        self._last_purge = time.monotonic()
        return self._purge_params(now)

    def _purge_params(self, now: dt.datetime) -> dict[str, dt.datetime]:
        return {"b_expired": now - self.session_ttl, "b_ended": now - self.limits.window}

    def _plan(
        self, batch: _Admitting, known: dict[str, dt.datetime]
    ) -> tuple[list[str], list[int]]:
        """Each request's session, from the rows read (``known``: key → last visit); nothing
        is written for it before it is counted. Returns the counters to add to: one upsert
        counts every request against its address and its session (a request refused for its
        address is counted against its session too: its next one is sent after the wait)."""
        for request in batch.requests:
            token = request.token
            key = batch.keys[token] if token is not None else None
            if token is not None and key is not None and key in batch.cached:
                batch.planned.append((token, key, None))
                continue
            last_seen = known.get(key) if key is not None else None
            row = (key, last_seen) if key is not None and last_seen is not None else None
            if row is None or token is None or row[1] + self.session_ttl <= batch.now:
                token = new_token()
                batch.planned.append((token, session_key(token), row))
            else:
                batch.planned.append((token, row[0], row))
        requests, limits = batch.requests, self.limits
        keys = [_client_key(r.client) for r in requests] + ["s:" + k for _, k, _ in batch.planned]
        return keys, [limits.per_ip] * len(requests) + [limits.per_session] * len(batch.planned)

    def _settle(self, batch: _Admitting, waits: Sequence[float]) -> None:
        """Who is admitted, refused or given a new session, from the counters' verdicts."""
        requests, now = batch.requests, batch.now
        ip_waits, session_waits = waits[: len(requests)], waits[len(requests) :]
        deleted: set[str] = set()
        for request, (token, key, row), ip_wait, session_wait in zip(
            requests, batch.planned, ip_waits, session_waits, strict=True
        ):
            if ip_wait:
                # Past the address limit: no session is opened or touched.
                batch.admitted.append(Admitted("", "", False, retry_after=ip_wait))
                continue
            fresh = token != request.token
            if fresh:
                if row is not None and row[0] not in deleted:
                    batch.gone.append(row[0])  # expired: its history goes with it
                    deleted.add(row[0])
                    self.live.gone(row[0])
                batch.opened.append(
                    {"key": key, "created_at": now, "last_seen": now, "offered": [], "messages": 0}
                )
                self.live.seen(key, now + self.session_ttl)
            elif row is not None:
                self.live.seen(key, row[1] + self.session_ttl)
            if request.choosing and not fresh:
                batch.choosing[len(batch.admitted)] = key
            batch.admitted.append(Admitted(token, key, fresh, retry_after=session_wait))

    @staticmethod
    def _offer(batch: _Admitting, offered: dict[str, tuple[Pair, ...]]) -> list[Admitted]:
        admitted = batch.admitted
        for index, key in batch.choosing.items():
            admitted[index] = replace(admitted[index], offered=offered[key])
        return admitted

    async def _admit_batch(
        self, session: AsyncSession, requests: Sequence[Admission]
    ) -> list[Admitted]:
        batch = self._admitting(requests)
        purge = self._purge_due(batch.now)
        if purge is not None:
            for statement in _PURGE_SQL:
                await session.execute(statement, purge)
        known: dict[str, dt.datetime] = {}
        if batch.unknown:
            found = await session.execute(
                select(SESSIONS.c.key, SESSIONS.c.last_seen).where(
                    SESSIONS.c.key.in_(batch.unknown)
                )
            )
            known = {key: last_seen for key, last_seen in found}
        keys, limits = self._plan(batch, known)
        window = self.limits.window
        self._settle(batch, await _count(session, keys, limits, batch.now, window))
        if batch.gone:
            await session.execute(delete(SESSIONS).where(SESSIONS.c.key.in_(batch.gone)))
        if batch.opened:
            await session.execute(insert(SESSIONS), batch.opened)
        offered: dict[str, tuple[Pair, ...]] = {}
        for key in set(batch.choosing.values()):
            values = await session.scalars(_OFFERED_SQL, {"b_key": key})
            offered[key] = _offered_from(values)
        return self._offer(batch, offered)

    def _admit_sqlite(
        self, conn: sqlite3.Connection, dialect: Dialect, requests: Sequence[Admission]
    ) -> list[Admitted]:
        """_admit_batch on SQLite's own connection, in one call to its thread: the same rows."""
        batch = self._admitting(requests)
        purge = self._purge_due(batch.now)
        if purge is not None:
            for statement in _PURGE:
                statement.many(conn, dialect, [purge])
        moment = _moment(dialect)
        known: dict[str, dt.datetime] = {}
        for key in batch.unknown:
            for (last_seen,) in _LAST_SEEN.each(conn, dialect, [{"b_key": key}]):
                known[key] = moment(last_seen)
        keys, limits = self._plan(batch, known)
        now, window = batch.now, self.limits.window
        rows = [row | {"b_ended": now - window, "b_now": now} for row in _counter_rows(keys, now)]
        totals = {
            key: (moment(start), int(total))
            for key, start, total in _COUNT_SQLITE.each(conn, dialect, rows)
        }
        self._settle(batch, _waits(keys, limits, totals, now, window) if keys else [])
        _DROP_SESSION.many(conn, dialect, [{"b_key": key} for key in batch.gone])
        _OPEN_SESSION.many(conn, dialect, batch.opened)
        choices = _json_reader(dialect)
        offered = {
            key: _offered_from(
                choices(value) for (value,) in _OFFERED.each(conn, dialect, [{"b_key": key}])
            )
            for key in set(batch.choosing.values())
        }
        return self._offer(batch, offered)

    async def _purge(self, session: AsyncSession, now: dt.datetime) -> None:
        for statement in _PURGE_SQL:
            await session.execute(statement, self._purge_params(now))

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
