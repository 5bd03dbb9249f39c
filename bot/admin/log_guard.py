"""What reaches a log: secrets and personal data scrubbed, repeated warnings counted.

One ``LogGuard`` sits on each handler of the root logger. A filter on a *logger* would not see
records that child loggers (sqlalchemy.engine, httpx, telegram.ext, aiosqlite) propagate to the
root's handlers; a filter on the handler sees every record it is about to write, at every level.

Scrubbing: configured secret values (bot tokens, webhook secrets, the database password) and
anything shaped like a Telegram token become "[SECRET]" / "[TOKEN]"; the record's arguments
(or, for a message built beforehand, the whole message) and any traceback go through the same
redaction as stored text. Numbers passed as numbers (chat ids, counts) are kept.

Counting: a warning or error with the same logger and message template is written once a
minute with its traceback; the others are counted and reported as one line
("… 312 more in the last minute") when the minute is over, so a database outage or a stream of
refused webhook calls cannot fill the disk.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.redact import redact

# Telegram bot tokens: "<bot id>:<35 characters>"; Zalo's have the same shape. In a Bot API URL
# the token follows "bot" directly (".../bot<token>/getMe").
TOKEN_RE = re.compile(r"(?:(?<!\w)|(?<=bot))\d{5,15}:[A-Za-z0-9_-]{30,100}")
# Whatever sits in a Bot API URL path between "/bot" and the method is a token, whatever its
# shape (a Zalo secret of another length, a percent-encoded colon): httpx logs full URLs.
URL_TOKEN_RE = re.compile(r"(?<=[^/]/bot)[^/\s?#'\"]{8,}(?=/)")
SECRET = "[SECRET]"
TOKEN = "[TOKEN]"
WINDOW_SECONDS = 60.0
MAX_KEYS = 10_000
_MIN_SECRET = 6  # shorter "secrets" would blank out ordinary words
_SCRUBBED = "_log_guard_scrubbed"
_TEMPLATE = "_log_guard_template"
_SUMMARY = "_log_guard_summary"

Key = tuple[str, int, str]
# Attributes every LogRecord has; any other was passed with ``extra=`` and is scrubbed too.
STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


@dataclass(slots=True)
class _Minute:
    started: float
    record: logging.LogRecord
    more: int = 0


class LogGuard(logging.Filter):
    """Filter for one handler: scrub every record, let a repeated warning through once a minute."""

    def __init__(
        self,
        handler: logging.Handler,
        secrets: Iterable[str] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW_SECONDS,
    ) -> None:
        super().__init__()
        self.handler = handler
        values = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, values))) if values else None
        self._clock = clock
        self._window = window
        self._minutes: OrderedDict[Key, _Minute] = OrderedDict()
        self._lock = threading.Lock()  # records may come from worker threads

    # ------------------------------------------------------------------ filter

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SUMMARY, False):
            return True
        self.scrub(record)
        now = self._clock()
        with self._lock:
            self._report(lambda minute: now - minute.started >= self._window)
            if record.levelno < logging.WARNING:
                return True
            key = (record.name, record.levelno, str(getattr(record, _TEMPLATE, record.msg)))
            minute = self._minutes.get(key)
            if minute is not None and now - minute.started < self._window:
                minute.more += 1
                return False
            self._minutes[key] = _Minute(now, record)
            self._minutes.move_to_end(key)
            if len(self._minutes) > MAX_KEYS:
                self._minutes.popitem(last=False)
            return True

    def flush(self) -> None:
        """Report every count still open (at exit)."""
        with self._lock:
            self._report(lambda minute: True)

    # ------------------------------------------------------------------ scrubbing

    def clean(self, text: str) -> str:
        """Secrets and tokens out, then personal data."""
        return redact(self._scrub_secrets(text))

    def scrub(self, record: logging.LogRecord) -> None:
        """Replace the record's message, arguments and traceback by their scrubbed text."""
        if getattr(record, _SCRUBBED, False):
            return  # another guarded handler got it first
        setattr(record, _TEMPLATE, str(record.msg))
        record.msg = self._message(record)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        for name, value in extras(record):
            if isinstance(value, str):
                setattr(record, name, self.clean(value))  # shown by LOG_FORMAT=json
        setattr(record, _SCRUBBED, True)

    def _message(self, record: logging.LogRecord) -> str:
        args = record.args
        if not args:
            return self.clean(str(record.msg))
        try:
            if isinstance(args, Mapping):
                safe: Any = {k: self._argument(v) for k, v in args.items()}
            else:
                safe = tuple(self._argument(v) for v in args)
            return self._scrub_secrets(str(record.msg) % safe)
        except (TypeError, ValueError, KeyError):
            return self.clean(f"{record.msg} {args!r}")

    def _argument(self, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            return value  # ids and counts: kept, and %d still works
        return self.clean(str(value))

    def _scrub_secrets(self, text: str) -> str:
        # The template is code; only secrets can hide in it (an f-string with a URL).
        if self._secrets is not None:
            text = self._secrets.sub(SECRET, text)
        return URL_TOKEN_RE.sub(TOKEN, TOKEN_RE.sub(TOKEN, text))

    # ------------------------------------------------------------------ counts

    def _report(self, closed: Callable[[_Minute], bool]) -> None:
        while self._minutes:
            key, minute = next(iter(self._minutes.items()))
            if not closed(minute):
                return
            del self._minutes[key]
            if minute.more:
                self._emit_count(minute)

    def _emit_count(self, minute: _Minute) -> None:
        first = minute.record
        text = getattr(first, _TEMPLATE, first.msg)
        summary = logging.LogRecord(
            first.name,
            first.levelno,
            first.pathname,
            first.lineno,
            f"… {minute.more} more in the last minute like: {text}",
            None,
            None,
        )
        setattr(summary, _SUMMARY, True)
        self.handler.handle(summary)


def extras(record: logging.LogRecord) -> list[tuple[str, Any]]:
    """What was passed with ``extra=`` (our own bookkeeping attributes left out)."""
    return [
        (name, value)
        for name, value in vars(record).items()
        if name not in STANDARD_ATTRIBUTES and not name.startswith("_")
    ]


def install(secrets: Iterable[str] = (), **options: Any) -> list[LogGuard]:
    """Put one guard on every handler of the root logger that has none yet."""
    guards: list[LogGuard] = []
    values = tuple(secrets)
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, LogGuard) for f in handler.filters):
            continue
        guard = LogGuard(handler, values, **options)
        handler.addFilter(guard)
        guards.append(guard)
        atexit.register(_flush_quietly, guard)
    return guards


def _flush_quietly(guard: LogGuard) -> None:
    if guard.handler in logging.getLogger().handlers:
        guard.flush()
