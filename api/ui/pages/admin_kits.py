"""The admin's kit form: a kit and its components, one row each, some rows left blank.

Errors of a row are shown next to it (`component.N`), errors about the composition as a
whole above the rows (`components`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from api.auth import User
from api.deps import Services
from api.errors import ApiError
from api.schemas.kits import CompositionCreate
from api.ui.forms import FormErrors, compact, integer, parse, refusal
from api.ui.i18n import Translator
from api.ui.pages.admin_forms import new_form_id
from api.ui.web import Page
from events.kits import KitComponent
from projections.paging import EVERYTHING
from services.app import kits, reference

ROWS = 12  # a Ramadan basket has nine components; a longer kit gets more rows when changed


def values_of(kit_item_id: str, components: list[dict[str, Any]]) -> dict[str, Any]:
    """The form filled with a composition (blank rows after it)."""
    rows = [{"item_id": c["item_id"], "quantity": str(c["quantity"])} for c in components]
    blank = max(ROWS - len(rows), 3)
    rows += [{"item_id": "", "quantity": ""} for _ in range(blank)]
    return {"kit_item_id": kit_item_id, "rows": rows, "form_id": new_form_id()}


async def context(
    page: Page, values: dict[str, Any], errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the kit form's template shows: the values, the errors, the items to choose."""
    assert page.user is not None
    goods = (await reference.list_items(page.services, page.user, EVERYTHING)).items
    options = [(i["item_id"], f"{i['name']} ({i['unit']})") for i in goods]
    return {"values": values, "errors": errors or {}, "items": options}


def _rows(form: dict[str, str]) -> list[dict[str, str]]:
    """Every row of the posted form, blank ones included, in order."""
    count = sum(1 for key in form if key.startswith("item_id."))
    return [
        {"item_id": form.get(f"item_id.{n}", ""), "quantity": form.get(f"quantity.{n}", "")}
        for n in range(count)
    ]


def asked(form: dict[str, str], t: Translator) -> tuple[str, list[KitComponent]]:
    """The kit and its components as posted, or FormErrors naming the rows."""
    rows = _rows(form)
    filled = [n for n, row in enumerate(rows) if row["item_id"] or row["quantity"]]
    errors: dict[str, str] = {}
    kit_item_id = form.get("kit_item_id", "")
    if not kit_item_id:
        errors["kit_item_id"] = t("form.required")
    if not filled:
        errors["components"] = t("admin.kit.no_component")
        raise FormErrors(errors)
    lines = [compact({"item_id": rows[n]["item_id"],
                      "quantity": integer(rows[n]["quantity"])}) for n in filled]  # fmt: skip
    try:
        body = parse(CompositionCreate, {"components": lines}, t)
    except FormErrors as exc:
        for where, message in exc.errors.items():
            errors.setdefault(_row_of(where, filled), message)
    if errors:
        raise FormErrors(errors)
    return kit_item_id, [KitComponent(**c.model_dump()) for c in body.components]


def _row_of(where: str, filled: list[int]) -> str:
    """`components.1.quantity` (the second row filled) as the form's row it came from."""
    found = re.match(r"components\.(\d+)", where)
    return f"component.{filled[int(found.group(1))]}" if found else "components"


async def send(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    kit_item_id, components = asked(form, t)
    command_id = form.get("form_id") or new_form_id()
    now = datetime.now(UTC)
    return await kits.set_composition(services, user, now, kit_item_id, components, command_id)


def refused(exc: ApiError, t: Translator) -> FormErrors:
    """The use case's refusal next to the kit, or above the components."""
    error = refusal(exc, t)
    shown = {_whole(where): message for where, message in error.errors.items()}
    return FormErrors(shown, error.status)


def _whole(where: str) -> str:
    """`components.item_id` (whichever row) is about the components."""
    return "components" if where.startswith("components") else where


async def again(page: Page, form: dict[str, str], errors: FormErrors) -> Any:
    """The form as posted (with a new id: a corrected form is a new request), and its errors."""
    values = {"kit_item_id": form.get("kit_item_id", ""), "rows": _rows(form),
              "form_id": new_form_id()}  # fmt: skip
    shown = await context(page, values, errors.errors)
    return page.render("admin/kit_form.html", errors.status, **shown)
