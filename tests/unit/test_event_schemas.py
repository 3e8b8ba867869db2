"""The published event schemas: the contract every reader of the log relies on, version by version.

A schema file `<Type>.v<N>.json` is history: once published, version N of a type may only gain
optional properties. Anything else needs version N+1 and an upcaster from N.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import pytest

from events import schemas
from events.base import Event, Identifier
from events.registry import event_types
from events.schemas import SCHEMA_DIR, SchemaConflict, breaking_changes, export, schema_of
from events.upcasting import has_upcaster

FILE_NAME = re.compile(r"^(?P<type>[A-Za-z]+)\.v(?P<version>[1-9][0-9]*)\.json$")


def committed(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


# --- the files in the repository -------------------------------------------------------------


def test_the_committed_schemas_cover_every_current_type_and_none_is_broken() -> None:
    assert schemas.check() == []


@pytest.mark.parametrize("cls", list(event_types().values()), ids=list(event_types()))
def test_each_committed_file_is_exactly_what_the_exporter_writes(cls: type[Event]) -> None:
    path = schemas.schema_path(cls)
    assert path.read_text(encoding="utf-8") == schemas.dumps(schema_of(cls)), (
        f"{path.name} is stale: run `python -m events.schemas`"
    )


def test_every_older_version_keeps_its_schema_and_has_an_upcaster() -> None:
    evolved = {name: cls for name, cls in event_types().items() if cls.VERSION > 1}
    assert "LocationRegistered" in evolved  # v1 carried only P-codes, v2 names the admin areas
    for name, cls in evolved.items():
        for version in range(1, cls.VERSION):
            assert (SCHEMA_DIR / f"{name}.v{version}.json").is_file(), f"{name} v{version}"
            assert has_upcaster(name, version), f"no upcaster for {name} v{version}"


def test_every_committed_file_names_a_known_type_at_a_version_it_has_reached() -> None:
    files = sorted(SCHEMA_DIR.glob("*.json"))
    assert files
    for path in files:
        match = FILE_NAME.match(path.name)
        assert match, f"{path.name} is not named <Type>.v<VERSION>.json"
        cls, version = event_types().get(match["type"]), int(match["version"])
        assert cls is not None, f"{path.name}: unknown event type"
        assert version <= cls.VERSION, f"{path.name}: newer than the class"
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert (schema["title"], schema["x-event-version"]) == (match["type"], version)


def test_the_v1_location_schema_explains_why_locations_needed_a_v2() -> None:
    v1, v2 = committed("LocationRegistered.v1.json"), committed("LocationRegistered.v2.json")
    assert v1["required"] == ["location_id", "name", "kind", "region"]
    assert v1["properties"]["kind"]["enum"] == ["warehouse", "site"]
    assert breaking_changes(v1, v2) == [
        "property 'province' was removed",
        "property 'region' was removed",
        "property 'region_code' is newly required",
        "property 'region_name' is newly required",
    ]


# --- what counts as a break: small hand-made schemas ----------------------------------------

LOCATION: dict[str, Any] = {
    "title": "LocationRegistered",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "location_id": {"type": "string"},
        "kind": {"enum": ["warehouse", "site"], "type": "string"},
        "region_code": {"type": "string"},
        "province_code": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "opened_on": {"type": "string", "format": "date"},
    },
    "required": ["location_id", "kind", "region_code"],
}


def changed(**properties: Any) -> dict[str, Any]:
    """LOCATION with some properties replaced (None removes one)."""
    schema = copy.deepcopy(LOCATION)
    for name, prop in properties.items():
        if prop is None:
            del schema["properties"][name]
        else:
            schema["properties"][name] = prop
    return schema


def test_an_unchanged_schema_has_no_breaking_change() -> None:
    assert breaking_changes(LOCATION, copy.deepcopy(LOCATION)) == []


def test_adding_an_optional_gps_field_is_compatible() -> None:
    new = changed(latitude={"anyOf": [{"type": "number"}, {"type": "null"}], "default": None})
    assert breaking_changes(LOCATION, new) == []


def test_widening_the_kinds_with_a_mobile_unit_is_compatible() -> None:
    new = changed(kind={"enum": ["warehouse", "site", "mobile"], "type": "string"})
    assert breaking_changes(LOCATION, new) == []


def test_dropping_the_province_breaks_readers_of_al_haouz_sites() -> None:
    assert breaking_changes(LOCATION, changed(province_code=None)) == [
        "property 'province_code' was removed"
    ]


def test_a_region_code_turned_into_a_number_is_a_changed_type() -> None:
    assert breaking_changes(LOCATION, changed(region_code={"type": "integer"})) == [
        "property 'region_code' changed type from string to integer"
    ]


def test_a_type_change_hidden_in_an_optional_field_is_seen_through_any_of() -> None:
    new = changed(province_code={"anyOf": [{"type": "integer"}, {"type": "null"}]})
    assert breaking_changes(LOCATION, new) == [
        "property 'province_code' changed type from null|string to integer|null"
    ]


def test_an_optional_field_that_may_no_longer_be_null_is_a_changed_type() -> None:
    assert breaking_changes(LOCATION, changed(province_code={"type": "string"})) == [
        "property 'province_code' changed type from null|string to string"
    ]


def test_an_opening_date_that_becomes_a_timestamp_is_a_changed_format() -> None:
    new = changed(opened_on={"type": "string", "format": "date-time"})
    assert breaking_changes(LOCATION, new) == [
        "property 'opened_on' changed type from string (date) to string (date-time)"
    ]


def test_a_newly_required_region_name_breaks_old_events() -> None:
    new = changed(region_name={"type": "string"})
    new["required"].append("region_name")
    assert breaking_changes(LOCATION, new) == ["property 'region_name' is newly required"]


def test_an_optional_province_that_becomes_required_breaks_old_events() -> None:
    new = copy.deepcopy(LOCATION)
    new["required"].append("province_code")
    assert breaking_changes(LOCATION, new) == ["property 'province_code' is newly required"]


def test_a_kind_that_no_longer_accepts_sites_is_a_narrowed_enum() -> None:
    new = changed(kind={"enum": ["warehouse"], "type": "string"})
    assert breaking_changes(LOCATION, new) == ["property 'kind' no longer accepts ['site']"]


def test_a_free_region_code_restricted_to_ma06_and_ma07_is_narrowed() -> None:
    new = changed(region_code={"enum": ["MA06", "MA07"], "type": "string"})
    assert breaking_changes(LOCATION, new) == [
        "property 'region_code' no longer accepts other values"
    ]


def test_forbidding_unknown_properties_is_a_tightening() -> None:
    old = {**LOCATION, "additionalProperties": True}
    assert breaking_changes(old, LOCATION) == ["additionalProperties of '(root)' tightened"]
    assert breaking_changes(LOCATION, old) == []


def test_array_items_and_nested_objects_are_compared_too() -> None:
    old = changed(
        sites={"type": "array", "items": {"type": "string"}},
        address={"type": "object", "properties": {"city": {"type": "string"}}},
    )
    new = changed(
        sites={"type": "array", "items": {"type": "integer"}},
        address={"type": "object", "properties": {}},
    )
    assert breaking_changes(old, new) == [
        "property 'address.city' was removed",
        "property 'sites[]' changed type from string to integer",
    ]


# --- what pydantic really generates: Literal, Optional, Enum in $defs -----------------------


class Kind(StrEnum):
    WAREHOUSE = "warehouse"
    SITE = "site"


class NarrowKind(StrEnum):
    WAREHOUSE = "warehouse"


class SiteOpened(Event):
    TYPE = "SiteOpened"
    STREAM = "reference"

    location_id: Identifier
    kind: Kind
    status: Literal["open", "closed"] = "open"
    province_code: str | None = None


class SiteOpenedWithCapacity(SiteOpened):
    capacity_pallets: int | None = None


class SiteOpenedNarrowed(SiteOpened):
    kind: NarrowKind  # type: ignore[assignment]
    status: Literal["open"] = "open"  # type: ignore[assignment]
    province_code: int | None = None  # type: ignore[assignment]


def test_real_pydantic_schemas_accept_an_optional_capacity() -> None:
    assert breaking_changes(schema_of(SiteOpened), schema_of(SiteOpenedWithCapacity)) == []


def test_real_pydantic_schemas_catch_narrowed_enums_literals_and_types() -> None:
    assert breaking_changes(schema_of(SiteOpened), schema_of(SiteOpenedNarrowed)) == [
        "property 'kind' no longer accepts ['site']",
        "property 'province_code' changed type from null|string to integer|null",
        "property 'status' no longer accepts ['closed']",
    ]


# --- the exporter and the CI check ----------------------------------------------------------


def test_export_writes_every_current_type_and_keeps_older_versions(tmp_path: Path) -> None:
    v1 = tmp_path / "LocationRegistered.v1.json"
    v1.write_text((SCHEMA_DIR / v1.name).read_text(encoding="utf-8"), encoding="utf-8")

    written = export(tmp_path)

    assert {p.name for p in written} == {f"{n}.v{c.VERSION}.json" for n, c in event_types().items()}
    assert v1.read_text(encoding="utf-8") == (SCHEMA_DIR / v1.name).read_text(encoding="utf-8")
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 0


def test_export_refuses_to_rewrite_a_published_version_incompatibly(tmp_path: Path) -> None:
    export(tmp_path)
    published = tmp_path / "LocationRegistered.v2.json"
    schema = json.loads(published.read_text(encoding="utf-8"))
    schema["properties"]["district_code"] = {"type": "string"}  # the class has since dropped it
    published.write_text(schemas.dumps(schema), encoding="utf-8")

    with pytest.raises(SchemaConflict, match="property 'district_code' was removed"):
        export(tmp_path)
    assert "district_code" in published.read_text(encoding="utf-8")


def test_check_lists_every_break_and_every_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export(tmp_path)
    (tmp_path / "ItemDefined.v1.json").unlink()
    published = tmp_path / "StockReceived.v1.json"
    schema = json.loads(published.read_text(encoding="utf-8"))
    schema["properties"]["quantity"]["type"] = "number"
    schema["properties"]["pallets"] = {"type": "integer"}
    published.write_text(schemas.dumps(schema), encoding="utf-8")

    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 1

    report = capsys.readouterr().err.splitlines()
    assert report == [
        "ItemDefined v1: no ItemDefined.v1.json; run `python -m events.schemas` to add it",
        "StockReceived v1: property 'pallets' was removed",
        "StockReceived v1: property 'quantity' changed type from number to integer",
    ]


def test_the_module_runs_as_a_command_and_fails_the_check_on_an_empty_directory(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "events.schemas", "--check", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    for name in event_types():
        assert f"{name} v" in result.stderr
    assert "run `python -m events.schemas` to add it" in result.stderr
    assert list(tmp_path.iterdir()) == []
