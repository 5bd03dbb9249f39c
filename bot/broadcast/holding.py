"""Holding a lease while working: take it (or wait), renew it in the background, give it back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from bot.broadcast.clock import Clock
from bot.broadcast.lease import LeaseInfo, Leases

log = logging.getLogger(__name__)

Waiting = Callable[[LeaseInfo | None], Awaitable[bool]]


@dataclass(slots=True)
class Held:
    """A lease this process holds; ``ok()`` turns False as soon as a renewal fails."""

    name: str
    users: int = 0
    healthy: bool = True
    renewer: asyncio.Task[None] | None = field(default=None)

    def ok(self) -> bool:
        return self.healthy


class LeaseKeeper:
    """Reference-counted leases: several runs in one process share one sender lease."""

    def __init__(self, leases: Leases, clock: Clock, ttl: float, heartbeat: float) -> None:
        self.leases = leases
        self._clock = clock
        self._ttl = ttl
        self._heartbeat = heartbeat
        self._held: dict[str, Held] = {}
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def hold(
        self, name: str, *, waiting: Waiting | None = None
    ) -> AsyncIterator[Held | None]:
        """Yield the held lease, or None when another process has it and we may not wait.

        ``waiting(info)`` is awaited between attempts; it returns False to give up.
        """
        held = await self._enter(name, waiting)
        try:
            yield held
        finally:
            if held is not None:
                await self._exit(held)

    async def _enter(self, name: str, waiting: Waiting | None) -> Held | None:
        while True:
            async with self._lock:
                held = self._held.get(name)
                if held is not None and held.healthy:
                    held.users += 1
                    return held
                if await self.leases.acquire(name, self._ttl):
                    held = Held(name, users=1)
                    held.renewer = asyncio.create_task(self._renew(held))
                    self._held[name] = held
                    return held
            if waiting is None:
                return None
            if not await waiting(await self.leases.info(name)):
                return None

    async def _exit(self, held: Held) -> None:
        async with self._lock:
            held.users -= 1
            if held.users > 0:
                return
            if self._held.get(held.name) is held:
                del self._held[held.name]
            if held.renewer is not None:
                held.renewer.cancel()
                await asyncio.gather(held.renewer, return_exceptions=True)
            if held.healthy:
                try:
                    await self.leases.release(held.name)
                except Exception:
                    log.warning("could not release lease %s; it expires by itself", held.name)

    async def _renew(self, held: Held) -> None:
        failures = 0
        while True:
            await self._clock.sleep(self._heartbeat)
            try:
                if not await self.leases.renew(held.name, self._ttl):
                    log.error("lease %s was taken over by another process", held.name)
                    held.healthy = False
                    return
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("cannot renew lease %s (%s)", held.name, exc)
                # Past the expiry another process may take over: stop claiming before that.
                if failures * self._heartbeat >= self._ttl * 0.6:
                    held.healthy = False
                    return

    async def close(self) -> None:
        for held in list(self._held.values()):
            held.users = 1
            await self._exit(held)
