"""Reports as HXL-tagged CSV: human headers on the first row, hashtags on the second."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import authorize
from api.deps import CurrentUser, ServicesDep
from api.errors import Invalid, NotFound
from api.reads import ReadAfter
from projections import registry_queries, relief_queries, report_queries

router = APIRouter(prefix="/v1/reports", tags=["reports"])

FOUR_W = (
    ("Organisation", "#org"), ("Sector", "#sector"), ("Activity", "#activity"),
    ("Region", "#adm1+name"), ("Region code", "#adm1+code"), ("Province", "#adm2+name"),
    ("Province code", "#adm2+code"), ("Start", "#date+start"), ("End", "#date+end"),
    ("Households reached", "#reached+hh"), ("Item", "#item+name"), ("Quantity", "#value"),
)  # fmt: skip
DISTRIBUTIONS = (
    ("Campaign", "#activity+code"), ("Region code", "#adm1+code"), ("Region", "#adm1+name"),
    ("Province code", "#adm2+code"), ("Province", "#adm2+name"), ("Site", "#loc+code"),
    ("Date", "#date"), ("Households reached", "#reached+hh"), ("Item", "#item+name"),
    ("Quantity", "#value"),
)  # fmt: skip
STOCK = (
    ("Location", "#loc+name"), ("Location code", "#loc+code"), ("Region", "#adm1+name"),
    ("Region code", "#adm1+code"), ("Item", "#item+name"), ("Lot", "#item+batch"),
    ("Expiry", "#date+expiry"), ("On hand", "#value"),
)  # fmt: skip


class CSVResponse(Response):
    media_type = "text/csv"


def hxl_csv(
    columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]], name: str
) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in columns])
    writer.writerow([tag for _, tag in columns])
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return CSVResponse(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _four_w(services: Any, operation_id: str | None, campaign_id: str | None) -> list[list[Any]]:
    engine, org = services.engine, services.settings.organisation
    regions, provinces = report_queries.area_names(engine)
    names = report_queries.item_names(engine)
    wanted = (
        [campaign_id] if campaign_id else report_queries.campaigns_of(engine, operation_id or "")
    )
    rows = [
        [
            org,
            "Food Security",
            r["name"],
            regions.get(r["region_code"], ""),
            r["region_code"],
            provinces.get(r["province_code"] or "", ""),
            r["province_code"],
            r["starts_on"],
            r["ends_on"],
            r["households"],
            names.get(r["item_id"], r["item_id"]),
            r["quantity"],
        ]
        for r in report_queries.campaign_reach(engine, wanted)
    ]
    for convoy in report_queries.delivered_convoys(engine, operation_id) if operation_id else []:
        for line in convoy["delivered"] or []:
            rows.append(
                [
                    org,
                    "Emergency Relief",
                    f"Convoy {convoy['deployment_id']}",
                    regions.get(convoy["region_code"], ""),
                    convoy["region_code"],
                    provinces.get(convoy["province_code"] or "", ""),
                    convoy["province_code"],
                    convoy["dispatched_at"].date(),
                    convoy["delivered_at"].date(),
                    0,
                    names.get(line["item_id"], line["item_id"]),
                    line["quantity"],
                ]
            )
    return rows


@router.get("/4w.csv", response_class=CSVResponse)
async def four_w(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    operation_id: str | None = None,
    campaign_id: str | None = None,
) -> Response:
    """Who does what where when, for an operation or a campaign (HXL)."""
    authorize(user, "reports.read")
    if not (operation_id or campaign_id):
        raise Invalid("give operation_id or campaign_id", field="operation_id")
    if campaign_id and not await run_in_threadpool(
        registry_queries.campaign, services.engine, campaign_id
    ):
        raise NotFound(f"no campaign {campaign_id!r}", error="unknown_campaign")
    if operation_id and not await run_in_threadpool(
        relief_queries.operation, services.engine, operation_id
    ):
        raise NotFound(f"no operation {operation_id!r}", error="unknown_operation")
    rows = await run_in_threadpool(_four_w, services, operation_id, campaign_id)
    return hxl_csv(FOUR_W, rows, "4w.csv")


@router.get("/distributions.csv", response_class=CSVResponse)
async def distributions_report(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, campaign_id: str | None = None
) -> Response:
    """Households reached and quantities per campaign, site and day (HXL)."""
    authorize(user, "reports.read")

    def rows() -> list[list[Any]]:
        regions, provinces = report_queries.area_names(services.engine)
        names = report_queries.item_names(services.engine)
        return [
            [
                r["campaign_id"],
                r["region_code"],
                regions.get(r["region_code"], ""),
                r["province_code"],
                provinces.get(r["province_code"] or "", ""),
                r["site_id"],
                r["day"],
                r["households"],
                names.get(r["item_id"], r["item_id"]),
                r["quantity"],
            ]
            for r in report_queries.distribution_lines(services.engine, campaign_id)
        ]

    return hxl_csv(DISTRIBUTIONS, await run_in_threadpool(rows), "distributions.csv")


@router.get("/stock.csv", response_class=CSVResponse)
async def stock_report(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> Response:
    """Stock on hand per location, item and lot (HXL)."""
    authorize(user, "reports.read")

    def rows() -> list[list[Any]]:
        names = report_queries.item_names(services.engine)
        return [
            [
                r["location_name"],
                r["location_id"],
                r["region_name"],
                r["region_code"],
                names.get(r["item_id"], r["item_id"]),
                r["lot"],
                r["expires_on"],
                r["on_hand"],
            ]
            for r in report_queries.stock_lines(services.engine)
        ]

    return hxl_csv(STOCK, await run_in_threadpool(rows), "stock.csv")
