"""/staff/inbox: what citizens asked and did not get, with one-click fixes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from bot.console.accounts import actor
from bot.console.inbox_actions import KIND_LABELS, SORTS, ConsoleInbox
from bot.console.memo import Memo
from bot.console.web.context import Console, console_of
from bot.console.web.render import render, see_other
from bot.console.web.security import error_page, requires, staff
from bot.core.knowledge import FaqEntry, KnowledgeError
from bot.core.live import Snapshot
from bot.storage.inbox import InboxError, InboxItem, Suggestion
from bot.storage.textkey import fold_key

PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Guess:
    entry: FaqEntry
    confidence: float


@dataclass(frozen=True, slots=True)
class Row:
    item: InboxItem
    guesses: list[Guess]
    feedback_entry: FaqEntry | None


def inbox_of(console: Console) -> ConsoleInbox:
    return ConsoleInbox(console.storage.session_factory, console.storage.knowledge)


GUESSES: web.AppKey[Memo[list[Guess]]] = web.AppKey("inbox_guesses", Memo)


def top_guesses(snapshot: Snapshot, text: str, limit: int = 3) -> list[Guess]:
    result = snapshot.matcher.match(text, limit=limit)
    guesses = []
    for candidate in result.candidates[:limit]:
        entry = snapshot.kb.get(candidate.faq_id)
        if entry is not None:
            guesses.append(Guess(entry, candidate.confidence))
    return guesses


async def guesses_for(request: web.Request, items: list[InboxItem]) -> list[list[Guess]]:
    return await guesses(console_of(request).live.current, request.config_dict[GUESSES], items)


async def guesses(
    snapshot: Snapshot, memo: Memo[list[Guess]], items: list[InboxItem]
) -> list[list[Guess]]:
    """Top guesses per item, remembered per knowledge snapshot (a page view matches only the
    questions it has not shown since the knowledge last changed), matched off the event loop."""
    keys = [(snapshot.version, id(snapshot), item.text) for item in items]
    missing = [item.text for item, key in zip(items, keys, strict=True) if memo.get(key) is None]

    def match_all() -> None:
        for text in missing:
            memo.put((snapshot.version, id(snapshot), text), top_guesses(snapshot, text))

    if missing:
        await asyncio.to_thread(match_all)
    # A snapshot is kept alive by the live holder or this page; a new one gets a new id.
    return [
        memo.get(key) or top_guesses(snapshot, item.text)
        for key, item in zip(keys, items, strict=True)
    ]


async def inbox_page(request: web.Request) -> web.Response:
    console = console_of(request)
    kind = request.query.get("kind") or None
    if kind not in KIND_LABELS:
        kind = None
    sort = request.query.get("sort", "new")
    if sort not in SORTS:
        sort = "new"
    try:
        page_number = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page_number = 1
    inbox = inbox_of(console)
    page = await inbox.page(
        kind=kind, sort=sort, offset=(page_number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    kb = console.live.current.kb
    guesses = await guesses_for(request, page.items)
    rows = [
        Row(item, found, kb.get(item.faq_id) if item.faq_id else None)
        for item, found in zip(page.items, guesses, strict=True)
    ]
    return render(
        request,
        "inbox.html",
        {
            "title": "Hộp thư câu hỏi",
            "rows": rows,
            "page": page,
            "kind": kind,
            "sort": sort,
            "kinds": KIND_LABELS,
            "sorts": SORTS,
            "page_number": page_number,
            "pages": max(1, -(-page.total // PAGE_SIZE)),
            "suggestions": await suggestions(request),
            "entries": kb,
            "categories": kb.categories,
            "error": "",
        },
    )


class SuggestionCache:
    """The suggestions of choices citizens tapped: they group every tapped choice in the log
    (a second at a million questions), so they are counted at most once a minute. A page view
    after the minute shows the last count and starts the next in the background; after a
    knowledge change it leaves out the wordings the entries now hold, until the new count."""

    def __init__(self) -> None:
        self._held: tuple[int, int, list[Suggestion]] | None = None  # version, minute, value
        self._refresh: asyncio.Task[list[Suggestion]] | None = None

    async def get(self, console: Console) -> list[Suggestion]:
        snapshot = console.live.current
        minute = int(console.clock().timestamp()) // 60
        held = self._held
        if held is None:
            return await self._count(console, snapshot.version, minute)
        if held[:2] != (snapshot.version, minute) and (
            self._refresh is None or self._refresh.done()
        ):
            self._refresh = asyncio.create_task(self._count(console, snapshot.version, minute))
        if held[0] == snapshot.version:
            return held[2]
        # The knowledge changed (a suggestion adopted): drop what the entries now hold.
        return [s for s in held[2] if not _has_phrasing(snapshot.kb.get(s.faq_id), s.text)]

    async def _count(self, console: Console, version: int, minute: int) -> list[Suggestion]:
        found = await console.storage.inbox.suggestions(limit=20)
        self._held = (version, minute, found)
        return found

    async def settled(self) -> None:
        if self._refresh is not None:
            await self._refresh


def _has_phrasing(entry: FaqEntry | None, text: str) -> bool:
    return entry is None or fold_key(text) in {fold_key(p) for p in entry.phrasings}


SUGGESTIONS: web.AppKey[SuggestionCache] = web.AppKey("inbox_suggestions", SuggestionCache)


async def suggestions(request: web.Request) -> list[Suggestion]:
    return await request.config_dict[SUGGESTIONS].get(console_of(request))


def _item_id(request: web.Request) -> int:
    try:
        return int(request.match_info["item_id"])
    except ValueError as exc:
        raise web.HTTPNotFound() from exc


def _problem(request: web.Request, message: str) -> web.Response:
    return error_page(request, 409, "Chưa làm được", message)


@requires("editor")
async def promote(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    faq_id = str(form.get("faq_id", "")).strip()
    if not faq_id:
        return _problem(request, "Hãy chọn mục kiến thức để thêm cách hỏi này vào.")
    try:
        added = await console.storage.inbox.promote(
            _item_id(request), faq_id, by=actor(staff(request).account.username)
        )
    except InboxError as exc:
        return _problem(request, str(exc))
    except KnowledgeError as exc:
        return _problem(request, "Không thêm được: " + "; ".join(i.message for i in exc.issues))
    console.refresh()
    return see_other("/staff/inbox", "promoted" if added else "already")


@requires("editor")
async def draft(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    category = str(form.get("category", "")).strip()
    if console.live.current.kb.category(category) is None:
        return _problem(request, "Hãy chọn nhóm cho mục mới.")
    try:
        faq_id = await inbox_of(console).draft(
            _item_id(request), category, by=actor(staff(request).account.username)
        )
    except InboxError as exc:
        return _problem(request, str(exc))
    except KnowledgeError as exc:
        return _problem(request, "Không tạo được: " + "; ".join(i.message for i in exc.issues))
    return see_other(f"/staff/knowledge/{faq_id}", "drafted")


@requires("editor")
async def dismiss(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    try:
        await console.storage.inbox.dismiss(
            _item_id(request), by=actor(staff(request).account.username)
        )
    except InboxError as exc:
        return _problem(request, str(exc))
    return see_other("/staff/inbox", "dismissed")


@requires("editor")
async def adopt_suggestion(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    text, faq_id = str(form.get("text", "")), str(form.get("faq_id", ""))
    try:
        added = await console.storage.knowledge.add_alternate(
            faq_id, text, by=actor(staff(request).account.username), action="inbox.suggestion"
        )
    except KnowledgeError as exc:
        return _problem(request, "Không thêm được: " + "; ".join(i.message for i in exc.issues))
    console.refresh()
    return see_other("/staff/inbox", "promoted" if added else "already")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/inbox", inbox_page)
    router.add_post("/inbox/{item_id}/promote", promote)
    router.add_post("/inbox/{item_id}/draft", draft)
    router.add_post("/inbox/{item_id}/dismiss", dismiss)
    router.add_post("/inbox/suggestion", adopt_suggestion)
