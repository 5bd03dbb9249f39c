"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 has no 72-byte limit; this only bounds the work per attempt

_HASHER = PasswordHasher()
# Verifying against this when the username is unknown costs the same time as a real check,
# so response times do not tell which usernames exist.
_DUMMY = _HASHER.hash("không có tài khoản này")


class PasswordRejected(ValueError):
    """The new password does not meet the rules; the message says why, in Vietnamese."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Mật khẩu dài quá {MAX_LENGTH} ký tự.")
    if not password.strip():
        raise PasswordRejected("Mật khẩu không được chỉ có dấu cách.")


def hash_password(password: str) -> str:
    check_new_password(password)
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown account (None) still spends the time."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
