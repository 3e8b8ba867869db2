"""Where a location lies: optional coordinates at registration, set or corrected later by the
reference writer, kept in the read model and answered over HTTP; locations registered before
(without any) stay valid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import create_engine, select
from sqlalchemy.pool import StaticPool

from events.envelope import SYSTEM
from events.reference import ItemDefined, LocationCoordinatesSet, LocationRegistered
from events.serialization import decode, encode, event_id_for, wrap
from projections.tables import locations, metadata
from services.domain.decisions import Refused
from services.domain.reference.decider import (
    ReferenceDecider,
    RegisterLocation,
    Registration,
    SetLocationCoordinates,
)
from tests.support.aid_log import AidLog, one_by_one, project
from tests.support.api import ApiHarness

AMIZMIZ = LocationRegistered(
    location_id="site-amizmiz", name="Point de distribution Amizmiz", kind="site",
    region_code="MA07", region_name="Marrakech-Safi",
)  # fmt: skip
DECIDER = ReferenceDecider()
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def known(*events: Any) -> Registration:
    state = DECIDER.initial()
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def on_the_wire(event: LocationRegistered | LocationCoordinatesSet) -> Any:
    return decode(encode(wrapped(event)))[1]


def wrapped(event: LocationRegistered | LocationCoordinatesSet) -> Any:
    return wrap(event, event_id=event_id_for("cmd-1", 0), occurred_at=MORNING,
                recorded_at=MORNING, actor=SYSTEM, correlation_id="c",
                causation_id="cmd-1")  # fmt: skip


# ---- the facts ----------------------------------------------------------------------------------


@given(latitude=st.floats(-90, 90), longitude=st.floats(-180, 180))
def test_any_coordinates_on_earth_cross_the_wire_exactly(latitude: float, longitude: float) -> None:
    placed = AMIZMIZ.model_copy(update={"latitude": latitude, "longitude": longitude})
    registered = LocationRegistered.model_validate(placed.model_dump())

    assert on_the_wire(registered) == registered
    moved = LocationCoordinatesSet(location_id="site-amizmiz", latitude=latitude,
                                   longitude=longitude)  # fmt: skip
    assert on_the_wire(moved) == moved


@pytest.mark.parametrize(
    "where",
    [
        {"latitude": 90.5, "longitude": -8.23},
        {"latitude": 31.2, "longitude": -180.1},
        {"latitude": float("nan"), "longitude": -8.23},
        {"latitude": "31.2", "longitude": -8.23},  # a number, not text
        {"latitude": 31.2},  # both or neither
        {"longitude": -8.23},
    ],
)
def test_a_place_off_the_earth_or_half_given_is_no_registration(where: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LocationRegistered(**AMIZMIZ.model_dump(exclude={"latitude", "longitude"}), **where)


def test_a_registration_published_before_coordinates_existed_still_reads() -> None:
    payload = orjson.loads(encode(wrapped(AMIZMIZ)))
    del payload["data"]["latitude"], payload["data"]["longitude"]

    _, event = decode(orjson.dumps(payload))

    assert event == AMIZMIZ
    assert (event.latitude, event.longitude) == (None, None)


# ---- the reference writer decides ---------------------------------------------------------------


def place(latitude: float = 31.2167, longitude: float = -8.2333) -> SetLocationCoordinates:
    return SetLocationCoordinates(location_id="site-amizmiz", latitude=latitude,
                                  longitude=longitude)  # fmt: skip


def test_a_site_registered_without_coordinates_gets_them() -> None:
    [event] = DECIDER.decide(known(AMIZMIZ), place(), MORNING)

    assert event == LocationCoordinatesSet(location_id="site-amizmiz", latitude=31.2167,
                                           longitude=-8.2333)  # fmt: skip


def test_the_same_coordinates_again_record_nothing_and_a_correction_does() -> None:
    placed = AMIZMIZ.model_copy(update={"latitude": 31.2167, "longitude": -8.2333})
    corrected = LocationCoordinatesSet(location_id="site-amizmiz", latitude=31.22,
                                       longitude=-8.24)  # fmt: skip

    assert DECIDER.decide(known(placed), place(), MORNING) == []
    assert DECIDER.decide(known(placed), place(31.22, -8.24), MORNING) == [corrected]
    assert DECIDER.decide(known(placed, corrected), place(31.22, -8.24), MORNING) == []
    # Back to the registered ones is a change too: the last coordinates set stand.
    assert DECIDER.decide(known(placed, corrected), place(), MORNING) != []


@pytest.mark.parametrize(
    "history",
    [(), (ItemDefined(item_id="site-amizmiz", name="Farine", unit="kg"),)],
    ids=["nothing", "an-item"],
)
def test_only_a_registered_location_is_placed(history: tuple[Any, ...]) -> None:
    with pytest.raises(Refused) as refused:
        DECIDER.decide(known(*history), place(), MORNING)

    assert refused.value.code == "unknown_location"
    assert "register it" in refused.value.message


def test_a_registration_repeated_after_its_coordinates_changed_is_still_the_same() -> None:
    moved = LocationCoordinatesSet(location_id="site-amizmiz", latitude=31.2, longitude=-8.2)

    assert DECIDER.decide(known(AMIZMIZ, moved), RegisterLocation(location=AMIZMIZ), MORNING) == []


# ---- over HTTP, and in the read model -----------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def listed(api: ApiHarness, location_id: str) -> dict[str, Any]:
    api.project_published()
    rows = api.get("auditor", "/v1/locations", params={"limit": 500}).json()["items"]
    found: dict[str, Any] = next(r for r in rows if r["id"] == location_id)
    return found


TAHANNAOUT = {"id": "site-tahannaout", "name": "Point de distribution Tahannaout", "kind": "site",
              "region_code": "MA07", "region_name": "Marrakech-Safi"}  # fmt: skip


def test_a_location_registered_with_coordinates_answers_them(api: ApiHarness) -> None:
    body = TAHANNAOUT | {"latitude": 31.3547, "longitude": -7.9502}

    r = api.post("coordinator", "/v1/locations", body)

    assert r.status_code == 201, r.text
    assert (r.json()["latitude"], r.json()["longitude"]) == (31.3547, -7.9502)
    row = listed(api, "site-tahannaout")
    assert (row["latitude"], row["longitude"]) == (31.3547, -7.9502)
    assert listed(api, "wh-casablanca")["latitude"] is None


@pytest.mark.parametrize(
    ("where", "field"),
    [({"latitude": 95.0, "longitude": -7.95}, "latitude"),
     ({"latitude": "31.35", "longitude": -7.95}, "latitude"),
     ({"latitude": 31.35}, None)],
)  # fmt: skip
def test_a_location_with_bad_coordinates_is_a_422(
    api: ApiHarness, where: dict[str, Any], field: str | None
) -> None:
    r = api.post("coordinator", "/v1/locations", TAHANNAOUT | where)

    assert r.status_code == 422, r.text
    if field:
        assert r.json()["field"] == field
    else:
        assert "both latitude and longitude" in r.text
    assert api.published() == []


def test_a_warehouse_is_placed_once_and_the_same_again_is_a_200(api: ApiHarness) -> None:
    path, where = "/v1/locations/wh-casablanca/coordinates", {"latitude": 33.5731,
                                                              "longitude": -7.5898}  # fmt: skip

    first = api.post("admin", path, where)
    api.project_published()
    again = api.post("admin", path, where)

    assert (first.status_code, again.status_code) == (201, 200), again.text
    [event] = [e for e in api.published("reference") if e.type == "LocationCoordinatesSet"]
    assert (event.actor.user_id, event.data["latitude"]) == ("amina.admin", 33.5731)
    row = listed(api, "wh-casablanca")
    assert (row["latitude"], row["longitude"], row["name"]) == (33.5731, -7.5898,
                                                                "Entrepôt Casablanca")  # fmt: skip


def test_an_unknown_location_cannot_be_placed(api: ApiHarness) -> None:
    r = api.post("admin", "/v1/locations/site-nowhere/coordinates",
                 {"latitude": 31.0, "longitude": -8.0})  # fmt: skip

    assert r.status_code == 422, r.text
    assert r.json()["field"] == "location_id"
    assert api.published() == []


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "event-by-event"])
def test_the_read_model_keeps_the_last_coordinates_set(together: bool) -> None:
    log = AidLog()
    log.append(AMIZMIZ, "cmd-register", MORNING)
    for n, latitude in enumerate((31.2, 31.2167)):
        moved = LocationCoordinatesSet(location_id="site-amizmiz", latitude=latitude,
                                       longitude=-8.2333)  # fmt: skip
        log.append(moved, f"cmd-place-{n}", MORNING)
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)

    project(engine, [log.messages] if together else one_by_one(log.messages))

    with engine.connect() as conn:
        rows = conn.execute(select(locations.c.latitude, locations.c.longitude)).all()
    assert [tuple(r) for r in rows] == [(31.2167, -8.2333)]
