"""The coordinator's flagged duplicates of a campaign, each resolved with a reason: voided as
a second record of one basket, or accepted as an exception (then the site's stock gives it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from api import answers
from api.errors import ApiError, status_of
from api.permissions import grant
from api.routing import Router
from api.schemas.households import DuplicateResolution
from api.ui.forms import FormErrors, compact, parse, refusal
from api.ui.i18n import Translator
from api.ui.pages.relief_forms import new_convoy_id
from api.ui.web import Page, PageRoute, section
from projections.paging import Page as Listed
from projections.paging import Paging
from services.app import distributions, names

router = Router(prefix="/coordinator/duplicates", route_class=PageRoute, include_in_schema=False)
Coordinator = Annotated[Page, Depends(section("coordinator"))]
PAGE_ROWS = 50


@router.get("")
async def duplicates_page(
    page: Coordinator, campaign_id: str | None = None, after: str | None = None, done: str = ""
) -> Response:
    """A campaign's duplicates waiting for a coordinator, with a form on each to void it or
    accept it as an exception, with a reason."""
    return await _duplicates(page, campaign_id, after, done, FormErrors({}, 200), None)


async def _duplicates(
    page: Page,
    campaign_id: str | None,
    after: str | None,
    done: str,
    errors: FormErrors,
    failed: str | None,
) -> Response:
    assert page.user is not None
    campaigns = await names.campaigns(page.services)
    chosen = campaign_id or (campaigns[0]["campaign_id"] if campaigns else None)
    found = Listed()
    if chosen:
        found = await distributions.flagged_duplicates(
            page.services, page.user, chosen, Paging(PAGE_ROWS, after)
        )
    sites = await names.locations(page.services)
    more = f"/coordinator/duplicates?{urlencode({'campaign_id': chosen, 'after': found.next})}"
    return page.render(
        "coordinator/duplicates.html", errors.status, campaigns=campaigns, chosen=chosen,
        rows=[answers.flagged_duplicate(r) for r in found.items],
        names={s["location_id"]: s["name"] for s in sites}, more=more if found.next else None,
        done=done, errors=errors.errors, failed=failed, form_id=new_convoy_id(),
        may_resolve=grant(page.user.role, "distributions.resolve") is not None,
    )  # fmt: skip


@router.post("/{distribution_id}/resolve")
async def resolve_duplicate(page: Coordinator, distribution_id: str) -> Response:
    """Void a duplicate or accept it as an exception; a refusal comes back on its row."""
    assert page.user is not None
    form = await page.form()
    campaign_id = form.get("campaign_id") or None
    given = {"resolution": form.get("resolution"), "reason": form.get("reason")}
    try:
        body = parse(DuplicateResolution, compact(given), page.t)  # blank: a missing field
        await distributions.resolve_duplicate(
            page.services, page.user, datetime.now(UTC), distribution_id, body.resolution,
            body.reason, form.get("form_id") or new_convoy_id(),
        )  # fmt: skip
    except FormErrors as exc:
        return await _duplicates(page, campaign_id, None, "", exc, distribution_id)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        return await _duplicates(
            page, campaign_id, None, "", _refused(exc, page.t), distribution_id
        )
    where = urlencode({"campaign_id": campaign_id or "", "done": f"duplicate_{body.resolution}"})
    return RedirectResponse(f"/coordinator/duplicates?{where}", 303)


def _refused(exc: ApiError, t: Translator) -> FormErrors:
    """The refusal in words; a duplicate resolved already says how it was."""
    how = exc.details.get("resolution")
    if exc.error == "already_resolved" and how in ("void", "accept"):
        return FormErrors({"reason": t(f"refusal.already_resolved.{how}")}, status_of(exc))
    return refusal(exc, t)
