"""The operator's movements, kit assembly among them, as forms: the fields each shows and
the API call it makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from api import requests
from api.auth import User
from api.deps import Services
from api.schemas.kits import AssemblyCreate
from api.schemas.stock import AdjustmentCreate, CountCreate, ReceiptInUnits, TransferCreate
from api.ui.forms import Field, FormSpec, compact, integer, parse
from api.ui.i18n import Translator
from services.app import kits, stock
from services.app.kits import Assembly

REASONS = ("damaged", "expired", "lost", "stolen", "found")


def _now() -> datetime:
    return datetime.now(UTC)


async def _receipt(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    body = parse(ReceiptInUnits, compact({
        "id": form.get("form_id"), "location_id": form.get("location_id"),
        "item_id": form.get("item_id"), "quantity": integer(form.get("quantity")),
        "lot": form.get("lot"), "expires_on": form.get("expires_on"),
    }), t)  # fmt: skip
    command = requests.receipt(body, body.id or new_form_id(), body.quantity)
    return await stock.receive_stock(services, user, _now(), command)


async def _transfer(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    line = compact({"item_id": form.get("item_id"), "quantity": integer(form.get("quantity")),
                    "lot": form.get("lot")})  # fmt: skip
    body = parse(TransferCreate, compact({
        "id": form.get("form_id"), "from_location_id": form.get("location_id"),
        "to_location_id": form.get("to_location_id"), "lines": [line],
    }), t)  # fmt: skip
    command = requests.transfer(body, body.id or new_form_id())
    return await stock.dispatch_transfer(services, user, _now(), command)


async def _adjustment(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    body = parse(AdjustmentCreate, compact({
        "id": form.get("form_id"), "location_id": form.get("location_id"),
        "item_id": form.get("item_id"), "quantity": integer(form.get("quantity")),
        "lot": form.get("lot"), "reason": form.get("reason"),
    }), t)  # fmt: skip
    command = requests.adjustment(body, body.id or new_form_id())
    return await stock.adjust_stock(services, user, _now(), command)


async def _count(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    body = parse(CountCreate, compact({
        "id": form.get("form_id"), "location_id": form.get("location_id"),
        "item_id": form.get("item_id"), "lot": form.get("lot"),
        "counted_quantity": integer(form.get("counted_quantity")),
    }), t)  # fmt: skip
    command = requests.count(body, body.id or new_form_id())
    return await stock.count_stock(services, user, _now(), command)


def _kits_asked(form: dict[str, str], t: Translator) -> Assembly:
    body = parse(AssemblyCreate, compact({
        "id": form.get("form_id"), "location_id": form.get("location_id"),
        "kit_item_id": form.get("kit_item_id"), "quantity": integer(form.get("quantity")),
        "lot": form.get("lot"),
    }), t)  # fmt: skip
    return Assembly(body.id or new_form_id(), **body.model_dump(exclude={"id"}))


async def _assembly(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    return await kits.assemble_kits(services, user, _now(), _kits_asked(form, t))


async def assembly_preview(
    form: dict[str, str], services: Services, user: User, t: Translator
) -> dict[str, Any]:
    """The component lots the assembly on the form would take now; nothing is recorded."""
    asked = _kits_asked(form, t)
    today = _now().date()
    return await kits.assembly_preview(
        services, user, today, asked.location_id, asked.kit_item_id, asked.quantity
    )


async def _disassembly(form: dict[str, str], services: Services, user: User, t: Translator) -> Any:
    return await kits.disassemble_kits(services, user, _now(), _kits_asked(form, t))


MINE, ITEM = Field("location_id", "choice"), Field("item_id", "choice")
KIT = Field("kit_item_id", "choice")
LOT = Field("lot", "text", required=False)
MOVEMENTS: dict[str, FormSpec] = {
    "receipt": FormSpec(
        "receipt.title",
        (MINE, ITEM, Field("quantity", "number"), LOT, Field("expires_on", "date", False)),
        _receipt,
    ),
    "transfer": FormSpec(
        "transfer.title",
        (MINE, Field("to_location_id", "choice"), ITEM, Field("quantity", "number"), LOT),
        _transfer,
    ),
    "adjustment": FormSpec(
        "adjustment.title",
        (MINE, ITEM, LOT, Field("quantity", "number"), Field("reason", "choice")),
        _adjustment,
    ),
    "count": FormSpec(
        "count.title", (MINE, ITEM, LOT, Field("counted_quantity", "number")), _count
    ),
    "assembly": FormSpec(
        "assembly.title", (MINE, KIT, Field("quantity", "number"), LOT), _assembly
    ),
    "disassembly": FormSpec(
        "disassembly.title", (MINE, KIT, Field("quantity", "number"), LOT), _disassembly
    ),
}


def new_form_id() -> str:
    """The id a form's movement will carry: submitting twice records it once."""
    return str(uuid.uuid4())


def choices(ref: dict[str, Any], t: Translator) -> dict[str, list[tuple[str, str]]]:
    """The options of the movement forms' lists, in the page's language."""
    return {
        "location_id": [(loc["location_id"], loc["name"]) for loc in ref["own"]],
        "to_location_id": [("", "—"), *((p["location_id"], p["name"]) for p in ref["locations"])],
        "item_id": [(it["item_id"], f"{it['name']} ({it['unit']})") for it in ref["items"]],
        "reason": [(r, t(f"reason.{r}")) for r in REASONS],
        "kit_item_id": [
            (k["kit_item_id"], ref["names"].get(k["kit_item_id"], k["kit_item_id"]))
            for k in ref.get("kits", [])
        ],
    }
