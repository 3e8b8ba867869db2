"""Keyed pseudonyms for identifiers and per-household encryption of personal data.

Identifiers never leave the API in clear: they become an HMAC pseudonym under a
key from the settings. Personal fields are sealed with a per-household data key
(AES-GCM); the data key is stored wrapped by the master key in a key store
outside Kafka. Destroying a household's key erases the person everywhere the
ciphertext went, while anonymous facts (region, size, what was received) stay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.domain.keys import purpose_key


def normalise_identifier(value: str) -> str:
    """CIN and registry numbers compare without case, spaces or dashes."""
    return re.sub(r"[\s-]", "", value).upper()


def pseudonym(key: str, kind: str, value: str) -> str:
    """A stable keyed pseudonym of an identifier (`kind` keeps CIN and registry apart)."""
    digest = hmac.new(
        key.encode(), f"{kind}:{normalise_identifier(value)}".encode(), hashlib.sha256
    )
    return "p" + digest.hexdigest()[:40]


def _master(master_key: str) -> AESGCM:
    return AESGCM(purpose_key(master_key, "household-keys"))


class KeyStore(Protocol):
    """Where wrapped household data keys live (never in Kafka)."""

    def put(self, household_id: str, wrapped: bytes, claimed_by: str | None = None) -> bool:
        """Store the key unless the household has one; whether this call stored it."""
        ...

    def claimant(self, household_id: str) -> tuple[bool, str | None]:
        """Whether the household has a key, and who claimed it (None if not recorded)."""
        ...

    def put_many(self, keys: Sequence[tuple[str, bytes, str]]) -> set[str]:
        """`put` for each (household id, wrapped key, claimed by), in one transaction; the
        ids this call stored."""
        ...

    def claims(self, household_ids: Sequence[str]) -> dict[str, tuple[bytes, str | None]]:
        """The wrapped key and claimant of each of these households that has a key."""
        ...

    def get(self, household_id: str) -> bytes | None: ...

    def delete(self, household_id: str) -> bool: ...

    def release(self, household_id: str, claimed_by: str) -> bool:
        """Delete the key only if `claimed_by` claimed it."""
        ...


class IdTaken(Exception):
    """The household id is claimed by another person."""


class PersonalData:
    """Seals and opens a household's personal fields with its own data key."""

    def __init__(self, keys: KeyStore, master_key: str) -> None:
        self.keys = keys
        self.master = _master(master_key)

    def claim(self, household_id: str, identity: str) -> None:
        """Create the household's data key (wrapped by the master key) and claim its id for
        this person, or find it already theirs (a retry); IdTaken if another person's."""
        wrapped = self._wrap(household_id, AESGCM.generate_key(256))
        if self.keys.put(household_id, wrapped, claimed_by=identity):
            return
        _, claimed_by = self.keys.claimant(household_id)
        if claimed_by is not None and claimed_by != identity:
            raise IdTaken(household_id)

    def claim_and_seal(self, claims: Sequence[tuple[str, str, dict[str, Any]]]) -> list[str | None]:
        """`claim` then `seal` for each (household id, identity, fields), with one write and
        at most one read of the key store for them all: each one's sealed fields, or None
        where the id is another person's."""
        made = {household_id: AESGCM.generate_key(256) for household_id, _, _ in claims}
        stored = self.keys.put_many(
            [(hid, self._wrap(hid, made[hid]), identity) for hid, identity, _ in claims]
        )
        earlier = self.keys.claims([hid for hid, _, _ in claims if hid not in stored])
        sealed: list[str | None] = []
        for household_id, identity, fields in claims:
            if household_id in stored:
                key = made[household_id]
            else:
                wrapped, claimed_by = earlier[household_id]
                if claimed_by is not None and claimed_by != identity:
                    sealed.append(None)
                    continue
                key = self._unwrap(household_id, wrapped)
            sealed.append(_sealed(key, household_id, fields))
        return sealed

    def _wrap(self, household_id: str, key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self.master.encrypt(nonce, key, household_id.encode())

    def _unwrap(self, household_id: str, wrapped: bytes) -> bytes:
        return self.master.decrypt(wrapped[:12], wrapped[12:], household_id.encode())

    def new_key(self, household_id: str) -> bool:
        """A data key claimed by nobody in particular (keys made before claims were kept,
        and tests); whether this call made it."""
        return self.keys.put(household_id, self._wrap(household_id, AESGCM.generate_key(256)))

    def release(self, household_id: str, identity: str) -> bool:
        """Give up the id this person claimed for a registration that was refused: only
        their own claim is destroyed, never another household's key."""
        return self.keys.release(household_id, identity)

    def _data_key(self, household_id: str) -> bytes | None:
        wrapped = self.keys.get(household_id)
        if wrapped is None:
            return None
        return self._unwrap(household_id, wrapped)

    def seal(self, household_id: str, fields: dict[str, Any]) -> str:
        """The fields as base64 ciphertext bound to the household id."""
        key = self._data_key(household_id)
        if key is None:
            raise LookupError(f"no data key for household {household_id}")
        return _sealed(key, household_id, fields)

    def open(self, household_id: str, sealed: str | None) -> dict[str, Any] | None:
        """The personal fields, or None once they have been erased."""
        key = self._data_key(household_id)
        if key is None or not sealed:
            return None
        raw = base64.b64decode(sealed)
        try:
            return dict(
                orjson.loads(AESGCM(key).decrypt(raw[:12], raw[12:], household_id.encode()))
            )
        except InvalidTag:
            return None

    def erase(self, household_id: str) -> bool:
        """Destroy the data key: the sealed fields can never be opened again."""
        return self.keys.delete(household_id)


def _sealed(key: bytes, household_id: str, fields: dict[str, Any]) -> str:
    """The fields as base64 ciphertext under `key`, bound to the household id."""
    plaintext = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    # deterministic per household and content, so a retried registration is the same command
    nonce = hmac.new(key, plaintext, hashlib.sha256).digest()[:12]
    sealed = AESGCM(key).encrypt(nonce, plaintext, household_id.encode())
    return base64.b64encode(nonce + sealed).decode()
