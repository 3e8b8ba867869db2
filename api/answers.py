"""The application layer's results as the API answers them (routes and pages alike)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from fastapi import Response
from fastapi.responses import StreamingResponse

from api.schemas.households import (
    AreaCoverage,
    CampaignPublic,
    Coverage,
    Eligibility,
    FlaggedDuplicate,
    GroupCoverage,
    HouseholdPublic,
    PersonalFields,
    ReceivedAid,
)
from api.schemas.reference import ItemPublic, LocationPublic
from api.schemas.relief import DeploymentPublic, DonorTrace
from api.schemas.requisitions import RequisitionPublic
from api.schemas.stock import Alert, CardLine, Decision, InventoryRow, TransferPublic
from api.schemas.users import UserPublic
from services.app.reports import Table, spreadsheet_cell
from services.app.sending import Outcome

Row = dict[str, Any]


def decision(outcome: Outcome, response: Response | None = None) -> Decision:
    """A write's answer: 201 as the route declares, 200 when it only repeated an earlier one."""
    if response is not None and outcome.repeated:
        response.status_code = 200
    return Decision(id=outcome.id, events=outcome.events, position=outcome.position)


def repeated(outcome: Outcome, response: Response) -> None:
    """Answer 200 rather than 201 when the write recorded nothing new."""
    if outcome.repeated:
        response.status_code = 200


def _public(row: Row, key: str) -> dict[str, Any]:
    return {"id": row[key], **{k: v for k, v in row.items() if k != key}}


def location_public(row: Row) -> LocationPublic:
    return LocationPublic(**_public(row, "location_id"))


def item_public(row: Row) -> ItemPublic:
    return ItemPublic(**_public(row, "item_id"))


def campaign_public(row: Row, position: str | None = None) -> CampaignPublic:
    return CampaignPublic(position=position, **_public(row, "campaign_id"))


def deployment_public(row: Row) -> DeploymentPublic:
    return DeploymentPublic(**_public(row, "deployment_id"))


def transfer_public(row: Row) -> TransferPublic:
    return TransferPublic(**_public(row, "transfer_id"))


def requisition_public(row: Row) -> RequisitionPublic:
    return RequisitionPublic(**_public(row, "requisition_id"))


def user_public(row: Row) -> UserPublic:
    """A user as listed: no token or password hash was ever read (SQLite says 0/1)."""
    return UserPublic(**row | {"has_password": bool(row["has_password"])})


def inventory_row(row: Row) -> InventoryRow:
    return InventoryRow(**row)


def card_line(row: Row) -> CardLine:
    return CardLine(**row | {"event_id": str(row["event_id"])})


def alert(row: Row) -> Alert:
    return Alert(**row)


def received_aid(row: Row) -> ReceivedAid:
    return ReceivedAid(**row)


def flagged_duplicate(row: Row) -> FlaggedDuplicate:
    return FlaggedDuplicate(**row | {"flag": row.get("flag") or "beyond_entitlement"})


def household_public(view: Row, position: str | None = None) -> HouseholdPublic:
    personal = view["personal"]
    shown = _public(view, "household_id") | {
        "personal": PersonalFields(**personal) if personal else None
    }
    return HouseholdPublic(position=position, **shown)


def eligibility(found: Row) -> Eligibility:
    return Eligibility(**found | {"received": [received_aid(r) for r in found["received"]]})


def coverage(campaign_id: str, counted: dict[str, list[Row]]) -> Coverage:
    areas = counted["areas"]
    return Coverage(
        campaign_id=campaign_id,
        eligible_households=sum(a["eligible_households"] for a in areas),
        entitled_quantity=sum(a["entitled_quantity"] for a in areas),
        reached_households=sum(a["reached_households"] for a in areas),
        quantity=sum(a["quantity"] for a in areas),
        by_area=[AreaCoverage(**a) for a in areas],
        by_group=[GroupCoverage(**g) for g in counted["groups"]],
    )


def trace(row: Row) -> DonorTrace:
    return DonorTrace(**row)


def trace_with_proof(proof: dict[str, Any]) -> dict[str, Any]:
    """The trace as the API answers it, with the proof of it beside it (`?proof=1`)."""
    shown = trace(proof["trace"]).model_dump(mode="json")
    return shown | {"proof": proof | {"trace": shown}}


class CSVResponse(Response):
    media_type = "text/csv"


CSV_CHUNK_ROWS = 1_000


def hxl_csv(table: Table) -> Response:
    """A report as CSV: headers on the first row, HXL hashtags on the second, then the rows
    streamed a thousand at a time (Starlette iterates them in a thread)."""
    return StreamingResponse(
        csv_chunks(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table.name}"'},
    )


def csv_chunks(table: Table) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in table.columns])
    writer.writerow([tag for _, tag in table.columns])
    rows: Iterator[Sequence[Any]] = iter(table.rows)
    if not table.cells_safe:
        rows = ([spreadsheet_cell(v) for v in row] for row in rows)
    while chunk := list(islice(rows, CSV_CHUNK_ROWS)):
        writer.writerows(chunk)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()


def pledge_row(row: Row) -> dict[str, Any]:
    """A pledge's read-model row as the API names its fields."""
    return _public(row, "pledge_id")
