"""Typed settings: environment variables and an optional .env file, built once, passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# scheme://host[:port], nothing after it (a trailing slash is tolerated).
ORIGIN_RE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


class Settings(BaseSettings):
    """All configuration. Every field maps to the upper-case environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- knowledge and province
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    # A file name under knowledge/provinces/ (without .yaml), or any of the 34 provinces by
    # official code ("86") or name ("vinh_long"); unverified details fall back to national ones.
    province: str = "default"

    # --- matching policy (calibrated on tests/data/eval/tune.jsonl only: bench/eval_unseen.py
    # --fit, then its sweep and that of `python -m bot eval tests/data/eval/tune.jsonl`)
    match_answer_threshold: float = 0.70  # one entry this likely right: answer it
    match_suggest_threshold: float = 0.40  # candidates together this likely: offer choices
    match_margin: float = 0.10  # and the answer must lead the runner-up by this much
    match_also_threshold: float = 0.50  # a letter's second question offered as a choice
    # Longer input is cut before matching and storing; letters to an agency bury their question
    # in the middle, and a 2,000-character one is still matched in a few milliseconds.
    max_input_chars: int = 2000
    max_message_chars: int = 4000  # longer messages get a polite "please shorten"
    # An answer not re-checked for this many days tells citizens where to check it, and
    # `python -m bot kb review` lists it for staff.
    knowledge_stale_days: int = Field(default=180, ge=1)
    # Replies to this many recent distinct questions are kept, per knowledge version and day,
    # so the same words are not matched again (0: every question is matched).
    answer_cache_size: int = Field(default=2048, ge=0)

    # --- storage
    database_url: str = "sqlite:///data/assistant.db"
    log_retention_days: int = 180
    knowledge_poll_seconds: float = 2.0
    # PostgreSQL schema to use (search_path); tests give each run its own schema.
    database_schema: str | None = None
    # Waiting for SQLite's single writer; generous so a burst never reaches a citizen as an error.
    sqlite_busy_timeout_ms: int = 15000
    database_pool_size: int = 5
    # PgBouncer in transaction mode cannot keep asyncpg's prepared statements.
    database_pgbouncer: bool = False
    database_echo: bool = False
    # An incoming update waits this long for the database to record it (or to mark it being
    # answered) before it is answered anyway, without the crash-safe record (issue 9).
    journal_wait_seconds: float = 1.0
    # Logs, user touches and feedback kept in memory while the database is unavailable; past
    # this the oldest are dropped (the log says how many).
    bookkeeping_max_items: int = 10_000

    # --- telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # The webhook is a route of the shared HTTP server (WEB_HOST:WEB_PORT) at this path.
    telegram_webhook_path: str = "/telegram"
    telegram_admin_ids: str = ""  # comma-separated Telegram user ids
    flood_max_messages: int = 8
    flood_window_seconds: float = 10.0
    # --- telegram channel (added by the Telegram channel, issue 4)
    # "typing…" is shown once an answer has taken this long; 0 shows it before every answer.
    # Most answers are ready in milliseconds: an indicator for them costs an API call each.
    telegram_typing_delay: float = 0.5
    telegram_concurrent_updates: int = 16  # updates answered at once (in order within a chat)

    # --- broadcast and schedule
    timezone: str = "Asia/Ho_Chi_Minh"
    telegram_broadcast_rate: float = 25.0
    telegram_paid_broadcast: bool = False
    tip_cron: str = "0 8 * * tue"
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "07:00"

    # --- zalo
    zalo_bot_token: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    # Both set: Zalo POSTs updates to ZALO_WEBHOOK_URL (public HTTPS, proxied to the shared HTTP
    # server's ZALO_WEBHOOK_PATH); otherwise the bot long-polls (Zalo's development mode).
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = None  # 8-256 characters
    zalo_webhook_path: str = "/zalo"
    zalo_admin_ids: str = ""  # comma-separated Zalo user ids of staff
    # Zalo publishes no sending rate: stay conservative; the first 429 pauses the run anyway.
    zalo_broadcast_rate: float = Field(default=5.0, gt=0, le=100)
    # Chats answered at once. An answer spends most of its time waiting on two shared database
    # round trips (bench/bench_zalo.py): more chats at once share each commit.
    zalo_concurrent_updates: int = Field(default=64, ge=1)
    # "typing…" once an answer has taken this long (0: before every answer), as on Telegram.
    zalo_typing_delay: float = Field(default=0.5, ge=0)

    # --- the one HTTP server: web chat, staff console, webhooks, health
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)

    # --- web chat (/chat, /embed.js, /api/chat)
    # Portals allowed to embed the chat and call its API: comma-separated origins, e.g.
    # "https://dichvucong.angiang.gov.vn,https://angiang.gov.vn". Empty: only this server.
    web_allowed_origins: str = ""
    web_session_days: float = Field(
        default=30.0, gt=0
    )  # an idle visitor's history is kept this long
    web_rate_window_seconds: float = Field(default=60.0, gt=0)
    web_rate_per_session: int = Field(default=30, ge=1)  # messages per window from one visitor
    # Offices and mobile carriers put many visitors behind one address: keep this generous.
    web_rate_per_ip: int = Field(default=300, ge=1)
    # Behind a reverse proxy that appends the client address to X-Forwarded-For itself.
    web_trust_forwarded_for: bool = False
    # Where the page sends visitors who want weekly tips (the web cannot deliver them).
    web_telegram_link: str = ""
    web_zalo_link: str = ""

    # --- staff web console (/staff on the shared server)
    staff_console: bool = True
    # Staff in chats on any channel, e.g. "zalo:abc,web:alice" (TELEGRAM_ADMIN_IDS add
    # "telegram:<id>").
    staff_identities: str = ""
    staff_session_idle_minutes: float = Field(default=30.0, gt=0)
    staff_session_max_hours: float = Field(default=12.0, gt=0)
    # Behind an HTTPS reverse proxy that sets X-Forwarded-Proto itself: mark cookies Secure.
    staff_trust_forwarded_proto: bool = False
    staff_max_upload_mb: float = Field(default=10.0, gt=0)

    log_level: str = "INFO"
    # "json": one JSON object per line (time, level, logger, message, extras) for collectors.
    log_format: Literal["text", "json"] = "text"

    @field_validator("telegram_api_base_url", "zalo_api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("web_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in _split(value):
            if not ORIGIN_RE.fullmatch(origin):
                raise ValueError(
                    f"WEB_ALLOWED_ORIGINS: {origin!r} is not an origin like https://example.gov.vn"
                )
        return value

    @property
    def web_origins(self) -> tuple[str, ...]:
        """Allowed embedding origins, lower-cased, without a trailing slash."""
        return tuple(dict.fromkeys(o.rstrip("/").lower() for o in _split(self.web_allowed_origins)))

    @property
    def admin_ids(self) -> frozenset[int]:
        ids = {int(p) for p in self.telegram_admin_ids.replace(";", ",").split(",") if p.strip()}
        return frozenset(ids)

    @property
    def staff(self) -> frozenset[str]:
        """Every staff identity, "channel:user" (bot.core.staff)."""
        named = {p.strip() for p in self.staff_identities.replace(";", ",").split(",")}
        telegram = {f"telegram:{i}" for i in self.admin_ids}
        zalo = {f"zalo:{p.strip()}" for p in self.zalo_admin_ids.replace(";", ",").split(",")}
        return frozenset(
            {n for n in named if ":" in n} | telegram | {z for z in zalo if z != "zalo:"}
        )

    @property
    def address_file(self) -> Path:
        """Old→new administrative units (tools/build_address_data.py writes it)."""
        return self.knowledge_dir / "addresses" / "units.json.gz"
