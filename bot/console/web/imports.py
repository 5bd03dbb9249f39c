"""/staff/knowledge/import: upload, dry-run preview, then confirm (editors)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from aiohttp import BodyPartReader, web

from bot.admin.kb_cmd import changed_fields
from bot.admin.kb_files import read_source
from bot.console import uploads
from bot.console.accounts import actor
from bot.console.diff import FIELD_LABELS
from bot.console.web.context import console_of
from bot.console.web.issues import describe
from bot.console.web.render import render, see_other
from bot.console.web.security import (
    STAFF,
    error_page,
    forbidden_csrf,
    requires,
    staff,
    tokens_match,
)
from bot.core.knowledge import KnowledgeError, KnowledgeIssue, split_warnings

CHUNK = 64 * 1024
UPLOAD_TOKEN: web.RequestKey[str] = web.RequestKey("upload_token", str)
SHOWN = 200


def _form(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    return render(
        request,
        "import.html",
        {"title": "Nhập từ bảng tính", "error": error, "max_mb": _max_mb(request), "preview": None},
        status=status,
    )


def _max_mb(request: web.Request) -> float:
    return console_of(request).settings.staff_max_upload_mb


def _too_big(request: web.Request) -> web.Response:
    return _form(
        request,
        error=f"Tệp lớn quá {_max_mb(request):g} MB. Hãy chia thành nhiều tệp nhỏ hơn "
        "(ví dụ mỗi nhóm một tệp) rồi nhập lần lượt.",
        status=413,
    )


@requires("editor")
async def import_form(request: web.Request) -> web.Response:
    return _form(request)


async def _receive(request: web.Request) -> tuple[str, Path] | web.Response:
    """Stream the upload to disk, refusing early (size header, then bytes) and checking CSRF."""
    limit = int(_max_mb(request) * 1024 * 1024)
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        return _too_big(request)
    reader = await request.multipart()
    part = await reader.next()
    # The form puts csrf_token first, so nothing is written before the token is checked.
    if not isinstance(part, BodyPartReader) or part.name != "csrf_token":
        return forbidden_csrf(request)
    if not tokens_match(
        request[STAFF].csrf, (await part.read(decode=True)).decode("utf-8", "replace")
    ):
        return forbidden_csrf(request)
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != "file" or not part.filename:
        return _form(request, error="Hãy chọn một tệp để nhập.", status=400)
    try:
        suffix = uploads.suffix_of(part.filename)
    except uploads.UploadRefused as exc:
        return _form(request, error=str(exc), status=415)
    token, path = uploads.new_path(staff(request).account.username, suffix)
    size = 0
    try:
        with path.open("wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                if size == 0:
                    uploads.sniff(suffix, chunk)
                size += len(chunk)
                if size > limit:
                    raise uploads.UploadRefused("")
                out.write(chunk)
    except uploads.UploadRefused as exc:
        path.unlink(missing_ok=True)
        return _too_big(request) if size > limit else _form(request, error=str(exc), status=415)
    if size == 0:
        path.unlink(missing_ok=True)
        return _form(request, error="Tệp trống.", status=400)
    return token, path


async def _plan(
    request: web.Request, path: Path, *, dry_run: bool, name: str
) -> web.Response | None:
    console = console_of(request)
    located, issues, notes = read_source(path)
    located = [(e, name, line) for e, _, line in located]
    # Staff see "the uploaded file", never the server's temporary path.
    issues = [dataclasses.replace(i, source=name) for i in issues]
    errors, warnings = split_warnings([*issues, *await console.storage.knowledge.check(located)])
    if not errors and not located:
        errors = [KnowledgeIssue(name, None, None, None, "tệp không có mục nào")]
    plan = None
    if not errors:
        try:
            plan = await console.storage.knowledge.import_entries(
                located,
                by=actor(staff(request).account.username),
                dry_run=dry_run,
                detail=name,
                action="kb.import",
            )
        except KnowledgeError as exc:
            errors, warnings = split_warnings(exc.issues)
    if not dry_run and plan is not None:
        return None
    return render(
        request,
        "import.html",
        {
            "title": "Xem trước khi nhập",
            "error": "",
            "max_mb": _max_mb(request),
            "preview": {
                "name": name,
                "errors": [describe(i) for i in errors[:SHOWN]],
                "more_errors": max(0, len(errors) - SHOWN),
                "warnings": [describe(i) for i in warnings[:SHOWN]],
                "more_warnings": max(0, len(warnings) - SHOWN),
                "notes": notes,
                "plan": plan,
                "changed": [
                    (new, ", ".join(FIELD_LABELS.get(f, f) for f in changed_fields(old, new)))
                    for old, new in (plan.changed if plan else [])
                ][:SHOWN],
                "shown": SHOWN,
            },
            "token": request.get(UPLOAD_TOKEN, ""),
        },
        status=422 if errors else 200,
    )


@requires("editor")
async def upload(request: web.Request) -> web.StreamResponse:
    if request.content_type != "multipart/form-data":
        return _form(request, error="Hãy chọn tệp bằng nút “Chọn tệp”.", status=400)
    received = await _receive(request)
    if isinstance(received, web.Response):
        return received
    token, path = received
    request[UPLOAD_TOKEN] = token
    response = await _plan(request, path, dry_run=True, name=f"tệp tải lên{path.suffix}")
    assert response is not None
    return response


@requires("editor")
async def confirm(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    path = uploads.find(staff(request).account.username, str(form.get("token", "")))
    if path is None:
        return error_page(
            request,
            410,
            "Tệp đã hết hạn",
            "Bản xem trước đã quá một giờ hoặc đã nhập rồi. Hãy tải tệp lên lại.",
        )
    response = await _plan(request, path, dry_run=False, name=f"tệp tải lên{path.suffix}")
    if response is not None:
        return response
    path.unlink(missing_ok=True)
    console.refresh()
    return see_other("/staff/knowledge", "imported")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/knowledge/import", import_form)
    router.add_post("/knowledge/import", upload)
    router.add_post("/knowledge/import/confirm", confirm)
