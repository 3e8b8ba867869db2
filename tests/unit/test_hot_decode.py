"""The projectors' msgspec decoder reads every message exactly as pydantic's contract does.

Given any event of the samples, or the same event with one field changed by hypothesis to
any JSON value, `decode_hot` gives the same envelope and event as `decode`, or refuses it with
the same reason; and whenever the msgspec Structs accept a message on their own (no pydantic
fallback), pydantic accepts it too, with the same values.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from events import UndecodableMessage, decode, encode
from events.base import SLUG_PATTERN, UUID_PATTERN, Identifier, is_identifier
from events.envelope import Envelope
from events.hot_decode import HOT, STRUCTS, decode_hot, hot
from events.registry import event_types
from events.serialization import validated
from events.signing import LedgerKeys, UnverifiedEvent
from tests.unit.test_serialization import SAMPLES, wrapped

# Types whose pydantic model checks something a Struct cannot: always decoded by pydantic.
PYDANTIC_ONLY = {
    "CampaignOpened": ["model_validator _larger_gives_more"],
    "CashDonationReceived": ["currency: AfterValidator"],
    "LocationRegistered": ["model_validator _both_or_neither"],
    "PledgeMade": ["model_validator _goods_or_money", "currency: AfterValidator"],
    "PurchaseRecorded": ["currency: AfterValidator"],
    "SlotPlanSet": ["model_validator _opens_before_closing"],
    "UserPasswordReset": ["model_validator _something_new"],
}
KEYS = LedgerKeys([b"a deployment's ledger key, for the tests"])


def outcome(decoder: Any, raw: bytes) -> Any:
    """What a decoder makes of bytes: the envelope and event as JSON and objects, or why not."""
    try:
        envelope, event = decoder(raw)
    except UndecodableMessage as exc:
        return ("refused", exc.reason)
    dumped = (envelope.model_dump(mode="json"), event.model_dump(mode="json"))
    return (envelope, event, type(event), dumped)


def payload_of(type_name: str) -> dict[str, Any]:
    payload: dict[str, Any] = orjson.loads(encode(wrapped(SAMPLES[type_name])))
    return payload


def test_every_event_type_has_a_struct_with_the_same_fields_and_defaults() -> None:
    for type_name, cls in event_types().items():
        struct = STRUCTS[type_name].struct
        assert struct.__struct_fields__ == tuple(cls.model_fields), type_name
        defaults = dict(
            zip(
                reversed(struct.__struct_fields__),
                reversed(struct.__struct_defaults__),
                strict=False,
            )
        )
        for name, info in cls.model_fields.items():
            default = defaults.get(name, msgspec.NODEFAULT)
            if info.is_required():
                assert default is msgspec.NODEFAULT, f"{type_name}.{name}"
            elif info.default_factory is not None:
                assert default.factory is info.default_factory, f"{type_name}.{name}"
            else:
                assert default == info.default, f"{type_name}.{name}"
    assert STRUCTS["StockReceived"].struct.__struct_config__.forbid_unknown_fields


def test_only_types_with_checks_a_struct_cannot_make_are_left_to_pydantic() -> None:
    left = {
        name: [reason.split("(")[0] for reason in s.unchecked]
        for name, s in STRUCTS.items()
        if s.unchecked
    }
    assert left == PYDANTIC_ONLY
    assert set(HOT) == set(event_types()) - set(PYDANTIC_ONLY)


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_each_sample_decodes_to_the_same_envelope_and_event(type_name: str) -> None:
    raw = KEYS.encode(wrapped(SAMPLES[type_name]))

    assert outcome(lambda r: decode_hot(r, KEYS.verify), raw) == outcome(
        lambda r: decode(r, KEYS.verify), raw
    )
    assert (hot(orjson.loads(raw)) is not None) == (type_name in HOT)


@pytest.mark.parametrize(
    ("type_name", "field", "bad"),
    [
        ("StockReceived", "location_id", "wh-casablanca\n"),
        ("StockReceived", "item_id", "Flour"),
        ("UserRevoked", "username", ""),
    ],
)
def test_a_malformed_identifier_is_parked_with_pydantic_s_reason(
    type_name: str, field: str, bad: str
) -> None:
    payload = payload_of(type_name)
    payload["data"][field] = bad
    raw = orjson.dumps(payload)

    assert hot(payload) is None
    with pytest.raises(UndecodableMessage, match=f"bad {type_name} data: {field}"):
        decode_hot(raw)


def test_an_event_with_a_wrong_signature_is_refused_by_the_hot_path_too() -> None:
    payload = orjson.loads(KEYS.encode(wrapped(SAMPLES["StockReceived"])))
    payload["data"]["quantity"] += 1

    with pytest.raises(UnverifiedEvent, match="signature does not match"):
        decode_hot(orjson.dumps(payload), KEYS.verify)


def test_an_older_version_is_upcast_by_pydantic() -> None:
    payload = payload_of("LocationRegistered")
    data = payload["data"]
    payload["version"] = 1
    payload["data"] = {k: v for k, v in data.items() if not k.startswith(("region", "province"))}
    payload["data"]["region"] = "MA-06"
    raw = orjson.dumps(payload)

    assert outcome(decode_hot, raw) == outcome(decode, raw)
    assert decode_hot(raw)[1].region_code == "MA-06"  # type: ignore[attr-defined]


IDENTIFIERS = st.from_regex(SLUG_PATTERN, fullmatch=True) | st.from_regex(
    UUID_PATTERN, fullmatch=True
)
TIMES = st.from_regex(
    r"\A20[0-9]{2}-[01][0-9]-[0-3][0-9][T t][0-2][0-9]:[0-5][0-9](:[0-6][0-9])?"
    r"([.,][0-9]{0,9})?([Zz]|[+-][0-2][0-9](:?[0-5][0-9])?)?\Z"
)
DATES = st.from_regex(r"\A[0-9]{4}-[01][0-9]-[0-3][0-9](T00:00:00)?\Z")
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.integers(min_value=-3, max_value=10**9 + 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=70)
    | IDENTIFIERS
    | IDENTIFIERS.map(lambda s: s + "\n")
    | IDENTIFIERS.map(str.upper)
    | TIMES
    | DATES
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=6,
)


def like(value: Any) -> st.SearchStrategy[Any]:
    """Values near `value`: often still valid, often just outside what the contract allows."""
    if isinstance(value, dict) and value:
        return st.sampled_from(sorted(value)).flatmap(
            lambda key: st.one_of(like(value[key]), JSON).map(lambda v: {**value, key: v})
        )
    if isinstance(value, list) and value:
        return st.lists(like(value[0]), max_size=3) | st.just([])
    return JSON


def changed(payload: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The payload with one field of its envelope or its data set, removed or added."""
    envelope_keys = sorted(k for k in payload if k != "data")
    data_keys = sorted(payload["data"]) or ["data"]
    in_data = st.sampled_from(data_keys).flatmap(
        lambda key: (like(payload["data"].get(key)) | st.none()).map(
            lambda v: {**payload, "data": {**payload["data"], key: v}}
        )
    )
    removed = st.sampled_from(data_keys).map(
        lambda key: {**payload, "data": {k: v for k, v in payload["data"].items() if k != key}}
    )
    added = st.tuples(st.text(min_size=1, max_size=12), JSON).map(
        lambda kv: {**payload, "data": {**payload["data"], kv[0]: kv[1]}}
    )
    in_envelope = st.sampled_from(envelope_keys).flatmap(
        lambda key: (like(payload[key]) | TIMES).map(lambda v: {**payload, key: v})
    )
    return in_data | in_data | removed | added | in_envelope


