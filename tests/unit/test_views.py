"""Events read as views: msgspec Structs that a projection reads as it reads the models.

`view` gives, for any message `decode` accepts and the Structs can check entirely, an
envelope and event with the same fields, properties and class variables, which `isinstance`
and `singledispatch` take for the models; anything else it leaves to `decode` (None). A
signature written by `LedgerKeys.written` is checked on the bytes as they are; bytes written
otherwise fall back to the check on their JSON, and a forgery is refused either way.
"""

from __future__ import annotations

import random
from functools import singledispatch
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from events import UndecodableMessage, decode, encode
from events.base import Event
from events.envelope import Envelope
from events.hot_decode import HOT, view
from events.signing import LedgerKeys, UnverifiedEvent
from events.stock import StockReceived, TransferCancelled, TransferReturned
from projections.registry import PROJECTIONS, VIEW_STREAMS, viewed_streams
from projections.writer import Message
from services.runtime.ledger import LogReader
from services.runtime.settings import Settings
from services.runtime.topics import EVENT_STREAMS
from tests.support.aid_log import batches, one_by_one, projected, simulate
from tests.unit.test_hot_decode import KEYS, PYDANTIC_ONLY, changed, payload_of
from tests.unit.test_serialization import SAMPLES, wrapped


def as_read(value: Any) -> Any:
    """What a projection reads of a value: a model's fields (and properties) by name, with
    the class it reads as; other values with their own type."""
    if isinstance(value, BaseModel | msgspec.Struct):
        model = value.__class__
        assert issubclass(model, BaseModel), f"{type(value).__name__} reads as {model}"
        read = {name: as_read(getattr(value, name)) for name in model.model_fields}
        if isinstance(value, Event):
            read["aggregate_id"] = value.aggregate_id
            read["class variables"] = (value.TYPE, value.VERSION, value.STREAM)
        return model, read
    if isinstance(value, list):
        return [as_read(v) for v in value]
    if isinstance(value, dict):
        return {k: as_read(v) for k, v in value.items()}
    return type(value), value


def read_by_decode(raw: bytes) -> Any:
    try:
        envelope, event = decode(raw)
    except UndecodableMessage as exc:
        return ("refused", exc.reason)
    return read(envelope, event)


def read(envelope: Envelope, event: Event) -> Any:
    """What a projection reads of an envelope and its event; the envelope's `data` is the
    message's JSON in a model and the event's view in a view: a projection reads the event."""
    model, fields = as_read(envelope)
    return (model, {k: v for k, v in fields.items() if k != "data"}), as_read(event)


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_each_sample_reads_as_its_model(type_name: str) -> None:
    raw = KEYS.encode(wrapped(SAMPLES[type_name]))

    viewed = view(raw)

    if type_name in PYDANTIC_ONLY:
        assert viewed is None
        return
    assert viewed is not None
    envelope, event = viewed
    model = type(SAMPLES[type_name])
    assert issubclass(type(event), msgspec.Struct)  # not a model built from one
    assert isinstance(event, model) and isinstance(event, Event)
    assert isinstance(envelope, Envelope)
    assert read(envelope, event) == read_by_decode(raw)
    assert envelope.data is event
    json = event.model_dump(mode="json")
    assert (
        json == decode(raw)[1].model_dump(mode="json") == SAMPLES[type_name].model_dump(mode="json")
    )
    fields = list(model.model_fields)
    assert dumps(event, set(fields[::2])) == dumps(decode(raw)[1], set(fields[::2]))


def test_singledispatch_and_isinstance_of_a_union_take_a_view_for_its_model() -> None:
    @singledispatch
    def kind(event: Event) -> str:
        return "other"

    @kind.register
    def _(event: StockReceived) -> str:
        return "received"

    viewed = [view(KEYS.encode(wrapped(SAMPLES[t]))) for t in ("StockReceived", "UserRevoked")]
    received, revoked = (v[1] for v in viewed if v is not None)

    assert (kind(received), kind(revoked)) == ("received", "other")
    assert not isinstance(received, TransferCancelled | TransferReturned)
    assert isinstance(received, TransferCancelled | StockReceived)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_a_view_of_any_variation_of_any_event_reads_as_decode_reads_it(
    data: st.DataObject,
) -> None:
    type_name = data.draw(st.sampled_from(sorted(HOT)))
    raw = orjson.dumps(data.draw(changed(payload_of(type_name))))

    viewed = view(raw)

    if viewed is not None:  # accepted without pydantic: pydantic accepts it, to the same reads
        assert read(*viewed) == read_by_decode(raw)
        names = sorted(type(viewed[1]).__struct_fields__)
        some = data.draw(st.sets(st.sampled_from(names)) if names else st.just(set()))
        assert dumps(viewed[1], some) == dumps(decode(raw)[1], some)


def dumps(event: Event, some: set[str]) -> list[Any]:
    """`model_dump` as the projections call it, each field in its order."""
    called: list[dict[str, Any]] = [
        {},
        {"mode": "json"},
        {"exclude_none": True},
        {"mode": "json", "exclude_none": True},
        {"include": some},
        {"exclude": some},
        {"exclude": some, "exclude_none": True},
    ]
    return [list(event.model_dump(**kwargs).items()) for kwargs in called]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda p: p | {"version": 0}, "an older version: upcast by pydantic"),
        (lambda p: p | {"occurred_at": "2026-03-01T10:00:00.1234567+00:00"}, "7 digits"),
        (lambda p: p | {"data": p["data"] | {"location_id": "Casablanca"}}, "identifier"),
        (lambda p: p | {"actor": {"user_id": "x"}}, "the actor's role missing"),
        (lambda p: p | {"type": "NoSuchEvent"}, "an unknown type"),
    ],
)
def test_what_a_view_cannot_take_is_left_to_decode(change: Any, why: str) -> None:
    raw = orjson.dumps(change(payload_of("StockReceived")))

    assert view(raw) is None, why


