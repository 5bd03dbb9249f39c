"""Validation messages in plain Vietnamese for staff."""

from __future__ import annotations

import re

from bot.console.diff import FIELD_LABELS
from bot.core.knowledge import MIN_ALTERNATES, KnowledgeIssue

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^missing or empty$"), "bắt buộc, đang để trống"),
    (re.compile(r"^must look like"), "dạng nhóm.chủ_đề: chữ thường không dấu, số và dấu _"),
    (re.compile(r"^unknown category '(.*)'$"), "không có nhóm “{0}”"),
    (re.compile(r"^unknown related id '(.*)'$"), "không có mục “{0}”"),
    (re.compile(r"^an entry cannot relate to itself$"), "một mục không liên quan tới chính nó"),
    (
        re.compile(r"^unknown placeholder (\{.*?\})"),
        "chỗ điền {0} không có; dùng {{province_name}}, {{portal_url}}, {{hotline}}, "
        "{{one_stop_address}} hoặc {{working_hours}}",
    ),
    (re.compile(r"^first paragraph longer than (\d+)"), "đoạn đầu dài quá {0} ký tự"),
    (re.compile(r"^longer than (\d+)"), "dài quá {0} ký tự"),
    (re.compile(r"^must be a date"), "ngày dạng 2026-11-20"),
    (re.compile(r"^duplicate id"), "mã bị trùng với một mục khác"),
    (re.compile(r"^must be one of"), "phải là published, draft hoặc disabled"),
    (re.compile(r"^each link needs a url"), "mỗi dòng dạng Tiêu đề | https://địa-chỉ"),
)


def describe(issue: KnowledgeIssue) -> str:
    label = FIELD_LABELS.get(issue.field or "", issue.field or "")
    if issue.field == "alternates" and issue.warning:
        have = re.match(r"has (\d+)", issue.message)
        count = int(have.group(1)) if have else 0
        text = (
            f"mới có {count} cách hỏi khác; thêm {MIN_ALTERNATES - count} cách nữa (cách người "
            "dân hay nói) sẽ giúp trợ lý nhận ra câu hỏi. Vẫn lưu được."
        )
    else:
        text = issue.message
        for pattern, template in _RULES:
            found = pattern.search(issue.message)
            if found:
                text = template.format(*found.groups())
                break
    where = ""
    if issue.line is not None and issue.source not in ("console",):
        where = f"dòng {issue.line}"
    if issue.entry_id:
        where = f"{where}, mục {issue.entry_id}" if where else f"mục {issue.entry_id}"
    head = f"{where} — " if where else ""
    return f"{head}{label}: {text}" if label else f"{head}{text}"
