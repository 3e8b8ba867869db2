"""A decode for the projectors' hot path: msgspec first, pydantic for what msgspec does not take.

`decode_hot` reads the same messages as `decode`, to the same envelope and event. The JSON is
parsed once (orjson, the same dict the signature is checked over); its envelope and its data
are then checked in one pass by the msgspec Structs of their pydantic models
(events/structs.py), the data's Struct chosen by the envelope's type, and the pydantic
instances are built from the checked values without validating them again. A message the
Structs refuse, or of a type they cannot check entirely (a model validator, an
`AfterValidator`, an older version to upcast), goes through `validated`, pydantic's path,
which accepts it or raises the UndecodableMessage that names why it is parked. The
signature is verified on every message.

Measured (bench/RESULTS.md, "Hot decode path"), it costs what `decode` costs: checking is a
small part of a decode, building the pydantic instances most of it, in pydantic-core or here.

`view` builds none: it parses the bytes once, straight into the Structs, which read as their
models (events/structs.py), and checks what the models would have checked beyond them. A
projection that folds events by their fields, `isinstance` and `singledispatch` reads those
(`Projection.reads_views`); the signature is its reader's to check (`LedgerKeys.written_by`).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from events.base import Event
from events.envelope import Envelope
from events.registry import event_types
from events.serialization import MAX_MESSAGE_BYTES, Verify, payload_of, validated
from events.structs import LONG_FRACTION, ModelStruct, read_as, struct_of

ENVELOPE = struct_of(Envelope)
STRUCTS: dict[str, ModelStruct] = {name: struct_of(cls) for name, cls in event_types().items()}
HOT: dict[str, ModelStruct] = {name: s for name, s in STRUCTS.items() if not s.unchecked}


def enveloped(data: ModelStruct) -> type[msgspec.Struct]:
    """The envelope's Struct with `data` typed as one event's Struct: one pass checks both."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (f.name, data.struct if f.name == "data" else f.type)
        if f.required
        else (f.name, f.type, f.default)
        for f in msgspec.structs.fields(ENVELOPE.struct)
    ]
    return msgspec.defstruct(
        f"{data.model.__name__}Envelope",
        fields,
        kw_only=True,
        frozen=True,
        namespace=read_as(Envelope),
    )


ENVELOPES = {name: (enveloped(s), s) for name, s in HOT.items()}


class _Typed(msgspec.Struct):
    type: str


_TYPE = msgspec.json.Decoder(_Typed)
_VIEWS = {name: (msgspec.json.Decoder(struct), data) for name, (struct, data) in ENVELOPES.items()}
_LONG_FRACTION_BYTES = re.compile(LONG_FRACTION.pattern.encode())


def view(raw: bytes | None) -> tuple[Envelope, Event] | None:
    """The envelope and event of a message as Structs that read as the models, checked as
    `decode` checks them, the signature aside; None when the Structs refuse the message or
    cannot check all of it (`decode` then decides, and names why it refuses)."""
    if raw is None or len(raw) > MAX_MESSAGE_BYTES or _LONG_FRACTION_BYTES.search(raw):
        return None  # a datetime's seventh digit: msgspec rounds it, pydantic does not
    try:
        found = _VIEWS.get(_TYPE.decode(raw).type)
        if found is None:
            return None
        decoder, data = found
        envelope = decoder.decode(raw)
        if envelope.version != data.model.VERSION:  # type: ignore[attr-defined]
            return None
        ENVELOPE.check(envelope)
        data.check(envelope.data)  # type: ignore[attr-defined]
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError):
        return None
    return envelope, envelope.data  # type: ignore[return-value, attr-defined]


def decode_hot(raw: bytes | None, verify: Verify | None = None) -> tuple[Envelope, Event]:
    """`decode`'s result for the same bytes (or its UndecodableMessage), most of it in msgspec."""
    payload = payload_of(raw)
    decoded = hot(payload)
    envelope, event = validated(payload) if decoded is None else decoded
    if verify is not None:
        verify(payload)
    return envelope, event


def hot(payload: Any) -> tuple[Envelope, Event] | None:
    """The envelope and event of a message's JSON as the Structs check them; None when they
    refuse it or cannot check all of it (pydantic decides then)."""
    kind = payload.get("type") if type(payload) is dict else None
    hot = ENVELOPES.get(kind) if type(kind) is str else None
    if hot is None:
        return None
    struct, data = hot
    try:
        checked = msgspec.convert(payload, struct)
        if checked.version != data.model.VERSION:  # type: ignore[attr-defined]
            return None  # an older version, upcast by pydantic's path
        event = data.build(checked.data, payload["data"])  # type: ignore[attr-defined]
        envelope = ENVELOPE.build(checked, payload)
    except (msgspec.ValidationError, ValueError):  # fromisoformat's too: pydantic says why
        return None
    return envelope, event  # type: ignore[return-value]
