"""One key per purpose, derived from a configured secret with HKDF-SHA256 (RFC 5869).

A token hash, a password pepper, a session signature and a CSRF token each use their own
key, so that one of them leaking or being misused says nothing about the others, and a
secret is never used raw as a key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSES = frozenset({"tokens", "passwords", "sessions", "csrf", "household-keys", "card-checks"})


@lru_cache(maxsize=32)
def purpose_key(secret: str, purpose: str) -> bytes:
    """The 32-byte key for `purpose` under `secret`; the same inputs give the same key."""
    if purpose not in PURPOSES:
        raise ValueError(f"no key purpose {purpose!r}; known: {sorted(PURPOSES)}")
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=f"aidledger/{purpose}".encode())
    return hkdf.derive(secret.encode())
