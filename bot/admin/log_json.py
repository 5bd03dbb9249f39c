"""LOG_FORMAT=json: one JSON object per line for log collectors (Loki, Elasticsearch, journald).

The record reaching the formatter has already been scrubbed by the handler's guard
(bot.admin.log_guard), extras included; this only lays it out.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from bot.admin.log_guard import extras


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, then extras; tracebacks as "exception"."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in extras(record):
            plain = isinstance(value, str | int | float | bool | None)
            entry.setdefault(name, value if plain else str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)
