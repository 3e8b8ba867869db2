"""API tokens: random, shown once, kept only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from services.domain.keys import purpose_key


def new_token() -> str:
    return "aid_" + secrets.token_urlsafe(32)


def token_hash(token: str, pepper: str) -> str:
    """A keyed hash: useless without the pepper, which never leaves the settings."""
    return hmac.new(purpose_key(pepper, "tokens"), token.encode(), hashlib.sha256).hexdigest()
