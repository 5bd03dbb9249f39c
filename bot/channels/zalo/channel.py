"""The Zalo channel: long polling (only ZALO_BOT_TOKEN) or a webhook route on the shared server.

Every update goes through the durable inbound journal (bot.core.dispatch) before it is
acknowledged: a webhook call gets its 200 only once the update is recorded, and is answered in
the background; a re-delivery (same event and message id, also from another process sharing
the database) is answered once. getUpdates has no offset and hands out each update once, so a
polled update is recorded before the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.channels import flood
from bot.channels.base import BackgroundChannel, ChannelContext
from bot.channels.zalo import updates as ev
from bot.channels.zalo.answer import CHANNEL, ZaloAnswers
from bot.channels.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
    check_secret,
)
from bot.channels.zalo.render import split
from bot.channels.zalo.staff import ZaloStaff
from bot.config import Settings
from bot.core.dispatch import ABANDONED_AFTER, InboundDispatcher
from bot.core.ports import Inbound
from bot.lifecycle import Stopped, retry_until_stopped, until_stopped, wait_or_stop

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
LONG_POLL = 25.0  # seconds Zalo may hold a getUpdates
BACKOFF_MAX = 30.0
STOP_BUDGET = 7.0  # seconds for answers in flight at shutdown
MAX_QUEUED = 1000
# Connections to Zalo: answers wait on the database far longer than on Zalo, so fewer than the
# chats answered at once suffice.
HTTP_POOL = 16


class ZaloChannel(BackgroundChannel):
    """Implements bot.channels.base.Channel (its webhook route goes on the shared server)."""

    name = CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        answers: ZaloAnswers,
        context: ChannelContext,
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_path: str = "/zalo",
        concurrency: int = 16,
        wait_seconds: float = 1.0,
        long_poll: float = LONG_POLL,
    ) -> None:
        if bool(webhook_url) != bool(webhook_secret):
            raise ValueError("ZALO_WEBHOOK_URL and ZALO_WEBHOOK_SECRET go together (8-256 chars)")
        self.client = client
        self.answers = answers
        self.context = context
        self.webhook_url = webhook_url
        self._secret = check_secret(webhook_secret).encode() if webhook_secret else b""
        self.webhook_path = webhook_path if webhook_path.startswith("/") else "/" + webhook_path
        self.long_poll = long_poll
        super().__init__()
        self.dispatcher = InboundDispatcher(
            CHANNEL,
            self._process,
            journal=context.journal,
            bookkeeping=context.bookkeeping,
            concurrency=concurrency,
            max_queued=MAX_QUEUED,
            wait_seconds=wait_seconds,
            notify=self.notify,
            # Polling has one process per token (bot.standby); webhooks may reach any web process.
            resume_older_than=ABANDONED_AFTER if webhook_url and context.shared_intake else 0.0,
        )
        # Polled updates on their way to the journal, in the order Zalo handed them out.
        self._intake: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._serving = False
        self.ready = asyncio.Event()
        self.refused = 0  # webhook calls refused (wrong secret or bad body); read by tests

    @classmethod
    def from_settings(cls, settings: Settings, context: ChannelContext) -> ZaloChannel:
        """The channel as the settings describe it (ZALO_BOT_TOKEN must be set)."""
        if settings.zalo_bot_token is None:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        client = ZaloClient(
            settings.zalo_bot_token.get_secret_value(),
            settings.zalo_api_base_url,
            pool_size=min(settings.zalo_concurrent_updates, HTTP_POOL) + 2,
        )
        subscriptions = context.subscriptions

        async def unreachable(chat: str) -> None:
            # A private chat's id is its user's id: stop sending that user broadcasts.
            if subscriptions is not None:
                await subscriptions.unsubscribe(channel=CHANNEL, user_id=chat)

        answers = ZaloAnswers(
            client,
            context.handle,
            identity=ev.BotIdentity(),
            state=context.chat_state,
            on_unreachable=unreachable,
            staff=ZaloStaff(context.staff) if context.staff is not None else None,
            typing_delay=settings.zalo_typing_delay,
            flood=flood.for_channel(CHANNEL, context, settings),
        )
        secret = settings.zalo_webhook_secret
        return cls(
            client,
            answers,
            context,
            webhook_url=settings.zalo_webhook_url or None,
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            webhook_path=settings.zalo_webhook_path,
            concurrency=settings.zalo_concurrent_updates,
            wait_seconds=settings.journal_wait_seconds,
        )

    @property
    def webhook(self) -> bool:
        return bool(self.webhook_url)

    # ------------------------------------------------------------------ lifecycle

    def add_routes(self, app: web.Application) -> None:
        if self.webhook:
            app.router.add_post(self.webhook_path, self.receive)

    async def serve(self) -> None:
        await self.run()

    def failure(self, exc: Exception) -> str:
        if isinstance(exc, ZaloUnauthorized):
            return f"{exc} Stopping."
        return super().failure(exc)

    async def run(self) -> None:
        """getMe (a wrong token stops here, with a clear message), answer what an earlier run
        left recorded, then set the webhook or poll until stopped."""
        try:
            me = await retry_until_stopped(
                self.client.get_me, self._stop, what="Zalo not reachable", reason=_retryable
            )
        except Stopped:
            await self.client.close()
            return
        polling: asyncio.Task[None] | None = None
        recording: asyncio.Task[None] | None = None
        try:
            self.answers.identity = ev.BotIdentity.from_me(me)
            await self.dispatcher.start()
            if self.webhook:
                await retry_until_stopped(
                    self._set_webhook, self._stop, what="setWebhook failed", reason=_retryable
                )
            else:
                # Polling is refused while a webhook is set (from an earlier webhook run).
                await retry_until_stopped(
                    self.client.delete_webhook,
                    self._stop,
                    what="deleteWebhook failed",
                    reason=_retryable,
                )
                recording = asyncio.create_task(self._record_polled(), name="zalo-intake")
                polling = asyncio.create_task(self._poll(), name="zalo-polling")
            self._serving = True
            name = self.answers.identity.names[0] if self.answers.identity.names else "?"
            log.info("Zalo bot %s answering (%s)", name, "webhook" if self.webhook else "polling")
            self.ready.set()
            await until_stopped(self._stop, polling)
            log.info("stopping Zalo: no new updates, finishing answers in flight")
        except Stopped:
            pass
        finally:
            self._serving = False
            if polling is not None:
                polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)
            if recording is not None:
                # Zalo handed these out already (no offset to confirm): record them first.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._intake.join(), STOP_BUDGET)
                recording.cancel()
                await asyncio.gather(recording, return_exceptions=True)
            await self.dispatcher.stop(STOP_BUDGET)
            await self.client.close()
            log.info("Zalo channel stopped")

    async def _set_webhook(self) -> None:
        assert self.webhook_url is not None
        await self.client.set_webhook(self.webhook_url, self._secret.decode())

    async def notify(self, chat: str, text: str) -> None:
        """A text outside any answer (the restart notice)."""
        await self.answers.send(chat, split(text))

    # ------------------------------------------------------------------ intake

    def inbound(self, update: dict[str, Any]) -> Inbound:
        parsed = ev.parse(update)
        return Inbound(parsed.key, parsed.chat_id, update, parsed)

    async def _process(self, item: Inbound) -> None:
        parsed = item.native if isinstance(item.native, ev.ZaloUpdate) else ev.parse(item.payload)
        await self.answers.process(parsed)

    async def _poll(self) -> None:
        """getUpdates in a loop. Zalo hands out one update per call and forgets it, so the next
        call goes out at once; the update is recorded meanwhile (``_record_polled``)."""
        delay = 1.0
        while not self._stop.is_set():
            await self.dispatcher.room()
            if self._intake.qsize() >= MAX_QUEUED:  # the database is slow: let Zalo hold them
                await wait_or_stop(self._stop, 0.05)
                continue
            try:
                result = await self.client.get_update(self.long_poll)
            except ZaloUnauthorized:
                log.error("Zalo refused the token (401): it is wrong or was reset; polling stops")
                raise
            except ZaloRateLimited as exc:
                log.warning("getUpdates: Zalo quota exceeded; waiting %.0f s", exc.retry_after)
                if await wait_or_stop(self._stop, exc.retry_after):
                    break
                continue
            except ZaloError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                if await wait_or_stop(self._stop, delay):
                    break
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            delay = 1.0
            for update in ev.polled(result) if result is not None else []:
                self._intake.put_nowait(update)

    async def _record_polled(self) -> None:
        """Record polled updates in order, as many per transaction as have arrived."""
        while True:
            batch = [await self._intake.get()]
            while not self._intake.empty():
                batch.append(self._intake.get_nowait())
            try:
                await self.dispatcher.accept([self.inbound(update) for update in batch])
            except Exception:
                log.exception("could not take %d zalo updates", len(batch))
            finally:
                for _ in batch:
                    self._intake.task_done()

    async def receive(self, request: web.Request) -> web.Response:
        """The webhook: wrong secret → 403 and nothing read; not an update → 400; else the
        update is recorded, 200 goes out, and the answer follows in the background."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not self._serving or not hmac.compare_digest(given, self._secret):
            self.refused += 1
            log.warning("zalo webhook call with a missing or wrong secret from %s", request.remote)
            return web.Response(status=403 if self._serving else 503)
        body = await request.read()
        try:
            update = ev.unwrap(json.loads(body))
        except ValueError as exc:  # JSONDecodeError and NotAnUpdate included
            self.refused += 1
            log.warning("zalo webhook body is not an update: %s", str(exc)[:120])
            return web.json_response({"ok": False, "description": "not an update"}, status=400)
        await self.dispatcher.room()
        await self.dispatcher.accept([self.inbound(update)])
        return web.json_response({"ok": True})


def _retryable(exc: Exception) -> str | None:
    """Network trouble, 5xx and 429 are waited out; a wrong token or a refusal is not."""
    if isinstance(exc, ZaloNetworkError | ZaloServerError | ZaloRateLimited):
        return str(exc)
    return None
