"""Builds the assistant from settings: knowledge (database or YAML) → index → responder → ports."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.core.address import AddressFinder
from bot.core.address_book import AddressBook
from bot.core.assistant import Assistant, Ports
from bot.core.bookkeeping import WriteBehind
from bot.core.concepts import Concepts
from bot.core.freshness import Clock
from bot.core.jsonl import load_jsonl
from bot.core.knowledge import KnowledgeBase, KnowledgeError, KnowledgeIssue, load_knowledge_dir
from bot.core.live import LiveKnowledge, Snapshot, build_snapshot
from bot.core.match import Matcher, Thresholds
from bot.core.normalize import Lexicon, Normalizer
from bot.core.observe import Metrics
from bot.core.provinces import DEFAULT_ID, ProvinceProfile, find_profile, load_province
from bot.core.responder import Responder, ResponderSettings

if TYPE_CHECKING:
    from bot.broadcast.senders import Sender
    from bot.broadcast.service import BroadcastService
    from bot.channels.base import ChannelContext
    from bot.core.staff import StaffDesk
    from bot.staff.service import StaffService
    from bot.storage import Storage

log = logging.getLogger(__name__)

BOOKKEEPING_CLOSE_BUDGET = 5.0  # seconds to write queued logs at stop before giving up


def load_address_book(settings: Settings) -> AddressBook | None:
    """The old→new address data shipped under knowledge/addresses/, or None when absent."""
    path = settings.address_file
    if not path.is_file():
        log.warning("no address data at %s: address lookup is off", path)
        return None
    try:
        return AddressBook.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KnowledgeError(
            [KnowledgeIssue(str(path), None, None, None, f"unreadable address data: {exc}")]
        ) from exc


def load_profile(settings: Settings, book: AddressBook | None = None) -> ProvinceProfile:
    """The configured province (file name, slug, code or name) over the national default."""
    directory = settings.knowledge_dir / "provinces"
    default = load_province(directory / f"{DEFAULT_ID}.yaml", book=book)
    if settings.province == DEFAULT_ID:
        return default
    return find_profile(directory, settings.province, book, default)


def local_today(settings: Settings) -> Clock:
    """Today's date where the citizens are (review dates are local dates)."""
    zone = ZoneInfo(settings.timezone)
    return lambda: dt.datetime.now(zone).date()


def load_normalizer(settings: Settings) -> Normalizer:
    lexicon_file = settings.knowledge_dir / "lexicon.yaml"
    lexicon = Lexicon.load(lexicon_file) if lexicon_file.exists() else Lexicon.empty()
    concepts_file = settings.knowledge_dir / "concepts.yaml"
    if concepts_file.exists():
        lexicon = replace(lexicon, concepts=Concepts.load(concepts_file))
    return Normalizer(lexicon, max_chars=settings.max_input_chars)


def load_kb_source(path: Path, settings: Settings) -> KnowledgeBase:
    """A knowledge source given on the command line: a YAML directory/file or a .jsonl export."""
    if path.suffix == ".jsonl":
        return load_jsonl(path, categories_path=settings.knowledge_dir / "categories.yaml")
    return load_knowledge_dir(path)


def build_matcher_from_dir(path: Path, settings: Settings) -> Matcher:
    """A matcher over a YAML directory or .jsonl export, with the settings' lexicon and policy."""
    return Matcher.build(
        load_kb_source(path, settings),
        load_normalizer(settings),
        Thresholds.from_settings(settings),
    )


@dataclass
class Runtime:
    """Everything the composition root and CLI commands need, built once. Channels never get
    it: they get a ChannelContext (``channel_context``)."""

    settings: Settings
    profile: ProvinceProfile
    normalizer: Normalizer
    thresholds: Thresholds
    live: LiveKnowledge
    responder: Responder
    assistant: Assistant
    storage: Storage | None = None
    addresses: AddressFinder | None = None
    broadcast: BroadcastService | None = None  # set when the scheduler runs (staff tools)
    _swap_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    after_swap: Callable[[], None] | None = None  # e.g. lifecycle.settle_heap, when serving

    @property
    def snapshot(self) -> Snapshot:
        return self.live.current

    @property
    def bookkeeping(self) -> WriteBehind:
        """Logs, user touches and feedback, written behind the answers."""
        return self.assistant.bookkeeping

    def use_metrics(self, metrics: Metrics) -> None:
        """Count answers, outages and failures in ``metrics`` from now on."""
        self.assistant.metrics = metrics
        self.bookkeeping.health.metrics = metrics

    @property
    def knowledge_loaded(self) -> bool:
        return bool(self.live.current.kb.published)

    async def install(self, kb: KnowledgeBase, version: int) -> None:
        """Build the new index beside the old one, off the event loop, then swap in one step."""
        async with self._swap_lock:
            if version and version <= self.live.current.version:
                return
            snapshot = await asyncio.to_thread(
                build_snapshot, kb, self.normalizer, self.thresholds, version
            )
            self.live.swap(snapshot)
            if self.after_swap is not None:
                self.after_swap()
            log.info("knowledge version %s live: %s entries", version, len(kb.published))

    async def reload(self) -> int:
        """Reload from the database now; return the live version."""
        if self.storage is None:
            return self.live.current.version
        version = await self.storage.knowledge.version()
        kb = await self.storage.knowledge.load()
        await self.install(kb, version)
        return self.live.current.version


