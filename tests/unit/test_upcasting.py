"""Old events stay readable: a v1 LocationRegistered from the log is read as today's v2.

In 2023 the first producers wrote locations with only the admin P-codes (`region`, `province`);
v2 renamed them `region_code`/`province_code` and added the names. The log is never rewritten:
readers upcast on the way in, and refuse what they cannot read.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from events.reference import LocationRegistered
from events.schemas import SCHEMA_DIR
from events.serialization import MAX_MESSAGE_BYTES, UndecodableMessage, decode
from events.upcasting import MissingUpcaster, upcast

# Bytes exactly as a v1 producer wrote them to the `reference` topic.
CASABLANCA_V1 = """{
  "event_id": "0d9c1e4e-6a8b-5f43-9a1e-3c2d7f9b8e10",
  "type": "LocationRegistered",
  "version": 1,
  "occurred_at": "2023-09-09T08:00:00+01:00",
  "recorded_at": "2023-09-09T08:00:02+01:00",
  "actor": {"user_id": "fatima.coordinator", "role": "coordinator"},
  "correlation_id": "setup-casablanca",
  "causation_id": "cmd-register-wh-casa",
  "data": {"location_id": "wh-casa", "name": "Entrepôt Casablanca", "kind": "warehouse",
           "region": "MA06", "province": "MA0601"}
}""".encode()

AL_HAOUZ_SITE_V1_DATA: dict[str, Any] = {
    "location_id": "site-amizmiz",
    "name": "Site Amizmiz (Al Haouz)",
    "kind": "site",
    "region": "MA07",
}


def envelope_json(**changes: Any) -> bytes:
    """The Casablanca v1 envelope with some top-level fields changed."""
    return orjson.dumps({**orjson.loads(CASABLANCA_V1), **changes})


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "array": list,
    "object": dict,
}


def violations(data: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """A minimal JSON Schema check: `required`, `properties` (type through anyOf, enum) and
    `additionalProperties: false`. Enough to tell a v1 payload from a v2 one."""
    problems = [f"missing {key!r}" for key in schema["required"] if key not in data]
    for key, value in data.items():
        prop = schema["properties"].get(key)
        if prop is None:
            if schema.get("additionalProperties") is False:
                problems.append(f"unexpected {key!r}")
        elif not any(fits(value, option) for option in prop.get("anyOf", [prop])):
            problems.append(f"{key!r}: {value!r} does not fit {prop}")
    return problems


def fits(value: Any, option: dict[str, Any]) -> bool:
    declared = option.get("type")
    if declared is not None:
        if isinstance(value, bool) and declared in ("integer", "number"):
            return False
        if not isinstance(value, JSON_TYPES[declared]):
            return False
    return "enum" not in option or value in option["enum"]


# --- the v1 payload and its published schema -------------------------------------------------


def test_the_casablanca_v1_payload_is_valid_under_the_committed_v1_schema() -> None:
    data = orjson.loads(CASABLANCA_V1)["data"]
    assert violations(data, schema("LocationRegistered.v1.json")) == []


def test_an_al_haouz_site_without_province_is_valid_v1() -> None:
    assert violations(AL_HAOUZ_SITE_V1_DATA, schema("LocationRegistered.v1.json")) == []


def test_the_v1_schema_rejects_v2_shaped_data_and_unknown_kinds() -> None:
    v1 = schema("LocationRegistered.v1.json")
    v2_data = {
        "location_id": "wh-casa",
        "name": "Entrepôt Casablanca",
        "kind": "warehouse",
        "region_code": "MA06",
        "region_name": "Casablanca-Settat",
    }
    assert violations(v2_data, v1) == [
        "missing 'region'",
        "unexpected 'region_code'",
        "unexpected 'region_name'",
    ]
    depot = {**AL_HAOUZ_SITE_V1_DATA, "kind": "depot", "province": 7}
    assert len(violations(depot, v1)) == 2


def test_upcast_v1_data_is_valid_under_the_committed_v2_schema() -> None:
    data = upcast("LocationRegistered", 1, 2, orjson.loads(CASABLANCA_V1)["data"])
    assert violations(data, schema("LocationRegistered.v2.json")) == []


# --- decoding v1 from the log ----------------------------------------------------------------


def test_a_v1_casablanca_warehouse_is_read_as_the_current_location_registered() -> None:
    envelope, event = decode(CASABLANCA_V1)

    assert event == LocationRegistered(
        location_id="wh-casa",
        name="Entrepôt Casablanca",
        kind="warehouse",
        region_code="MA06",
        region_name="MA06",  # v1 knew no names: the code stands in until renamed
        province_code="MA0601",
        province_name=None,
    )
    assert envelope.version == 1  # the envelope still says what was written
    assert envelope.data == orjson.loads(CASABLANCA_V1)["data"]  # and is not upcast in place


def test_a_v1_al_haouz_site_without_province_has_no_province_code() -> None:
    _, event = decode(envelope_json(data=AL_HAOUZ_SITE_V1_DATA))
    assert isinstance(event, LocationRegistered)
    assert (event.kind, event.region_code, event.province_code) == ("site", "MA07", None)


def test_upcasting_leaves_the_callers_data_untouched() -> None:
    data = dict(AL_HAOUZ_SITE_V1_DATA)
    upcast("LocationRegistered", 1, 2, data)
    assert data == AL_HAOUZ_SITE_V1_DATA


def test_a_version_without_upcaster_is_a_missing_upcaster() -> None:
    with pytest.raises(MissingUpcaster, match="LocationRegistered v0"):
        upcast("LocationRegistered", 0, 2, AL_HAOUZ_SITE_V1_DATA)


# --- what readers refuse ---------------------------------------------------------------------


def test_a_v3_location_from_a_newer_producer_is_refused_naming_the_version() -> None:
    future = envelope_json(version=3, data={**AL_HAOUZ_SITE_V1_DATA, "gps": [31.1, -8.2]})
    with pytest.raises(UndecodableMessage, match=r"LocationRegistered v3 is newer .*\(v2\)"):
        decode(future)


def test_a_v1_location_without_its_region_is_refused_not_crashed_on() -> None:
    data = {k: v for k, v in AL_HAOUZ_SITE_V1_DATA.items() if k != "region"}
    with pytest.raises(UndecodableMessage, match="cannot upcast LocationRegistered v1"):
        decode(envelope_json(data=data))


def test_version_zero_is_refused() -> None:
    with pytest.raises(UndecodableMessage, match="cannot upcast LocationRegistered v0"):
        decode(envelope_json(version=0))


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(UndecodableMessage, match="unknown event type 'ConvoyDispatched'"):
        decode(envelope_json(type="ConvoyDispatched"))


@pytest.mark.parametrize(
    "raw",
    [b"<location>wh-casa</location>", CASABLANCA_V1[:120], b"", b"\xff\xfe"],
    ids=["xml", "truncated", "empty", "not-utf8"],
)
def test_bytes_that_are_not_json_are_refused(raw: bytes) -> None:
    with pytest.raises(UndecodableMessage) as refused:
        decode(raw)
    assert refused.value.reason.startswith("not JSON")


def test_a_missing_message_is_refused() -> None:
    with pytest.raises(UndecodableMessage, match="empty message"):
        decode(None)


def test_a_message_over_the_size_limit_is_refused_even_if_valid() -> None:
    at_limit = CASABLANCA_V1 + b" " * (MAX_MESSAGE_BYTES - len(CASABLANCA_V1))
    assert len(at_limit) == MAX_MESSAGE_BYTES
    decode(at_limit)  # whitespace is valid JSON: the limit itself is accepted

    with pytest.raises(UndecodableMessage, match=f"exceeds {MAX_MESSAGE_BYTES}"):
        decode(at_limit + b" ")
