"""Reports as HXL-tagged CSV: human headers on the first row, hashtags on the second."""

from __future__ import annotations

from fastapi.responses import Response

from api.answers import CSVResponse, hxl_csv
from api.deps import CurrentUser, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from services.app import iati, reports, social_watch

router = Router(prefix="/v1/reports", tags=["reports"])


@router.get("/4w.csv", response_class=CSVResponse)
async def four_w(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    operation_id: str | None = None,
    campaign_id: str | None = None,
) -> Response:
    """Who does what where when, for an operation or a campaign (HXL)."""
    return hxl_csv(await reports.four_w(services, user, operation_id, campaign_id))


@router.get("/distributions.csv", response_class=CSVResponse)
async def distributions_report(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, campaign_id: str | None = None
) -> Response:
    """Households reached and quantities per campaign, site and day (HXL)."""
    return hxl_csv(await reports.distributions_report(services, user, campaign_id))


@router.get("/stock.csv", response_class=CSVResponse)
async def stock_report(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> Response:
    """Stock on hand per location, item and lot (HXL)."""
    return hxl_csv(await reports.stock_report(services, user))


@router.get("/social-watch.csv", response_class=CSVResponse)
async def social_watch_report(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, campaign_id: str | None = None
) -> Response:
    """The social watch per province and target group (HXL); counts under 5 left empty."""
    table = await social_watch.social_watch_report(services, user, campaign_id)
    return hxl_csv(table)


@router.get("/iati.csv", response_class=CSVResponse)
async def iati_report(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, donor_id: str | None = None
) -> Response:
    """A donor's transactions, IATI-style: commitments (11), incoming funds and gifts in kind
    (1), expenditures (4); the second row names each column's IATI element (a donor: its own)."""
    return hxl_csv(await iati.iati_transactions(services, user, donor_id))
