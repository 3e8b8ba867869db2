"""Hash chains: every event names its predecessor in the same topic-partition.

`prev` is the SHA-256 (hex) of the predecessor's canonical form *with* its signature (the
envelope's JSON, keys sorted at every level, no whitespace: `events.signing.canonical`
plus `signature`); the first event of a partition has `GENESIS`. `prev` is a top-level
envelope field, so the HMAC covers it: an event cannot be moved to another place in the
chain without its key. Changing, removing, inserting or reordering a past event breaks the
link of the event that follows it, at a known offset.

A record that is not a JSON object (junk produced straight to a topic) is hashed as its raw
bytes, so a writer can chain past it and a verifier names it as the failure it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

GENESIS = "0" * 64


def link_of(payload: Mapping[str, Any]) -> str:
    """The hash the next event carries as `prev`: over the canonical form with signature."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def link_of_record(raw: bytes | None) -> str:
    """`link_of` of a record as it sits in the log (its raw bytes when not a JSON object)."""
    if raw is None:
        return hashlib.sha256(b"").hexdigest()
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict):
        return hashlib.sha256(raw).hexdigest()
    return link_of(payload)
