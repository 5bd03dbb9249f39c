"""Staff accounts: add, list, disable, change password or role, and log in (throttled)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import throttle
from bot.console.models import ROLES, StaffAccountRow, StaffSessionRow
from bot.console.passwords import hash_password, needs_rehash, verify_password
from bot.storage.audit import add_audit
from bot.storage.engine import reading
from bot.storage.models import utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
ROLE_NAMES = {"viewer": "Xem", "editor": "Biên tập", "admin": "Quản trị"}


def actor(username: str) -> str:
    """How the audit log names a console user (one identity per channel: "web:…")."""
    return f"web:{username}"


@dataclasses.dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str
    active: bool
    created_at: dt.datetime

    def can(self, role: str) -> bool:
        """True when this account's role includes ``role`` (admin ⊃ editor ⊃ viewer)."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)


class AccountError(ValueError):
    """A staff account request that cannot be done; the message says why, in Vietnamese."""


class LoginBlocked(Exception):
    """Too many failed logins: wait ``seconds`` before trying again."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, int(seconds + 0.999))
        super().__init__(f"blocked for {self.seconds} s")


def account_from_row(row: StaffAccountRow) -> Account:
    return Account(row.id, row.username, row.role, row.active, row.created_at)


def clean_username(raw: str) -> str:
    name = raw.strip().casefold()
    if not USERNAME_RE.match(name):
        raise AccountError(
            "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang "
            "hoặc gạch dưới (ví dụ nguyen.van.a)."
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
    return role


class AccountRepository:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: throttle.Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def list(self) -> list[Account]:
        async with reading(self._sessions) as session:
            rows = await session.scalars(select(StaffAccountRow).order_by(StaffAccountRow.username))
            return [account_from_row(r) for r in rows]

    async def get(self, username: str) -> Account | None:
        async with reading(self._sessions) as session:
            row = await _by_name(session, username)
            return account_from_row(row) if row else None

    async def count_admins(self) -> int:
        return sum(1 for a in await self.list() if a.active and a.role == "admin")

    async def add(self, username: str, password: str, role: str, *, by: str) -> Account:
        name = clean_username(username)
        check_role(role)
        hashed = hash_password(password)
        async with self._sessions.begin() as session:
            if await _by_name(session, name) is not None:
                raise AccountError(f"Đã có tài khoản {name}.")
            now = self._clock()
            row = StaffAccountRow(
                username=name,
                password_hash=hashed,
                role=role,
                active=True,
                created_at=now,
                password_changed_at=now,
            )
            session.add(row)
            await session.flush()
            add_audit(session, by, "staff.add", f"staff:{name}", new={"role": role}, at=now)
            return account_from_row(row)

    async def set_password(self, username: str, password: str, *, by: str) -> None:
        """New password; every open session of the account ends."""
        hashed = hash_password(password)
        async with self._sessions.begin() as session:
            row = await self._existing(session, username)
            row.password_hash = hashed
            row.password_changed_at = self._clock()
            await _end_sessions(session, row.id)
            add_audit(session, by, "staff.password", f"staff:{row.username}")

    async def set_active(self, username: str, active: bool, *, by: str) -> Account:
        async with self._sessions.begin() as session:
            row = await self._existing(session, username)
            if not active and row.role == "admin" and row.active:
                await self._keep_an_admin(session, row)
            row.active = active
            if not active:
                await _end_sessions(session, row.id)
            action = "staff.enable" if active else "staff.disable"
            add_audit(session, by, action, f"staff:{row.username}", new={"active": active})
            return account_from_row(row)

    async def set_role(self, username: str, role: str, *, by: str) -> Account:
        check_role(role)
        async with self._sessions.begin() as session:
            row = await self._existing(session, username)
            if row.role == "admin" and role != "admin" and row.active:
                await self._keep_an_admin(session, row)
            old = row.role
            row.role = role
            add_audit(
                session,
                by,
                "staff.role",
                f"staff:{row.username}",
                old={"role": old},
                new={"role": role},
            )
            return account_from_row(row)

    async def authenticate(self, username: str, password: str, client: str) -> Account | None:
        """The account when the password is right; None otherwise; LoginBlocked when throttled.

        Unknown and disabled usernames fail like a wrong password, in the same time.
        """
        name = username.strip().casefold()[:64]
        keys = [f"user:{name}", f"ip:{client}"[:200]]
        now = self._clock()
        async with reading(self._sessions) as session:
            left = await throttle.wait_left(session, keys, now)
            row = await _by_name(session, name)
        if left > 0:
            raise LoginBlocked(left)
        usable = row is not None and row.active
        stored = row.password_hash if row is not None and usable else None
        ok = verify_password(stored, password)
        async with self._sessions.begin() as session:
            if not ok:
                await throttle.record_failure(session, keys, now)
                add_audit(session, actor(name), "staff.login_failed", f"staff:{name}", at=now)
                return None
            assert row is not None
            await throttle.clear(session, keys[0])
            if needs_rehash(row.password_hash):
                fresh = await session.get(StaffAccountRow, row.id)
                if fresh is not None:
                    fresh.password_hash = hash_password(password)
            add_audit(session, actor(name), "staff.login", f"staff:{name}", at=now)
            return account_from_row(row)

    async def _existing(self, session: AsyncSession, username: str) -> StaffAccountRow:
        row = await _by_name(session, username.strip().casefold(), lock=True)
        if row is None:
            raise AccountError(f"Không có tài khoản {username.strip()}.")
        return row

    @staticmethod
    async def _keep_an_admin(session: AsyncSession, row: StaffAccountRow) -> None:
        others = await session.scalars(
            select(StaffAccountRow.id).where(
                StaffAccountRow.role == "admin",
                StaffAccountRow.active.is_(True),
                StaffAccountRow.id != row.id,
            )
        )
        if not others.first():
            raise AccountError("Phải còn ít nhất một quản trị viên đang hoạt động.")


async def _by_name(
    session: AsyncSession, username: str, *, lock: bool = False
) -> StaffAccountRow | None:
    query = select(StaffAccountRow).where(StaffAccountRow.username == username)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def _end_sessions(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(StaffSessionRow).where(StaffSessionRow.account_id == account_id))
