"""Checkpoints: the head of every chain, signed with Ed25519 so that anyone can check them.

A checkpoint names, for each partition of each event topic, the offset of its last event,
how many events it holds and the link of that last event (events/chain.py: the `prev` the
next event will carry). It is signed with an Ed25519 key over its canonical JSON (keys
sorted, no whitespace, without `signature`); `public_key` (hex) and its `key_id` travel with
it. An outsider keeps a copy and later asks `aid ledger verify --from-checkpoint FILE`
whether the log still extends it: the same link at each named offset.

The key: `AID_CHECKPOINT_KEY`, the 32-byte Ed25519 seed in hex; unset, it is derived from
the first ledger key (an HMAC of it), so a development machine or CI needs no step and a
deployment's checkpoints change key only when it chooses to.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CHECKPOINT_KEY_PURPOSE = b"aidledger checkpoint key"


class BadCheckpoint(ValueError):
    """A checkpoint whose signature does not verify, or that cannot be read."""


def canonical_checkpoint(checkpoint: Mapping[str, Any]) -> bytes:
    unsigned = dict(checkpoint)
    unsigned.pop("signature", None)
    return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)


def public_key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:12]


class CheckpointKey:
    """The Ed25519 key that signs checkpoints."""

    def __init__(self, seed: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = public_key_id(self.public_key)

    @classmethod
    def derived_from(cls, ledger_secret: bytes) -> CheckpointKey:
        return cls(hmac.digest(ledger_secret, CHECKPOINT_KEY_PURPOSE, "sha256"))

    def sign(self, checkpoint: Mapping[str, Any]) -> dict[str, Any]:
        body = dict(checkpoint) | {"key_id": self.key_id, "public_key": self.public_key.hex()}
        body.pop("signature", None)
        body["signature"] = self._key.sign(canonical_checkpoint(body)).hex()
        return body


def verify_checkpoint(checkpoint: Mapping[str, Any], public_key: bytes | None = None) -> None:
    """Raise BadCheckpoint unless the checkpoint is signed by `public_key` (by default the one
    it names: then only its integrity is checked, not whose it is)."""
    try:
        named = bytes.fromhex(str(checkpoint["public_key"]))
        signature = bytes.fromhex(str(checkpoint["signature"]))
    except (KeyError, ValueError) as exc:
        raise BadCheckpoint("no readable public_key and signature") from exc
    if public_key is not None and named != public_key:
        raise BadCheckpoint(f"signed with key {public_key_id(named)}, not this deployment's")
    if checkpoint.get("key_id") != public_key_id(named):
        raise BadCheckpoint("key_id does not name its public_key")
    try:
        Ed25519PublicKey.from_public_bytes(named).verify(
            signature, canonical_checkpoint(checkpoint)
        )
    except (InvalidSignature, ValueError) as exc:
        raise BadCheckpoint("the signature does not match the checkpoint") from exc