IDENTIFIER = TypeAdapter(Identifier)


def pydantic_takes(text: str) -> bool:
    try:
        IDENTIFIER.validate_python(text)
    except ValidationError:
        return False
    return True


@settings(max_examples=1000)
@given(
    text=st.text(max_size=70)
    | st.text(alphabet="az09._-AF\né", max_size=70)
    | IDENTIFIERS
    | IDENTIFIERS.map(lambda s: s + "\n")
    | IDENTIFIERS.map(lambda s: "\n" + s)
    | IDENTIFIERS.map(str.upper)
    | st.uuids().map(str)
    | st.uuids().map(lambda u: str(u).upper() + "\n")
)
def test_the_hot_path_s_identifier_check_is_the_identifier_pattern(text: str) -> None:
    assert is_identifier(text) == pydantic_takes(text)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_both_decoders_agree_on_any_variation_of_any_event(data: st.DataObject) -> None:
    type_name = data.draw(st.sampled_from(sorted(SAMPLES)))
    payload = data.draw(changed(payload_of(type_name)))
    raw = orjson.dumps(payload)

    assert outcome(decode_hot, raw) == outcome(decode, raw)
    fast = hot(payload)
    if fast is not None:  # accepted without pydantic: pydantic accepts it, to the same values
        assert fast == validated(payload)
        assert isinstance(fast[0], Envelope)
