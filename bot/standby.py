"""One poller per messenger token across processes: the others wait as standbys.

Polling cannot run twice on one token (Telegram answers 409 Conflict), so a ``bot`` process polls
only while it holds the database lease ``poller:<channel>:<bot id>`` (the scheduler's lease
mechanism, bot.broadcast.lease). It renews the lease every ``heartbeat`` seconds; a second
``bot`` process tries to take it at the same pace and takes over when the holder's lease expires
(``ttl`` after its last renewal) or, on the same machine, as soon as the holder's process is gone.
A holder that cannot renew stops polling before its lease can expire, so two never poll at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.clock import Clock, SystemClock
from bot.broadcast.lease import Holder, Leases

log = logging.getLogger(__name__)

# Takeover within TTL + HEARTBEAT (12 s) after the active process dies on another machine.
TTL = 10.0
HEARTBEAT = 2.0


def poller_lease(channel: str, token: SecretStr) -> str:
    """The lease name for one token: its bot id (the part before ':'), never the secret."""
    bot_id = token.get_secret_value().split(":", 1)[0]
    return f"poller:{channel}:{bot_id}"


class Standby:
    """Wait for a poller lease, hold it while polling, notice when it is lost."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        name: str,
        *,
        ttl: float = TTL,
        heartbeat: float = HEARTBEAT,
        clock: Clock | None = None,
        holder: Holder | None = None,
    ) -> None:
        self.name = name
        self.ttl = ttl
        self.heartbeat = heartbeat
        self._clock = clock or SystemClock()
        self.leases = Leases(sessions, holder or Holder.for_this_process(), self._clock)

    async def _try(self) -> bool:
        try:
            return await self.leases.acquire(self.name, self.ttl)
        except Exception as exc:
            log.warning("cannot reach the database for lease %s (%s)", self.name, exc)
            return False

    async def wait_turn(self, stop: asyncio.Event) -> bool:
        """Take the lease, waiting as a standby while another process holds it; False when
        ``stop`` is set first."""
        told = False
        while not stop.is_set():
            if await self._try():
                if told:
                    log.warning("%s: the active process is gone; taking over", self.name)
                return True
            if not told:
                info = await self._holder_info()
                log.warning("%s is held by %s: standing by", self.name, info)
                told = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.heartbeat)
        return False

    async def _holder_info(self) -> str:
        try:
            info = await self.leases.info(self.name)
        except Exception:
            return "another process"
        return f"process {info.pid} on {info.host}" if info is not None else "another process"

    @contextlib.asynccontextmanager
    async def holding(self) -> AsyncIterator[asyncio.Event]:
        """Renew the lease while inside; the yielded event is set when it is lost."""
        lost = asyncio.Event()
        renewer = asyncio.create_task(self._renew(lost), name=f"renew {self.name}")
        try:
            yield lost
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            if not lost.is_set():
                try:
                    await self.leases.release(self.name)
                except Exception:
                    log.warning("could not release lease %s; it expires by itself", self.name)

    async def _renew(self, lost: asyncio.Event) -> None:
        failing_since: float | None = None
        while True:
            await self._clock.sleep(self.heartbeat)
            try:
                renewed = await self.leases.renew(self.name, self.ttl)
            except Exception as exc:
                now = self._clock.monotonic()
                failing_since = now if failing_since is None else failing_since
                log.warning("cannot renew lease %s (%s)", self.name, exc)
                # Stop before the lease can expire and a standby take over: never two pollers.
                if now - failing_since + self.heartbeat >= self.ttl * 0.6:
                    log.error("%s: lease not renewed in time; stopping", self.name)
                    lost.set()
                    return
                continue
            if not renewed:
                log.error("%s was taken over by another process; stopping", self.name)
                lost.set()
                return
            failing_since = None
