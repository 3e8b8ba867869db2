"""A household's card, printed: its QR code, its number and the household's area and size,
never a name, an identifier or a phone (a lost card names nobody); issued, or replaced when
lost, from the same page (the old card then stops working)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import qrcode
from fastapi import Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

from api.routing import Router
from api.ui.web import Page, PageRoute, SignedIn
from services.app import cards, slots

router = Router(prefix="/ui/households", route_class=PageRoute, include_in_schema=False)
REQUEST_ID = re.compile(r"^[0-9a-f-]{36}$")  # the form's own id, so a double submit is one


def qr_svg(code: str) -> Markup:
    """The code as an inline SVG QR code (error correction M: a worn card still scans)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(code)
    svg = qr.make_image(image_factory=SvgPathImage).to_string(encoding="unicode")
    return Markup(svg)  # drawn here from our own code: no markup anyone typed


@router.get("/{household_id}/card")
async def card_page(household_id: str, page: SignedIn, issued: int = 0) -> Response:
    """The household's card to print (and the button that issues or replaces it)."""
    assert page.user is not None
    sheet = await cards.card_sheet(page.services, page.user, household_id, max(issued, 0))
    sheet["slots"] = await slots.household_slots(page.services, page.user, household_id)
    return _render(page, sheet, done="card_issued" if issued else "")


@router.get("/{household_id}/ticket")
async def ticket_page(household_id: str, page: SignedIn) -> Response:
    """The household's appointments to print and hand over: campaign, site, day and hour."""
    assert page.user is not None
    sheet = await cards.card_sheet(page.services, page.user, household_id)
    found = await slots.household_slots(page.services, page.user, household_id)
    return page.render("ticket.html", sheet=sheet, slots=found)


@router.post("/{household_id}/card")
async def issue_card(household_id: str, page: SignedIn) -> Response:
    """Issue the first card, or replace the current one once the agent confirmed that it
    stops working."""
    assert page.user is not None
    form = await page.form()
    sheet = await cards.card_sheet(page.services, page.user, household_id)
    sheet["slots"] = await slots.household_slots(page.services, page.user, household_id)
    if sheet["card"] is not None and form.get("confirm") != "replace":
        return _render(page, sheet, {"confirm": page.t("household_card.confirm_required")}, 422)
    request_id = form.get("request_id", "")
    if not REQUEST_ID.match(request_id):
        request_id = str(uuid.uuid4())
    client_id = f"{household_id}:{request_id}"
    now = datetime.now(UTC)
    card, _ = await cards.issue_card(page.services, page.user, now, household_id, client_id)
    target = f"/ui/households/{household_id}/card?issued={card['card_number']}"
    return RedirectResponse(target, status_code=303)


def _render(
    page: Page,
    sheet: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    card = sheet["card"]
    return page.render(
        "card.html", status, sheet=sheet, card=card, errors=errors or {}, done=done,
        qr=qr_svg(card["code"]) if card else None, request_id=str(uuid.uuid4()),
    )  # fmt: skip
