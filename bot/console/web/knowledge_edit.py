"""/staff/knowledge/{id}: edit every field, try questions before saving, publish, history."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from aiohttp import web

from bot.console.accounts import actor
from bot.console.diff import diff_entries
from bot.console.edits import EditConflict, Editor, EntryExists, Stored
from bot.console.trial import run_trial, test_questions
from bot.console.web.context import Console, console_of
from bot.console.web.entry_form import fields_from, fields_of, local_warnings, parse_fields
from bot.console.web.issues import describe
from bot.console.web.knowledge_list import STATUS_LABELS
from bot.console.web.render import render, see_other
from bot.console.web.security import error_page, staff
from bot.core.knowledge import FaqEntry, KnowledgeError, KnowledgeIssue, parse_entry

ID = r"{faq_id:[a-z][a-z0-9_]*\.[a-z0-9_]+}"
NEW_TEMPLATE = {
    "id": "",
    "category": "",
    "question": "",
    "alternates": "",
    "answer": "",
    "links": "",
    "related": "",
    "source": "",
    "reviewed": "",
    "status": "draft",
}


def editor_of(console: Console) -> Editor:
    return Editor(console.storage.session_factory, console.storage.knowledge)


async def _trial_rows(console: Console, entry: FaqEntry | None, tests: str) -> list[Any]:
    if entry is None:
        return []
    questions = test_questions(tests)
    # CPU work (small index builds): off the event loop so other staff pages stay quick.
    return await asyncio.to_thread(
        run_trial, console.live.current, console.normalizer, console.thresholds, entry, questions
    )


def _default_tests(entry: FaqEntry | None) -> str:
    if entry is None:
        return ""
    return "\n".join([entry.question, *entry.alternates[:2]])


async def _page(
    request: web.Request,
    *,
    values: dict[str, str],
    version: int | None,
    tests: str,
    entry: FaqEntry | None,
    stored: Stored | None,
    errors: list[KnowledgeIssue] = (),  # type: ignore[assignment]
    warnings: list[KnowledgeIssue] = (),  # type: ignore[assignment]
    conflict: Stored | None = None,
    status: int = 200,
) -> web.Response:
    console = console_of(request)
    categories = console.storage.knowledge.categories()
    return render(
        request,
        "knowledge_edit.html",
        {
            "title": f"Sửa mục {values['id']}" if stored else "Thêm mục mới",
            "values": values,
            "version": version,
            "tests": tests,
            "trial": await _trial_rows(console, entry, tests),
            "stored": stored,
            "errors": [describe(i) for i in errors],
            "warnings": [describe(i) for i in warnings],
            "conflict": conflict,
            "conflict_diff": (
                diff_entries(conflict.entry.to_dict(), entry.to_dict() if entry else None)
                if conflict
                else []
            ),
            "categories": categories,
            "statuses": STATUS_LABELS,
            "editable": staff(request).account.can("editor"),
        },
        status=status,
    )


async def edit_page(request: web.Request) -> web.Response:
    console = console_of(request)
    stored = await editor_of(console).load(request.match_info["faq_id"])
    if stored is None:
        return error_page(request, 404, "Không có mục này", "Mục kiến thức này không tồn tại.")
    categories = [c.id for c in console.storage.knowledge.categories()]
    return await _page(
        request,
        values=fields_of(stored.entry),
        version=stored.version,
        tests=_default_tests(stored.entry),
        entry=stored.entry,
        stored=stored,
        warnings=local_warnings(stored.entry, categories),
    )


async def new_page(request: web.Request) -> web.Response:
    return await _page(
        request, values=dict(NEW_TEMPLATE), version=None, tests="", entry=None, stored=None
    )


async def trial_partial(request: web.Request) -> web.Response:
    """The trial table alone, for the page's script (called on every pause in typing)."""
    console = console_of(request)
    form = await request.post()
    values = fields_from(form, None)
    entry, issues = parse_fields(values)
    rows = await _trial_rows(console, entry, str(form.get("tests", "")))
    html = console.templates.get_template("_trial.html").render(
        trial=rows,
        errors=[describe(i) for i in issues if not i.warning],
        tests=str(form.get("tests", "")),
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def save(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    faq_id = request.match_info.get("faq_id")
    form = await request.post()
    values = fields_from(form, faq_id)
    tests = str(form.get("tests", ""))
    action = str(form.get("action", "save"))
    raw_version = str(form.get("version", ""))
    version = int(raw_version) if raw_version.isdigit() else None
    stored = await editor_of(console).load(faq_id) if faq_id else None
    entry, issues = parse_fields(values)
    if action == "trial" or not staff(request).account.can("editor"):
        # Trying questions changes nothing, so a viewer may do it too; saving needs an editor.
        status = 200 if action == "trial" else 403
        errors = [i for i in issues if not i.warning]
        if status == 403:
            errors = [
                *errors,
                KnowledgeIssue("console", None, None, None, "Tài khoản xem không lưu được."),
            ]
        return await _page(
            request,
            values=values,
            version=version,
            tests=tests,
            entry=entry,
            stored=stored,
            errors=errors,
            status=status,
        )
    if entry is None:
        return await _page(
            request,
            values=values,
            version=version,
            tests=tests,
            entry=None,
            stored=stored,
            errors=issues,
            status=422,
        )
    if action == "publish":
        entry = dataclasses.replace(entry, status="published")
        values["status"] = "published"
    who = actor(staff(request).account.username)
    try:
        plan = await editor_of(console).save(
            entry,
            expected=version if faq_id else None,
            by=who,
            action="kb.publish" if action == "publish" else ("kb.edit" if faq_id else "kb.add"),
        )
    except EditConflict as exc:
        # Nothing written: show their version beside ours; saving again overwrites knowingly.
        return await _page(
            request,
            values=values,
            version=exc.current.version,
            tests=tests,
            entry=entry,
            stored=exc.current,
            conflict=exc.current,
            status=409,
        )
    except EntryExists:
        issue = KnowledgeIssue("console", None, entry.id, "id", "duplicate id")
        return await _page(
            request,
            values=values,
            version=None,
            tests=tests,
            entry=entry,
            stored=None,
            errors=[issue],
            status=409,
        )
    except KnowledgeError as exc:
        return await _page(
            request,
            values=values,
            version=version,
            tests=tests,
            entry=entry,
            stored=stored,
            errors=[i for i in exc.issues if not i.warning],
            warnings=[i for i in exc.issues if i.warning],
            status=422,
        )
    if entry.status == "published" or (stored and stored.entry.status == "published"):
        console.refresh()
    notice = "published" if action == "publish" else "saved"
    return see_other(f"/staff/knowledge/{entry.id}", notice if plan.has_changes else "saved")


async def history(request: web.Request) -> web.Response:
    console = console_of(request)
    faq_id = request.match_info["faq_id"]
    stored = await editor_of(console).load(faq_id)
    records = await console.storage.knowledge.history(faq_id)
    changes = [
        {"record": r, "diff": diff_entries(r.old if isinstance(r.old, dict) else None, r.new)}
        for r in reversed(records)
        if isinstance(r.new, dict)
    ]
    return render(
        request,
        "knowledge_history.html",
        {"title": f"Lịch sử mục {faq_id}", "faq_id": faq_id, "changes": changes, "stored": stored},
    )


async def revert(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    if not staff(request).account.can("editor"):
        return error_page(request, 403, "Không có quyền", "Tài khoản xem không khôi phục được.")
    faq_id = request.match_info["faq_id"]
    form = await request.post()
    records = {str(r.id): r for r in await console.storage.knowledge.history(faq_id)}
    record = records.get(str(form.get("audit_id", "")))
    raw_version = str(form.get("version", ""))
    if record is None or not isinstance(record.new, dict) or not raw_version.isdigit():
        return error_page(request, 404, "Không có phiên bản này", "Hãy mở lại trang lịch sử.")
    entry, issues = parse_entry(record.new, "console")
    if entry is None:
        return error_page(request, 422, "Không khôi phục được", "; ".join(map(describe, issues)))
    try:
        await editor_of(console).save(
            entry,
            expected=int(raw_version),
            by=actor(staff(request).account.username),
            action="kb.revert",
        )
    except EditConflict:
        return error_page(
            request,
            409,
            "Mục vừa được người khác sửa",
            "Có người vừa lưu mục này. Hãy mở lại trang lịch sử rồi chọn lại.",
        )
    except KnowledgeError as exc:
        return error_page(
            request, 422, "Không khôi phục được", "; ".join(map(describe, exc.issues))
        )
    console.refresh()
    return see_other(f"/staff/knowledge/{faq_id}", "reverted")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/knowledge/new", new_page)
    router.add_post("/knowledge/new", save)
    router.add_post("/knowledge/trial", trial_partial)
    router.add_get(f"/knowledge/{ID}", edit_page)
    router.add_post(f"/knowledge/{ID}", save)
    router.add_get(f"/knowledge/{ID}/history", history)
    router.add_post(f"/knowledge/{ID}/revert", revert)
