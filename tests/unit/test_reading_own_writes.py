"""A site registered a moment ago is found once this process's own writes are projected:
registering a household at it right after does not answer "no distribution site"."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.pool import StaticPool

from projections.tables import locations, metadata
from services.app import reference

SITE = {"location_id": "site-chichaoua", "name": "Chichaoua", "kind": "site",
        "region_code": "MA07", "region_name": "Marrakech-Safi"}  # fmt: skip


def test_a_site_not_yet_projected_is_found_after_waiting_for_this_process_s_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata.create_all(engine)
    waited: list[str] = []

    async def projected_meanwhile(engine_: Any, settings: Any, written: Any, stream: str) -> None:
        waited.append(stream)
        with engine.begin() as conn:  # the reference projection catches up
            conn.execute(insert(locations).values(**SITE))

    monkeypatch.setattr(reference, "wait_for_own_writes", projected_meanwhile)
    ports = SimpleNamespace(engine=engine, settings=None, last_written={("reference", 0): 4})
    found = asyncio.run(reference.distribution_site(ports, "site-chichaoua"))  # type: ignore[arg-type]
    assert found is not None and found["location_id"] == "site-chichaoua"
    assert waited == ["reference"]


def test_a_known_site_is_answered_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(locations).values(**(SITE | {"location_id": "wh-1", "kind": "warehouse"}))
        )
        conn.execute(insert(locations).values(**SITE))

    async def never(*args: Any) -> None:
        raise AssertionError("waited for a site already projected")

    monkeypatch.setattr(reference, "wait_for_own_writes", never)
    ports = SimpleNamespace(engine=engine, settings=None, last_written={})
    assert asyncio.run(reference.distribution_site(ports, "site-chichaoua")) is not None  # type: ignore[arg-type]
    assert asyncio.run(reference.distribution_site(ports, "wh-1")) is None  # type: ignore[arg-type]
