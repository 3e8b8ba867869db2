"""Erasing a household's personal data, as the person asked: found by household id or
national ID (posted, so the ID never sits in a URL or an access log), confirmed by typing the
household id, with a reason chosen from a list; recorded as an event with its actor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, get_args

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from api.errors import ApiError, NotFound, status_of
from api.routing import Router
from api.ui.forms import refusal
from api.ui.web import Page, PageRoute, section
from events.households import ErasureReason
from services.app import households

router = Router(prefix="/admin", route_class=PageRoute, include_in_schema=False)
Admin = Annotated[Page, Depends(section("admin"))]
REASONS: tuple[str, ...] = get_args(ErasureReason)


@router.get("/erasure")
async def erasure_page(page: Admin, done: str = "") -> Response:
    """The search form (and, after an erasure, its confirmation)."""
    return _render(page, done=done)


@router.post("/erasure/find")
async def find(page: Admin) -> Response:
    """The household the erasure would touch: anonymous facts only."""
    assert page.user is not None
    asked = (await page.form()).get("asked", "")[:64]
    if not asked:
        return _render(page, {"asked": page.t("form.required")}, 422)
    try:
        found = await households.household_to_erase(page.services, page.user, asked)
    except NotFound:
        return _render(page, {"asked": page.t("erasure.not_found")}, 404)
    return _render(page, found=found)


@router.post("/erasure")
async def erase(page: Admin) -> Response:
    """Erase for good once the household id is typed again and a reason chosen."""
    assert page.user is not None
    form = await page.form()
    household_id = form.get("household_id", "")
    errors = {}
    if form.get("reason") not in REASONS:
        errors["reason"] = page.t("form.choice")
    if form.get("confirm") != household_id:
        errors["confirm"] = page.t("erasure.confirm_mismatch")
    try:
        found = await households.household_to_erase(page.services, page.user, household_id)
        if errors:
            return _render(page, errors, 422, found=found)
        reason: Any = form["reason"]
        now = datetime.now(UTC)
        await households.erase_personal_data(page.services, page.user, now, household_id, reason)
    except NotFound:
        return _render(page, {"asked": page.t("erasure.not_found")}, 404)
    except ApiError as exc:
        if status_of(exc) == 403:
            raise
        return _render(page, refusal(exc, page.t).errors, status_of(exc))
    return RedirectResponse("/admin/erasure?done=erased", status_code=303)


def _render(
    page: Page,
    errors: dict[str, str] | None = None,
    status: int = 200,
    found: dict[str, Any] | None = None,
    done: str = "",
) -> Response:
    return page.render(
        "admin/erasure.html", status, found=found, reasons=REASONS, errors=errors or {},
        done=f"erasure_{done}" if done else "",
    )  # fmt: skip
