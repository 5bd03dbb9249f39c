"""Telling an outage (locked, down, read-only, unreachable) from a bad statement or row.

An outage is worth waiting out and retrying; a bad row fails alone. Callers above storage only
see ``StorageUnavailable`` (a core exception) for the first kind.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc

from bot.core.health import short_reason
from bot.core.ports import StorageUnavailable

P = ParamSpec("P")
R = TypeVar("R")

# Words of driver messages that mean "not now" rather than "never": SQLite's locked, busy,
# read-only, unopenable or full database; PostgreSQL's lost, refused or shut down connections
# and a database that does not exist (yet).
_OUTAGE_WORDS = (
    "locked",
    "busy",
    "readonly",
    "read-only",
    "unable to open",
    "disk i/o",
    "is full",
    "connect",
    "connection",
    "closed",
    "terminat",
    "shutting down",
    "shutdown",
    "recovery",
    "timeout",
    "timed out",
    "does not exist",
)
_OUTAGES = (
    StorageUnavailable,
    OSError,
    TimeoutError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
)
# Errors about the statement or the data itself: retrying cannot help.
_BAD_REQUEST = (
    sa_exc.IntegrityError,
    sa_exc.ProgrammingError,
    sa_exc.DataError,
    sa_exc.NotSupportedError,
)


def unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached or written right now."""
    if isinstance(exc, _OUTAGES):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc, _BAD_REQUEST):
            return False
        text = str(exc.orig if exc.orig is not None else exc).lower()
        return any(word in text for word in _OUTAGE_WORDS)
    return False


def describe(exc: BaseException) -> str:
    """One line for an operator: the driver's message without SQL, parameters or links."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        return short_reason(exc.orig)
    return short_reason(exc)


@contextlib.contextmanager
def outages_as_unavailable() -> Iterator[None]:
    """Re-raise an outage as StorageUnavailable; anything else unchanged."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as exc:
        if unavailable(exc):
            raise StorageUnavailable(describe(exc)) from exc
        raise


def raises_unavailable(
    function: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorate a repository coroutine so that an outage reaches callers as StorageUnavailable."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with outages_as_unavailable():
            return await function(*args, **kwargs)

    return wrapper