def written_before(keys: LedgerKeys, event: Event) -> bytes:
    """An event signed as before `LedgerKeys.written`: its keys in the envelope's order."""
    return orjson.dumps(
        keys.signed_payload(wrapped(event).model_dump(mode="json", exclude_none=True))
    )


def test_a_signature_as_written_is_checked_on_the_bytes() -> None:
    raw = KEYS.encode(wrapped(SAMPLES["StockReceived"]))
    viewed = view(raw)
    assert viewed is not None
    envelope = viewed[0]
    other = LedgerKeys([b"another deployment's key"])

    assert KEYS.written_by(raw, envelope.key_id, envelope.signature)
    changed_raw = raw.replace(b'"quantity":1200', b'"quantity":1201')
    assert changed_raw != raw
    assert not KEYS.written_by(changed_raw, envelope.key_id, envelope.signature)
    assert not other.written_by(raw, envelope.key_id, envelope.signature)
    assert not KEYS.written_by(raw, envelope.key_id, None)
    # the same event written as before `written` (keys in any order): its JSON decides
    older = written_before(KEYS, SAMPLES["StockReceived"])
    assert older != raw
    assert not KEYS.written_by(older, envelope.key_id, envelope.signature)
    KEYS.verify(orjson.loads(older))


SETTINGS = Settings(topic_prefix="t.", ledger_keys="v" * 64)


@pytest.mark.parametrize("views", [True, False])
def test_a_reader_of_views_accepts_and_refuses_what_a_reader_of_models_does(views: bool) -> None:
    keys = SETTINGS.ledger()
    reader = LogReader(SETTINGS, views=("stock",) if views else ())
    raw = keys.encode(wrapped(SAMPLES["StockReceived"]))
    payload = orjson.loads(raw)
    older = written_before(keys, SAMPLES["StockReceived"])
    forged = orjson.dumps(payload | {"data": payload["data"] | {"quantity": 1201}})
    unsigned = encode(wrapped(SAMPLES["StockReceived"]))

    for place, accepted in enumerate((raw, older)):
        event = reader.read("t.stock", 0, place, accepted)[1]
        assert isinstance(event, StockReceived) and event.quantity == 1200
        assert isinstance(event, msgspec.Struct) is views
    with pytest.raises(UnverifiedEvent, match="signature does not match"):
        reader.read("t.stock", 0, 2, forged)
    with pytest.raises(UnverifiedEvent, match="unsigned event"):
        reader.read("t.stock", 0, 3, unsigned)


def test_readers_sharing_what_they_read_never_hand_a_view_to_one_reading_models() -> None:
    settings = SETTINGS.model_copy(update={"topic_prefix": "shared."})
    views, models = (
        LogReader(settings, share=True, views=("stock",)),
        LogReader(settings, share=True),
    )
    raw = settings.ledger().encode(wrapped(SAMPLES["StockReceived"]))

    viewed = views.read("shared.stock", 0, 0, raw)[1]
    modelled = models.read("shared.stock", 0, 0, raw)[1]

    assert isinstance(viewed, msgspec.Struct) and not isinstance(modelled, msgspec.Struct)
    assert views.read("shared.stock", 0, 0, raw)[1] is modelled  # what it was last given
    assert views.recent is models.recent


def test_a_stream_is_read_as_views_only_if_every_projection_of_it_reads_views() -> None:
    readers = {
        s: {p.reads_views for p in PROJECTIONS.values() if s in p.streams} for s in EVENT_STREAMS
    }

    assert {s for s, reads in readers.items() if reads == {True}} == VIEW_STREAMS
    assert "stock" in VIEW_STREAMS  # the inventory and history
    for projection in PROJECTIONS.values():
        expected = VIEW_STREAMS & set(projection.streams) if projection.reads_views else set()
        assert viewed_streams(projection) == expected


def viewed(message: Message) -> Message:
    """The message as a projector reading views reads it: its event written as the writers
    write it and viewed, where its stream is read as views and the Structs can check it."""
    if message.topic not in VIEW_STREAMS or message.envelope is None:
        return message
    found = view(KEYS.encode(message.envelope))
    if found is None:
        assert message.envelope.type in PYDANTIC_ONLY
        return message
    return message._replace(envelope=found[0], event=found[1])


@given(seed=st.integers(0, 2**32 - 1), reader_seed=st.integers(0, 2**32 - 1))
@settings(max_examples=15, deadline=None)
def test_projections_fed_views_end_in_the_rows_they_end_in_fed_models(
    seed: int, reader_seed: int
) -> None:
    log = simulate(random.Random(seed), steps=80)
    views = [viewed(m) for m in log.messages]
    assert any(isinstance(m.event, msgspec.Struct) for m in views)
    reader = random.Random(reader_seed)

    assert projected(batches(views, reader)) == projected(one_by_one(log.messages))
