"""A user's credentials: an API token kept only as a keyed hash, and a web password kept only
as Argon2id over a peppered digest. The one place both are made and checked: the command
line, the API's user management and the sign-in all come here.

The pepper (the settings' token pepper) keeps a leaked user log useless for guessing
passwords offline, or for trying tokens, without the secret that never leaves the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from services.domain.keys import purpose_key

MIN_LENGTH = 10
MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 resists an offline attack on a slow hash
_hasher = PasswordHasher()


def new_token() -> str:
    """A random API token, shown once to whoever asked for it and never kept."""
    return "aid_" + secrets.token_urlsafe(32)


def token_hash(token: str, pepper: str) -> str:
    """A keyed hash: useless without the pepper, which never leaves the settings."""
    return hmac.new(purpose_key(pepper, "tokens"), token.encode(), hashlib.sha256).hexdigest()


class WeakPassword(ValueError):
    """A password too short, too common or too easy to guess to protect anything."""


def check_strength(password: str, known: Sequence[str] = ()) -> None:
    """Refuse a short password, or one found in zxcvbn's lists of common passwords, words
    and names, or built from what is `known` about the user (their name, the organisation)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    verdict = zxcvbn(password[:100], user_inputs=[k for k in known if k])
    if verdict["score"] < MIN_STRENGTH:
        why = verdict["feedback"]["warning"] or "it is easy to guess"
        raise WeakPassword(f"this password is too weak: {why.rstrip('.')}; choose a longer one")


def _peppered(password: str, pepper: str) -> str:
    return hmac.new(purpose_key(pepper, "passwords"), password.encode(), hashlib.sha256).hexdigest()


def hash_password(password: str, pepper: str, known: Sequence[str] = ()) -> str:
    """The hash to keep; refuses a weak password (see `check_strength`)."""
    check_strength(password, known)
    return _hasher.hash(_peppered(password, pepper))


def verify_password(stored: str | None, password: str, pepper: str) -> bool:
    """True when the password matches the stored hash (False when there is none)."""
    if not stored:
        return False
    try:
        return _hasher.verify(stored, _peppered(password, pepper))
    except (VerificationError, InvalidHashError):
        return False


def fingerprint(token_hash: str, password_hash: str | None) -> str:
    """A short digest of a user's current credentials: a web session remembers it, so a new
    token or a new password (a reset, a re-creation) ends the sessions opened before."""
    both = f"{token_hash}:{password_hash or ''}".encode()
    return hashlib.sha256(both).hexdigest()[:16]
