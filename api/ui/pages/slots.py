"""A site's appointments in a campaign: the slot under way (who it expects, served, not come
yet) for the site's agents, the plan hour by hour (expected, served, out of slot, served
against the safe capacity) for them and the coordinators, who set the plan here."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse
from pydantic import Field, ValidationInfo, field_validator

from api.errors import ApiError
from api.routing import Router
from api.schemas.common import Body
from api.schemas.dates import LATEST, RANGE, Day
from api.schemas.slots import DayAdding, DayClosing, SlotMove, SlotPlanPut
from api.ui.forms import FormErrors, compact, integer, parse, refusal
from api.ui.web import Page, PageRoute, section
from services.app import reference, slots
from services.app.permissions import grant
from services.app.slots import SlotChange
from services.domain.slots.commands import AddSlotDay, CloseSiteDay, MoveSlot

router = Router(prefix="/sites", route_class=PageRoute, include_in_schema=False)
Sites = Annotated[Page, Depends(section("sites"))]
FIELDS = ("first_day", "day_count", "opens_at", "closes_at", "per_hour")


class PlanForm(Body):
    """The plan as the form asks it: consecutive days from the first."""

    first_day: Day
    day_count: int = Field(ge=1, le=60)

    @field_validator("day_count")
    @classmethod
    def _last_day_in_calendar(cls, count: int, info: ValidationInfo) -> int:
        first = info.data.get("first_day")
        if first is not None and first > LATEST - timedelta(days=count - 1):
            raise ValueError(f"the last day must fall {RANGE}")
        return count


@router.get("/{campaign_id}/{site_id}/slots")
async def slots_page(page: Sites, campaign_id: str, site_id: str, done: str = "") -> Response:
    """The slot under way and the plan, hour by hour (and the form to set it)."""
    return await _render(page, campaign_id, site_id, done=done)


@router.post("/{campaign_id}/{site_id}/slots")
async def set_plan(page: Sites, campaign_id: str, site_id: str) -> Response:
    """Set the plan from the form; its mistakes and refusals shown next to their fields."""
    assert page.user is not None
    values = await page.form()
    try:
        days, plan = _plan(values, page)
        hours = (plan.opens_at, plan.closes_at)
        now = datetime.now(UTC)
        await slots.set_slot_plan(page.services, page.user, now, campaign_id, site_id, days,
                                  hours, plan.per_hour, str(uuid.uuid4()))  # fmt: skip
    except FormErrors as exc:
        return await _render(page, campaign_id, site_id, values, exc.errors, exc.status)
    except ApiError as exc:
        failed = refusal(exc, page.t)
        return await _render(page, campaign_id, site_id, values, failed.errors, failed.status)
    target = f"/sites/{campaign_id}/{site_id}/slots?done=slot_plan"
    return RedirectResponse(target, status_code=303)


CHANGES: dict[str, tuple[type[Body], type[SlotChange], tuple[str, ...], str]] = {
    "move": (SlotMove, MoveSlot, ("household_id", "day", "hour"), "slot_move"),
    "close": (DayClosing, CloseSiteDay, ("day", "reason"), "slot_day_closed"),
    "add": (DayAdding, AddSlotDay, ("day",), "slot_day_added"),
}


@router.post("/{campaign_id}/{site_id}/slots/{change}")
async def change_plan(page: Sites, campaign_id: str, site_id: str, change: str) -> Response:
    """Move a household's slot, close a day (its households moved to the days after) or add
    one, from the plan's page; a refusal (a full slot, no room) shown above the forms."""
    assert page.user is not None
    if change not in CHANGES:
        return Response(status_code=404)
    body_type, command_type, names, done = CHANGES[change]
    values = await page.form()
    asked = {n: integer(values.get(n)) if n == "hour" else values.get(n) for n in names}
    try:
        body: Body = parse(body_type, compact(asked), page.t)
        command = command_type(campaign_id=campaign_id, site_id=site_id, **body.model_dump())
        command_id = values.get("form_id") or str(uuid.uuid4())
        await slots.change_slots(page.services, page.user, datetime.now(UTC), command, command_id)
    except FormErrors as exc:
        return await _render(page, campaign_id, site_id, errors=_about(change, exc.errors),
                             status=exc.status)  # fmt: skip
    except ApiError as exc:
        failed = refusal(exc, page.t)
        return await _render(page, campaign_id, site_id, errors=_about(change, failed.errors),
                             status=failed.status)  # fmt: skip
    return RedirectResponse(f"/sites/{campaign_id}/{site_id}/slots?done={done}", 303)


def _about(change: str, errors: dict[str, str]) -> dict[str, str]:
    """A change's mistakes, keyed to its own form's fields."""
    return {f"{change}-{name}" if name else change: words for name, words in errors.items()}


def _plan(values: dict[str, Any], page: Page) -> tuple[list[date], SlotPlanPut]:
    asked = {"first_day": values.get("first_day"), "day_count": integer(values.get("day_count"))}
    span = parse(PlanForm, compact(asked), page.t)
    days = [span.first_day + timedelta(days=n) for n in range(span.day_count)]
    plan = parse(SlotPlanPut, compact({
        "days": [str(d) for d in days], "opens_at": integer(values.get("opens_at")),
        "closes_at": integer(values.get("closes_at")),
        "per_hour": integer(values.get("per_hour")),
    }), page.t)  # fmt: skip
    return days, plan


async def _render(
    page: Page,
    campaign_id: str,
    site_id: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    assert page.user is not None
    try:
        plan: dict[str, Any] | None = await slots.slot_plan(
            page.services, page.user, campaign_id, site_id
        )
    except ApiError as exc:
        if exc.body()["error"] != "no_slot_plan":
            raise
        plan = None
    now = await slots.slot_now(page.services, page.user, campaign_id, site_id, datetime.now(UTC))
    places = (await reference.list_locations(page.services, page.user)).items
    name = next((p["name"] for p in places if p["location_id"] == site_id), site_id)
    return page.render(
        "sites/slots.html", status, campaign_id=campaign_id, site_id=site_id, site_name=name,
        plan=plan, now=now, done=done, errors=errors or {}, values=values or _defaults(plan),
        can_plan=grant(page.user.role, "slots.write") is not None, fields=FIELDS,
        form_id=str(uuid.uuid4()),
    )  # fmt: skip


def _defaults(plan: dict[str, Any] | None) -> dict[str, Any]:
    """The form filled with the plan as it stands (or a morning of 40 households an hour)."""
    if plan is None:
        return {"day_count": 1, "opens_at": 9, "closes_at": 13, "per_hour": 40}
    days = plan["days"]
    return {"first_day": days[0] if days else "", "day_count": len(days) or 1,
            "opens_at": plan["opens_at"], "closes_at": plan["closes_at"],
            "per_hour": plan["per_hour"]}  # fmt: skip
