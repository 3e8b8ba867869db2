"""The distribution agent: find a household, see its eligibility, record aid, offline too.

The page's script calls the JSON endpoints below with the session cookie and the CSRF
header; they call the same functions as `/v1/households/lookup`, `/v1/distributions`,
`/v1/distributions/batch` and `/v1/campaigns/{id}/sites/{site_id}/offline`. Offline, the page
checks a card against the site's offline list (digests of card codes, nothing that names a
person); records made without a network wait in the browser, named by their card, and go
through the batch when it returns. A national ID is looked up online only, never kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api import requests
from api.consistency import parse_position
from api.errors import ApiError, NotFound, status_of
from api.routing import Router
from api.schemas.households import DistributionBatch, DistributionCreate, Lookup
from api.ui.forms import FormErrors, parse, refusal, refusal_words
from api.ui.i18n import Translator
from api.ui.web import Page, PageRoute, section
from projections.paging import Paging
from services.app import cards, distributions, households, names, offline_lists
from services.domain.households.cards import PREFIX
from services.domain.privacy import normalise_identifier

router = Router(prefix="/agent", route_class=PageRoute, include_in_schema=False)
Agent = Annotated[Page, Depends(section("agent"))]
REASONS = (
    (r"^eligible$", "eligibility.yes"),
    (r"^already received", "eligibility.received"),
    (r"^the campaign covers regions (?P<regions>.+), not (?P<region>.+)$", "eligibility.region"),
    (r"^the campaign is for households with (?P<groups>.+)$", "eligibility.groups"),
    (r"^the campaign is for a precarity score of at most (?P<limit>.+)$", "eligibility.score"),
)


class LookupAsked(BaseModel):
    national_id: str = Field(min_length=1, max_length=32)
    campaign_id: str = Field(min_length=1, max_length=64)


class CardAsked(BaseModel):
    card: str = Field(
        min_length=1, max_length=128, description="A card's code or its household id."
    )
    campaign_id: str = Field(min_length=1, max_length=64)


class SyncAsked(BaseModel):
    records: list[dict[str, Any]] = Field(min_length=1, max_length=500)


def reason_words(reason: str, t: Translator) -> str:
    """The domain's reason in the page's language (as given when no translation fits)."""
    for pattern, key in REASONS:
        found = re.match(pattern, reason)
        if found:
            return t(key, **found.groupdict())
    return reason


@router.get("")
async def agent_page(page: Agent) -> Response:
    """Lookup, verdict, one-tap record and the offline queue; cached by the service worker."""
    assert page.user is not None
    campaigns = await names.campaigns(page.services)
    locations = await names.locations(page.services)
    sites = [loc for loc in locations if loc["kind"] == "site"]
    if page.user.role == "agent":
        sites = [s for s in sites if s["location_id"] in page.user.sites]
    return page.render("agent.html", campaigns=campaigns, sites=sites)


@router.post("/lookup")
async def lookup(page: Agent, asked: LookupAsked) -> Response:
    """The household behind a national ID and its eligibility for the campaign."""
    assert page.user is not None
    page.check_header()
    services, user, t = page.services, page.user, page.t
    try:  # typed with spaces or dashes, or scanned: the same CIN
        asked_for = parse(Lookup, {"national_id": normalise_identifier(asked.national_id)}, t)
    except FormErrors as exc:
        words = " ".join(exc.errors.values())
        return JSONResponse({"found": False, "text": words}, status_code=422)
    try:
        found = await households.lookup_household(services, user, asked_for.national_id)
    except NotFound:
        return JSONResponse({"found": False, "text": t("agent.not_found")})
    household_id = found["household_id"]
    verdict = await distributions.household_eligibility(
        services, user, household_id, asked.campaign_id
    )
    personal = found["personal"]
    return JSONResponse({
        "found": True, "household_id": household_id, "size": found["size"],
        "head_name": personal.get("head_name") if personal else None,
        "eligible": verdict["eligible"], "remaining": verdict["remaining"],
        "text": t("agent.eligible") if verdict["eligible"] else t("agent.not_eligible"),
        "reason": reason_words(verdict["reason"], t),
    })  # fmt: skip


@router.post("/card")
async def check_card(page: Agent, asked: CardAsked) -> Response:
    """The household a card (its code, or the household id printed on it) names, and its
    eligibility for the campaign; a replaced or unknown card is refused in plain words."""
    assert page.user is not None
    page.check_header()
    text = asked.card.strip()
    try:
        household_id = (
            (await cards.card_of(page.services, text, None)).household_id
            if text.upper().startswith(PREFIX + ":")
            else (await cards.reachable(page.services, page.user, text))["household_id"]
        )
        verdict = await distributions.household_eligibility(
            page.services, page.user, household_id, asked.campaign_id
        )
    except ApiError as exc:
        words = " ".join(refusal(exc, page.t).errors.values())
        return JSONResponse({"found": False, "text": words}, status_code=status_of(exc))
    return JSONResponse({
        "found": True, "household_id": household_id, "eligible": verdict["eligible"],
        "remaining": verdict["remaining"], "reason": reason_words(verdict["reason"], page.t),
        "text": page.t("agent.eligible") if verdict["eligible"] else page.t("agent.not_eligible"),
    })  # fmt: skip


MAX_WAITED = 64  # positions an offline list waits for: the furthest per partition synced


@router.get("/offline-list")
async def offline_list(
    page: Agent,
    campaign_id: Annotated[str, Query(max_length=64)],
    site_id: Annotated[str, Query(max_length=64)],
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    after: Annotated[list[str] | None, Query(max_length=MAX_WAITED)] = None,
) -> Response:
    """A page of the site's offline list for the campaign (the agent's own sites only), once
    the lists hold the records written `after` (each a position a sync answered, bounded)."""
    assert page.user is not None
    paging = Paging(limit=1_000, cursor=cursor or None)
    try:
        written = [parse_position(p) for p in after or ()]
        due, found = await offline_lists.offline_list(
            page.services, page.user, campaign_id, site_id, paging, written
        )
    except ApiError as exc:
        return JSONResponse(exc.body(), status_code=status_of(exc))
    return JSONResponse({
        "campaign_id": campaign_id, "site_id": site_id, "quantity_per_household": due,
        "items": found.items, "next": found.next,
    })  # fmt: skip


@router.post("/record")
async def record(page: Agent, asked: SyncAsked) -> Response:
    """One distribution while online: accepted, or refused in plain words."""
    assert page.user is not None
    page.check_header()
    try:
        body = parse(DistributionCreate, asked.records[0], page.t)
        given = requests.distribution(body)
        await distributions.record_distribution(page.services, page.user, datetime.now(UTC), given)
    except FormErrors as exc:
        return JSONResponse({"status": "rejected", "reason": " ".join(exc.errors.values())})
    except ApiError as exc:
        words = " ".join(refusal(exc, page.t).errors.values())
        return JSONResponse({"status": "refused", "reason": words}, status_code=status_of(exc))
    return JSONResponse({"status": "accepted", "reason": page.t("agent.recorded")})


@router.post("/sync")
async def sync(page: Agent, asked: SyncAsked) -> Response:
    """Records captured offline, through the batch sync: each one's result."""
    assert page.user is not None
    page.check_header()
    batch = DistributionBatch(records=asked.records)
    answer = await distributions.sync_offline_distributions(
        page.services, page.user, datetime.now(UTC), requests.offline_records(batch.records)
    )
    results = [
        {"id": r.id, "status": r.status, "position": r.position, "text": page.t(f"sync.{r.status}"),
         "reason": r.reason and refusal_words(r.error, dict(r.details), r.reason, page.t)}
        for r in answer
    ]  # fmt: skip
    return JSONResponse({"results": results})
