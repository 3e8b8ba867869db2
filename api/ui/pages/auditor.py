"""The auditor: the history of any location, household, campaign, convoy, donation, user or
item, in order, with who, when, in which flow, and what each event said."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Response

from api.ui.web import Page, PageRoute, section
from projections.history import KINDS
from projections.paging import Paging
from services.app import history

router = APIRouter(prefix="/auditor", route_class=PageRoute, include_in_schema=False)
Auditor = Annotated[Page, Depends(section("auditor"))]
PAGE_ROWS = 50


@router.get("")
async def history_page(
    page: Auditor, kind: str = "location", id: str = "", after: str | None = None
) -> Response:
    """A subject's history, 50 events at a time, with a link to the next."""
    assert page.user is not None
    found = None
    more = None
    if id and kind in KINDS:
        found = await history.history(page.services, page.user, kind, id, Paging(PAGE_ROWS, after))
        if found.next:
            more = "/auditor?" + urlencode({"kind": kind, "id": id, "after": found.next})
    return page.render(
        "auditor/history.html", kinds=KINDS, kind=kind, subject_id=id,
        entries=found.items if found else None, more=more,
    )  # fmt: skip
