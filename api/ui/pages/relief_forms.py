"""The coordinator's forms: open an operation, open a campaign, plan a convoy (of several
lines: the form has LINE_ROWS rows of item and quantity, the empty ones left out)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from api import requests
from api.auth import User
from api.deps import Services
from api.schemas.households import CampaignCreate
from api.schemas.relief import DeploymentCreate, Line, OperationCreate
from api.ui.forms import Field, FormErrors, FormSpec, compact, integer, parse
from api.ui.i18n import Translator
from services.app import campaigns, deployments, relief

KINDS = ("earthquake", "flood", "cold_wave", "drought", "fire", "other")
LINE_ROWS = 6


def _now() -> datetime:
    return datetime.now(UTC)


async def _operation(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    body = parse(OperationCreate, compact({
        "id": form.get("id"), "name": form.get("name"), "kind": form.get("kind"),
        "region_codes": form.get("region_codes") or [],
    }), t)  # fmt: skip
    return await relief.open_operation(services, user, _now(), requests.operation(body))


# The inputs of the rule for larger households, by where a mistake in the body is found.
LARGER = {
    "larger_households.min_size": "larger_min_size",
    "larger_households.quantity": "larger_quantity",
    "larger_households": "larger_quantity",
}


def _larger(form: dict[str, Any]) -> dict[str, Any] | None:
    """The rule "households of at least N members receive M", from both inputs (either alone
    is refused, naming the other), or None when both are left empty."""
    rule = compact({
        "min_size": integer(form.get("larger_min_size")),
        "quantity": integer(form.get("larger_quantity")),
    })  # fmt: skip
    return rule or None


async def _campaign(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    try:
        body = parse(CampaignCreate, compact({
            "id": form.get("id"), "name": form.get("name"), "item_id": form.get("item_id"),
            "quantity_per_household": integer(form.get("quantity_per_household")),
            "larger_households": _larger(form),
            "starts_on": form.get("starts_on"), "ends_on": form.get("ends_on"),
            "region_codes": form.get("region_codes") or [],
            "operation_id": form.get("operation_id"),
        }), t)  # fmt: skip
    except FormErrors as exc:  # shown next to the input of the rule that is wrong
        raise FormErrors({LARGER.get(k, k): v for k, v in exc.errors.items()}) from None
    return await campaigns.open_campaign(services, user, _now(), requests.campaign(body))


def convoy_lines(
    form: dict[str, Any], t: Translator
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The rows with an item or a quantity, each checked on its own so that a mistake is
    shown on its row (`quantity-2`), and those mistakes; the empty rows are left out."""
    lines: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for row in range(LINE_ROWS):
        item, quantity = form.get(f"item_id-{row}"), form.get(f"quantity-{row}")
        if not item and not quantity:
            continue
        line = compact({"item_id": item, "quantity": integer(quantity)})
        try:
            lines.append(parse(Line, line, t).model_dump())
        except FormErrors as exc:
            errors |= {f"{name}-{row}": words for name, words in exc.errors.items()}
    return lines, errors


async def _convoy(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    lines, wrong_rows = convoy_lines(form, t)
    try:
        body = parse(DeploymentCreate, compact({
            "id": form.get("form_id"), "operation_id": form.get("operation_id"),
            "from_location_id": form.get("from_location_id"),
            "to_location_id": form.get("to_location_id"), "lines": lines,
            "expected_hours": integer(form.get("expected_hours")),
        }), t)  # fmt: skip
    except FormErrors as exc:  # every mistake at once; a wrong row is no missing line
        shown = {k: v for k, v in exc.errors.items() if not (wrong_rows and k == "lines")}
        raise FormErrors(shown | wrong_rows) from None
    if wrong_rows:
        raise FormErrors(wrong_rows)
    return await deployments.plan_deployment(services, user, _now(), requests.deployment(body))


ITEM, REGIONS = Field("item_id", "choice"), Field("region_codes", "multi", required=False)
# what each form sends asks of the role (services/app/permissions.py)
FORM_PERMISSIONS = {"operation": "relief.write", "convoy": "relief.write",
                    "campaign": "campaigns.write"}  # fmt: skip
FORMS: dict[str, FormSpec] = {
    "operation": FormSpec(
        "operation.title",
        (Field("id", "text"), Field("name", "text"), Field("kind", "choice"), REGIONS),
        _operation,
    ),
    "campaign": FormSpec(
        "campaign.title",
        (
            Field("id", "text"),
            Field("name", "text"),
            ITEM,
            Field("quantity_per_household", "number"),
            Field("larger_min_size", "number", required=False),
            Field("larger_quantity", "number", required=False),
            Field("starts_on", "date"),
            Field("ends_on", "date"),
            REGIONS,
            Field("operation_id", "choice", required=False),
        ),
        _campaign,
    ),
    "convoy": FormSpec(
        "convoy.title",
        (
            Field("operation_id", "choice"),
            Field("from_location_id", "choice"),
            Field("to_location_id", "choice"),
            Field("lines", "lines", rows=LINE_ROWS),
            Field("expected_hours", "number", required=False),
        ),
        _convoy,
    ),
}


def new_convoy_id() -> str:
    return f"convoy-{uuid.uuid4().hex[:10]}"


def _places(places: list[dict[str, Any]], kind: str) -> list[tuple[str, str]]:
    return [(p["location_id"], p["name"]) for p in places if p["kind"] == kind]


def choices(ref: dict[str, Any], t: Translator) -> dict[str, list[tuple[str, str]]]:
    """Options of the coordinator's lists, from the reference data."""
    places = ref["locations"]
    operations = [
        (op["operation_id"], op["name"]) for op in ref["operations"] if not op.get("closed_on")
    ]
    return {
        "kind": [(k, t(f"operation.kind.{k}")) for k in KINDS],
        "region_codes": sorted({(p["region_code"], p["region_name"]) for p in places}),
        "item_id": [(it["item_id"], f"{it['name']} ({it['unit']})") for it in ref["items"]],
        "operation_id": [("", "—"), *operations],
        "from_location_id": _places(places, "warehouse"),
        "to_location_id": _places(places, "site"),
    }
