"""What this process has just written is found by its next read: a row not yet projected is
looked up again once the read models hold this process's own writes to its stream (a site
registered a moment ago, a location, a campaign), and a row already there is answered
without waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.pool import StaticPool

from projections.tables import campaigns, locations, metadata
from services.app import campaigns as campaign_cases
from services.app import reading, reference
from services.app.errors import NotFound
from services.app.kept_rows import REFERENCE, USERS, KeptRows
from services.app.permissions import User
from services.domain.positions import Position

SITE = {"location_id": "site-chichaoua", "name": "Chichaoua", "kind": "site",
        "region_code": "MA07", "region_name": "Marrakech-Safi"}  # fmt: skip
CAMPAIGN = {"campaign_id": "ramadan-2027", "name": "Ramadan 2027", "item_id": "basket",
            "quantity_per_household": 1, "starts_on": date(2027, 2, 1),
            "ends_on": date(2027, 3, 31), "region_codes": ["MA07"], "groups": []}  # fmt: skip
COORDINATOR = User(username="amina", role="coordinator")


def _engine() -> Engine:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata.create_all(engine)
    return engine


def _ports(engine: Engine, **written: int) -> Any:
    last = {(stream, 0): offset for stream, offset in written.items()}
    return SimpleNamespace(engine=engine, settings=None, last_written=last)


READS: dict[str, tuple[Any, dict[str, Any], Callable[[Any], Coroutine[Any, Any, Any]]]] = {
    "a distribution site": (
        locations, SITE, lambda ports: reference.distribution_site(ports, "site-chichaoua")
    ),
    "a location": (
        locations, SITE, lambda ports: reference.location(ports, COORDINATOR, "site-chichaoua")
    ),
    "a campaign": (
        campaigns, CAMPAIGN, lambda ports: campaign_cases.find_campaign(ports, "ramadan-2027")
    ),
}  # fmt: skip


@pytest.mark.parametrize("what", list(READS))
def test_a_row_not_yet_projected_is_found_after_waiting_for_this_process_s_writes(
    monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    table, row, read = READS[what]
    engine = _engine()
    waited: list[str] = []

    async def projected_meanwhile(engine_: Any, settings: Any, written: Any, stream: str) -> None:
        waited.append(stream)
        with engine.begin() as conn:  # the reference projection catches up
            conn.execute(insert(table).values(**row))

    monkeypatch.setattr(reading, "wait_for_own_writes", projected_meanwhile)
    found = asyncio.run(read(_ports(engine, reference=4)))
    assert found is not None
    assert all(found[key] == value for key, value in row.items() if key in ("location_id",
               "campaign_id"))  # fmt: skip
    assert waited == ["reference"]


@pytest.mark.parametrize("what", list(READS))
def test_a_row_already_projected_is_answered_without_waiting(
    monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    table, row, read = READS[what]
    engine = _engine()
    with engine.begin() as conn:
        conn.execute(insert(table).values(**row))

    async def never(*args: Any) -> None:
        raise AssertionError("waited for a row already projected")

    monkeypatch.setattr(reading, "wait_for_own_writes", never)
    assert asyncio.run(read(_ports(engine))) is not None


def test_a_location_nobody_registered_is_not_found_after_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited: list[str] = []

    async def nothing_new(engine_: Any, settings: Any, written: Any, stream: str) -> None:
        waited.append(stream)

    monkeypatch.setattr(reading, "wait_for_own_writes", nothing_new)
    with pytest.raises(NotFound):
        asyncio.run(reference.location(_ports(_engine()), COORDINATOR, "site-nowhere"))
    assert waited == ["reference"]


def test_a_warehouse_is_no_distribution_site(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine()
    with engine.begin() as conn:
        conn.execute(
            insert(locations).values(**(SITE | {"location_id": "wh-1", "kind": "warehouse"}))
        )
    monkeypatch.setattr(reading, "wait_for_own_writes", lambda *args: asyncio.sleep(0))
    assert asyncio.run(reference.distribution_site(_ports(engine), "wh-1")) is None


def test_a_write_is_remembered_per_partition_and_drops_the_rows_kept_of_its_stream() -> None:
    reference, users = KeptRows(REFERENCE, 60.0), KeptRows(USERS, 60.0)
    ports = SimpleNamespace(last_written={}, reference=reference, users=users)
    reference.keep(lookup_row, "site-chichaoua", SITE)
    users.keep(lookup_row, "token-digest", COORDINATOR)

    reading.remember_write(ports, Position("households", 3, 41))  # type: ignore[arg-type]
    reading.remember_write(ports, Position("households", 3, 17))  # type: ignore[arg-type]
    assert ports.last_written == {("households", 3): 41}
    assert reference.get(lookup_row, "site-chichaoua") == SITE
    assert users.get(lookup_row, "token-digest") == COORDINATOR

    reading.remember_write(ports, Position("reference", 0, 8))  # type: ignore[arg-type]
    assert ports.last_written == {("households", 3): 41, ("reference", 0): 8}
    assert reference.get(lookup_row, "site-chichaoua") is None
    assert users.get(lookup_row, "token-digest") == COORDINATOR

    reading.remember_write(ports, Position("users", 1, 2))  # type: ignore[arg-type]
    assert users.get(lookup_row, "token-digest") is None


def lookup_row(engine: Any, key: str) -> dict[str, Any] | None:
    return None  # stands for a query; the rows never call it
