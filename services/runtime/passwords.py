"""Passwords for the web sign-in: Argon2id over a peppered digest, never the password itself.

The pepper (the settings' token pepper) keeps a leaked user log useless for guessing
passwords offline without the secret that never leaves the settings.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A password too short to protect anything."""


def _peppered(password: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), password.encode(), hashlib.sha256).hexdigest()


def hash_password(password: str, pepper: str) -> str:
    """The hash to keep; refuses passwords shorter than MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(_peppered(password, pepper))


def verify_password(stored: str | None, password: str, pepper: str) -> bool:
    """True when the password matches the stored hash (False when there is none)."""
    if not stored:
        return False
    try:
        return _hasher.verify(stored, _peppered(password, pepper))
    except (VerificationError, InvalidHashError):
        return False