def make_runtime(
    settings: Settings,
    kb: KnowledgeBase,
    *,
    version: int = 0,
    ports: Ports | None = None,
    storage: Storage | None = None,
) -> Runtime:
    book = load_address_book(settings)
    addresses = AddressFinder(book) if book is not None else None
    profile = load_profile(settings, book)
    normalizer = load_normalizer(settings)
    thresholds = Thresholds.from_settings(settings)
    live = LiveKnowledge(build_snapshot(kb, normalizer, thresholds, version))
    responder = Responder(
        live,
        profile,
        ResponderSettings(
            settings.max_message_chars, settings.knowledge_stale_days, settings.answer_cache_size
        ),
        today=local_today(settings),
        addresses=addresses,
    )
    return Runtime(
        settings=settings,
        profile=profile,
        normalizer=normalizer,
        thresholds=thresholds,
        live=live,
        responder=responder,
        assistant=Assistant(
            responder,
            ports,
            WriteBehind(max_items=settings.bookkeeping_max_items),
            max_input_chars=settings.max_input_chars,
        ),
        storage=storage,
        addresses=addresses,
    )


async def open_storage(settings: Settings, stop: asyncio.Event | None = None) -> Storage:
    """Storage.open; with ``stop``, an unreachable database (PostgreSQL down, SQLite file or
    folder unusable) is retried with backoff, one line per attempt, until it answers or
    ``stop`` is set (then bot.lifecycle.Stopped)."""
    from bot.lifecycle import retry_until_stopped
    from bot.storage import Storage
    from bot.storage.availability import describe, unavailable

    if stop is None:
        return await Storage.open(settings)
    return await retry_until_stopped(
        lambda: Storage.open(settings),
        stop,
        what="database not reachable",
        reason=lambda exc: describe(exc) if unavailable(exc) else None,
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    kb_path: Path | None = None,
    use_storage: bool = True,
    log_conversations: bool = True,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[Runtime]:
    """Open storage (seeding an empty database from knowledge/), build the index, close on exit.

    ``kb_path`` answers from another knowledge source instead of the live one;
    ``log_conversations=False`` is for staff tools (ask, match) that must log nothing; with
    ``stop`` an unreachable database is waited for (see open_storage). On exit the bookkeeping
    still queued is written before storage closes.
    """
    if kb_path is not None:
        yield make_runtime(settings, load_kb_source(kb_path, settings))
        return
    if not use_storage:
        yield make_runtime(settings, load_knowledge_dir(settings.knowledge_dir))
        return
    from bot.broadcast.tips_store import TipRepository

    storage = await open_storage(settings, stop)
    runtime: Runtime | None = None
    try:
        if await storage.knowledge.count() == 0:
            # Only an empty database reads the seed: later, staff edits in the database win.
            await storage.knowledge.seed_if_empty(load_knowledge_dir(settings.knowledge_dir))
        kb = await storage.knowledge.load()
        version = await storage.knowledge.version()
        ports = (
            Ports(
                log=storage.conversations,
                feedback=storage.feedback,
                subscriptions=storage.subscriptions,
                users=storage.users,
                tips=TipRepository(storage.session_factory),
                eraser=storage.erasure,
                state=storage.memory,
            )
            if log_conversations
            else Ports()
        )
        runtime = make_runtime(settings, kb, version=version, ports=ports, storage=storage)
        yield runtime
    finally:
        if runtime is not None:
            await runtime.bookkeeping.close(BOOKKEEPING_CLOSE_BUDGET)
        await storage.close()


# ---------------------------------------------------------------- wiring for the composition root


def staff_service(runtime: Runtime) -> StaffService:
    """The channel-free staff service over this runtime's storage, reload and chat state."""
    from bot.core.chat_state import MemoryChatState
    from bot.core.staff import Reloaded
    from bot.staff.service import StaffService
    from bot.staff.storage_backend import StorageStaffBackend

    async def reload() -> Reloaded:
        version = await runtime.reload()
        return Reloaded(version, len(runtime.live.current.kb.published))

    storage = runtime.storage
    return StaffService(
        runtime.settings.staff,
        backend=StorageStaffBackend(storage) if storage is not None else None,
        reload=reload,
        state=storage.chat_state if storage is not None else MemoryChatState(),
        announcer=runtime.broadcast,
    )


def channel_context(
    runtime: Runtime,
    stop: asyncio.Event,
    staff: StaffDesk | None = None,
    *,
    shared_intake: bool = False,
) -> ChannelContext:
    """What every channel gets: the assistant's handle and narrow ports, not the runtime."""
    from bot.channels.base import ChannelContext
    from bot.core.chat_state import MemoryChatState

    storage = runtime.storage
    return ChannelContext(
        handle=runtime.assistant.handle,
        stop=stop,
        bookkeeping=runtime.assistant.bookkeeping,
        journal=storage.inbound if storage is not None else None,
        subscriptions=runtime.assistant.ports.subscriptions,
        chat_state=storage.chat_state if storage is not None else MemoryChatState(),
        staff=staff,
        flood=storage.flood if storage is not None else None,
        shared_intake=shared_intake,
    )


def broadcast_senders(settings: Settings) -> dict[str, Sender]:
    """The broadcast sender of every configured channel, each from its own package."""
    from bot.channels.telegram.broadcast import TelegramSender
    from bot.channels.zalo.broadcast import ZaloSender

    senders: dict[str, Sender] = {}
    # Each channel package's sender (None when its channel is not configured).
    for sender in (TelegramSender.from_settings(settings), ZaloSender.from_settings(settings)):
        if sender is not None:
            senders[sender.channel] = sender
    return senders
