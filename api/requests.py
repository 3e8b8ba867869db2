"""Request bodies as the application layer's commands and requests (routes and pages alike)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.schemas.households import (
    CampaignCreate,
    DistributionCreate,
    HouseholdCreate,
    ProfileChange,
)
from api.schemas.reference import ItemCreate, LocationCreate
from api.schemas.relief import DeploymentCreate, DonationCreate, DonorCreate, OperationCreate
from api.schemas.stock import AdjustmentCreate, CountCreate, ReceiptCreate, TransferCreate
from events.households import CampaignOpened
from events.reference import ItemDefined, LocationRegistered
from events.relief import DonorRegistered, OperationOpened, PlannedLine
from services.app.distributions import Distribution, RecordStatus, invalid_record
from services.app.household_profiles import Household, Member, ProfileUpdate
from services.app.relief import Donation
from services.domain.deployments.decider import PlanDeployment
from services.domain.stock.commands import (
    AdjustStock,
    CountStock,
    DispatchTransfer,
    ReceiveStock,
    RequestedLine,
)


def receipt(body: ReceiptCreate, receipt_id: str, units: int) -> ReceiveStock:
    """A receipt of `units` base units (its quantity, or its packs counted out); its lot
    defaults to its id."""
    return ReceiveStock(
        receipt_id=receipt_id,
        lot=body.lot or receipt_id,
        quantity=units,
        **body.model_dump(exclude={"id", "lot", "quantity", "packs"}),
    )


def transfer(body: TransferCreate, transfer_id: str) -> DispatchTransfer:
    return DispatchTransfer(
        transfer_id=transfer_id,
        from_location_id=body.from_location_id,
        to_location_id=body.to_location_id,
        allow_expired=body.allow_expired,
        lines=[RequestedLine(**line.model_dump()) for line in body.lines],
    )


def adjustment(body: AdjustmentCreate, adjustment_id: str) -> AdjustStock:
    return AdjustStock(adjustment_id=adjustment_id, **body.model_dump(exclude={"id"}))


def count(body: CountCreate, count_id: str) -> CountStock:
    return CountStock(count_id=count_id, **body.model_dump(exclude={"id"}))


def location(body: LocationCreate) -> LocationRegistered:
    return LocationRegistered(location_id=body.id, **body.model_dump(exclude={"id"}))


def item(body: ItemCreate) -> ItemDefined:
    return ItemDefined(item_id=body.id, **body.model_dump(exclude={"id"}))


def donor(body: DonorCreate) -> DonorRegistered:
    return DonorRegistered(donor_id=body.id, name=body.name)


def operation(body: OperationCreate) -> OperationOpened:
    return OperationOpened(operation_id=body.id, **body.model_dump(exclude={"id"}))


def campaign(body: CampaignCreate) -> CampaignOpened:
    return CampaignOpened(campaign_id=body.id, **body.model_dump(exclude={"id"}))


def deployment(body: DeploymentCreate) -> PlanDeployment:
    return PlanDeployment(
        deployment_id=body.id,
        lines=[PlannedLine(**ln.model_dump()) for ln in body.lines],
        **body.model_dump(exclude={"id", "lines"}),
    )


def donation(body: DonationCreate) -> Donation:
    return Donation(**body.model_dump())


def household(body: HouseholdCreate, household_id: str) -> Household:
    return Household(
        id=household_id, **body.model_dump(exclude={"id", "members"}), members=_members(body)
    )


def profile_update(body: ProfileChange, household_id: str) -> ProfileUpdate:
    return ProfileUpdate(
        household_id=household_id, **body.model_dump(exclude={"members"}), members=_members(body)
    )


def _members(body: HouseholdCreate | ProfileChange) -> list[Member] | None:
    if body.members is None:
        return None
    return [Member(**m.model_dump()) for m in body.members]


def distribution(body: DistributionCreate) -> Distribution:
    return Distribution(**body.model_dump())


def offline_records(records: list[dict[str, Any]]) -> list[Distribution | RecordStatus]:
    """A batch's records, each as a distribution or, when it does not validate, rejected."""
    parsed: list[Distribution | RecordStatus] = []
    for raw in records:
        try:
            parsed.append(distribution(DistributionCreate.model_validate(raw)))
        except ValidationError as exc:
            record_id = raw.get("id") if isinstance(raw.get("id"), str) else None
            parsed.append(invalid_record(record_id, exc))
    return parsed
