"""The admin's forms for reference data: the fields each shows and the use case it calls,
the same as the JSON API's (each change an event with its actor)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from api import requests
from api.auth import User
from api.deps import Services
from api.schemas.reference import Coordinates, ItemCreate, LocationCreate
from api.schemas.relief import DonorCreate
from api.schemas.stock import ThresholdSet
from api.ui.forms import Field, FormSpec, compact, decimal, integer, parse
from api.ui.i18n import Translator
from services.app import reference, relief, stock
from services.domain.reference.decider import SetLocationCoordinates
from services.domain.stock.commands import SetStockThreshold

KINDS = ("warehouse", "site")


def _now() -> datetime:
    return datetime.now(UTC)


def new_form_id() -> str:
    """The id a form's command carries: submitting twice records it once."""
    return str(uuid.uuid4())


async def _location(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    body = parse(LocationCreate, compact({
        "id": form.get("id"), "name": form.get("name"), "kind": form.get("kind"),
        "region_code": form.get("region_code"), "region_name": form.get("region_name"),
        "province_code": form.get("province_code"), "province_name": form.get("province_name"),
        "latitude": decimal(form.get("latitude")), "longitude": decimal(form.get("longitude")),
    }), t)  # fmt: skip
    return await reference.register_location(services, user, _now(), requests.location(body))


async def _coordinates(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    body = parse(Coordinates, compact({
        "latitude": decimal(form.get("latitude")), "longitude": decimal(form.get("longitude")),
    }), t)  # fmt: skip
    command = SetLocationCoordinates(location_id=form["location_id"], **body.model_dump())
    command_id = form.get("form_id") or new_form_id()
    return await reference.set_coordinates(services, user, _now(), command, command_id)


async def _item(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    body = parse(ItemCreate, compact({
        "id": form.get("id"), "name": form.get("name"), "unit": form.get("unit"),
        "pack_size": integer(form.get("pack_size")), "weight_kg": form.get("weight_kg"),
        "volume_l": form.get("volume_l"),
    }), t)  # fmt: skip
    return await reference.define_item(services, user, _now(), requests.item(body))


async def _donor(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    body = parse(DonorCreate, compact({"id": form.get("id"), "name": form.get("name")}), t)
    return await relief.register_donor(services, user, _now(), requests.donor(body))


async def _threshold(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    body = parse(ThresholdSet, compact({
        "location_id": form.get("location_id"), "item_id": form.get("item_id"),
        "minimum": integer(form.get("minimum")),
    }), t)  # fmt: skip
    command = SetStockThreshold(**body.model_dump())
    command_id = form.get("form_id") or new_form_id()
    return await stock.set_threshold(services, user, _now(), command, command_id)


ID, NAME = Field("id", "text"), Field("name", "text")
LATITUDE, LONGITUDE = Field("latitude", "decimal"), Field("longitude", "decimal")
FORMS: dict[str, FormSpec] = {
    "location": FormSpec(
        "admin.location.new",
        (
            ID,
            NAME,
            Field("kind", "choice"),
            Field("region_code", "text"),
            Field("region_name", "text"),
            Field("province_code", "text", required=False),
            Field("province_name", "text", required=False),
            Field("latitude", "decimal", required=False),
            Field("longitude", "decimal", required=False),
        ),
        _location,
    ),
    "coordinates": FormSpec("admin.coordinates.title", (LATITUDE, LONGITUDE), _coordinates),
    "item": FormSpec(
        "admin.item.new",
        (
            ID,
            NAME,
            Field("unit", "text"),
            Field("pack_size", "number", required=False),
            Field("weight_kg", "decimal", required=False),
            Field("volume_l", "decimal", required=False),
        ),
        _item,
    ),
    "donor": FormSpec("admin.donor.new", (ID, NAME), _donor),
    "threshold": FormSpec(
        "admin.threshold.new",
        (Field("location_id", "choice"), Field("item_id", "choice"), Field("minimum", "number")),
        _threshold,
    ),
}


def choices(ref: dict[str, Any], t: Translator) -> dict[str, list[tuple[str, str]]]:
    """The options of the admin forms' lists, in the page's language."""
    return {
        "kind": [(k, t(f"location.kind.{k}")) for k in KINDS],
        "location_id": [(p["location_id"], p["name"]) for p in ref["locations"]],
        "item_id": [(it["item_id"], f"{it['name']} ({it['unit']})") for it in ref["items"]],
    }
