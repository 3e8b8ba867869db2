"""Signed events: only a writer that holds the deployment's key can append to the log.

Every envelope carries `key_id` and `signature`: the HMAC-SHA256 (hex), under the key named
by `key_id`, of the envelope's canonical form: the envelope as JSON (its JSON-mode dump,
envelope fields without a value left out, as `encode` writes it) without `signature`, keys
sorted at every level (orjson's OPT_SORT_KEYS), no whitespace. A reader computes it from the
message's own JSON, before any upcasting, so neither dict order nor a newer reader changes
what was signed.
`prev`, the hash linking each event to its predecessor (events/chain.py), is covered by
the same signature without changing the scheme: the form is every field but `signature`.

Why an HMAC and not Ed25519: every projector verifies every event it applies. On the
reference machine an Ed25519 verification costs 105 to 170 µs, more than a projected event's
whole 80 µs; this HMAC, canonical form included, about 3 µs (bench/signing.py). The writers
and readers that hold the key are one trust domain, the deployment (API, workers, importer,
admin jobs), so one key ring per deployment: per-component keys would separate nothing, as
every reader must hold every writer's key. What the HMAC proves is that nothing without the
key appended the event. Proofs for outsiders (donors) are for public-key signatures over the
hash chains' heads, not over each event.

Key ids are derived from the keys themselves, so a key ring is just a list of secrets: the
first signs, every one verifies (a rotated-out key stays in the list while its events do).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from events.chain import link_of
from events.envelope import Envelope
from events.serialization import UndecodableMessage

KEY_ID_DOMAIN = b"aidledger ledger key id\x00"
SIGNING_PURPOSE = b"aidledger event signatures"


class UnverifiedEvent(UndecodableMessage):
    """An event whose signature is missing, under an unknown key, or wrong."""


def canonical(payload: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the envelope's JSON without `signature`, keys sorted."""
    unsigned = dict(payload)
    unsigned.pop("signature", None)
    return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)


def canonical_form(envelope: Envelope) -> bytes:
    """The canonical form of an envelope (as `encode` would write it)."""
    return canonical(envelope.model_dump(mode="json", exclude_none=True))


def key_id_of(secret: bytes) -> str:
    """The public name of a key: 12 hex digits of a hash of it (it reveals nothing of it)."""
    return hashlib.sha256(KEY_ID_DOMAIN + secret).hexdigest()[:12]


class LedgerKeys:
    """A key ring: the first key signs, every key verifies."""

    def __init__(self, secrets: Sequence[bytes]) -> None:
        if not secrets:
            raise ValueError("a key ring needs at least one key")
        self._keys = {key_id_of(s): _Mac(_signing_key(s)) for s in secrets}
        self.signing_key_id = key_id_of(secrets[0])
        self._signing_key = self._keys[self.signing_key_id]

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def sign(self, envelope: Envelope) -> Envelope:
        """The envelope with this ring's key id and signature."""
        payload = self.signed_payload(envelope.model_dump(mode="json", exclude_none=True))
        return envelope.model_copy(
            update={"key_id": payload["key_id"], "signature": payload["signature"]}
        )

    def encode(self, envelope: Envelope) -> bytes:
        """The envelope signed, as the compact JSON bytes written to the log."""
        return self.written(envelope.model_dump(mode="json", exclude_none=True))[0]

    def encode_chained(self, envelope: Envelope, prev: str) -> tuple[bytes, str]:
        """The envelope linked to `prev` and signed, as bytes for the log, and its own link
        (the `prev` of the event that will follow it)."""
        raw, signed = self.written(
            envelope.model_dump(mode="json", exclude_none=True) | {"prev": prev}
        )
        return raw, link_of(signed)

    def signed_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A JSON envelope (a dict) with `key_id` and `signature` set by the signing key."""
        return self.written(payload)[1]

    def written(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """A JSON envelope signed, as the bytes written to the log and as a dict. The bytes
        are its canonical form with the signature as a last member, so a reader checks it
        on the bytes as they are (`written_by`), without writing the form again."""
        payload = payload | {"key_id": self.signing_key_id}
        payload.pop("signature", None)
        form = canonical(payload)
        payload["signature"] = signature = self._signing_key.of(form)
        return form[:-1] + _last_member(signature), payload

    def written_by(self, raw: bytes | None, key_id: str | None, signature: str | None) -> bool:
        """Whether a key of the ring signed `raw` as `written` writes it: its canonical form
        with `signature` as a last member. False says nothing: the event may have been written
        otherwise (before `written`, or by other software), and `verify` decides on its JSON.

        True is as strong as `verify`'s pass: what the key signed is the canonical form of an
        object, and `raw` is that form with one more member at its top level, `signature`."""
        if raw is None or signature is None or key_id is None:
            return False
        key = self._keys.get(key_id)
        last = _last_member(signature)
        if key is None or not raw.endswith(last):
            return False
        return key.matches(signature, raw[: -len(last)] + b"}")

    def verify(self, payload: Mapping[str, Any]) -> None:
        """Raise UnverifiedEvent, saying why, unless a key of the ring signed this envelope."""
        signature, key_id = payload.get("signature"), payload.get("key_id")
        if not signature:
            raise UnverifiedEvent("unsigned event")
        key = self._keys.get(key_id) if isinstance(key_id, str) else None
        if key is None:
            raise UnverifiedEvent(f"signed with an unknown key {str(key_id)[:40]!r}")
        if not isinstance(signature, str) or not key.matches(signature, canonical(payload)):
            raise UnverifiedEvent(f"signature does not match the event (key {key_id})")


def _last_member(signature: str) -> bytes:
    return b',"signature":"' + signature.encode() + b'"}'


def _signing_key(secret: bytes) -> bytes:
    """The HMAC key derived from a configured secret: never the secret itself."""
    return hmac.digest(secret, SIGNING_PURPOSE, "sha256")


class _Mac:
    """HMAC-SHA256 (RFC 2104) under one key, its padded key hashed once and that state copied
    per message: half the cost of copying `hmac.new`'s object, which does the same in Python."""

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        if len(key) > block:
            key = hashlib.sha256(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def of(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def matches(self, signature: str, message: bytes) -> bool:
        try:
            return hmac.compare_digest(signature, self.of(message))
        except TypeError:  # not ASCII: no signature of ours
            return False
