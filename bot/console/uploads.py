"""Uploaded spreadsheets kept between the dry-run preview and the staff member's confirmation.

Files live in a private temporary folder under a random name, bound to the uploader, and are
deleted after confirmation or after an hour.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

SUFFIXES = (".xlsx", ".csv", ".yaml", ".yml")
KEEP_SECONDS = 3600
_TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class UploadRefused(ValueError):
    """The upload is not acceptable; the message says why, in Vietnamese."""


def folder() -> Path:
    path = Path(tempfile.gettempdir()) / f"dvc-staff-imports-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def suffix_of(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(
            f"Tệp “{Path(filename).name}” không phải bảng tính nhận được: dùng Excel .xlsx, "
            "CSV (UTF-8) hoặc YAML."
        )
    return suffix


def sniff(suffix: str, head: bytes) -> None:
    """Refuse a file whose first bytes contradict its name (e.g. a PDF renamed .xlsx)."""
    if suffix == ".xlsx" and not head.startswith(b"PK\x03\x04"):
        raise UploadRefused(
            "Tệp có đuôi .xlsx nhưng không phải bảng tính Excel. Hãy mở bằng Excel rồi "
            "“Lưu thành” Excel Workbook (.xlsx)."
        )
    if suffix != ".xlsx" and b"\x00" in head[:4096]:
        raise UploadRefused("Tệp không phải văn bản (CSV/YAML). Hãy lưu thành CSV UTF-8.")


def new_path(owner: str, suffix: str) -> tuple[str, Path]:
    sweep()
    token = secrets.token_urlsafe(18)
    return token, folder() / f"{owner}--{token}{suffix}"


def find(owner: str, token: str) -> Path | None:
    if not token or set(token) - _TOKEN_CHARS:
        return None
    for suffix in SUFFIXES:
        path = folder() / f"{owner}--{token}{suffix}"
        if path.exists():
            return path
    return None


def sweep(now: float | None = None) -> None:
    limit = (now or time.time()) - KEEP_SECONDS
    for path in folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue
