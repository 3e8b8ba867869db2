"""Relief operations, their convoys (deployments), donors and donations."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.base import Event, Identifier, PositiveQuantity
from events.money import Currency, MinorUnits
from events.stock import TransferLine


class OperationOpened(Event):
    """A disaster response (earthquake, flood, cold wave…) over some regions."""

    TYPE = "OperationOpened"
    STREAM = "reference"

    operation_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40)
    region_codes: list[str] = Field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None

    @property
    def aggregate_id(self) -> str:
        return self.operation_id


class OperationClosed(Event):
    """The response is over: no convoy is planned for it any more (those planned before go
    on to their end)."""

    TYPE = "OperationClosed"
    STREAM = "reference"

    operation_id: Identifier
    closed_on: date
    reason: str | None = Field(default=None, max_length=500)

    @property
    def aggregate_id(self) -> str:
        return self.operation_id


class DonorRegistered(Event):
    TYPE = "DonorRegistered"
    STREAM = "reference"

    donor_id: Identifier
    name: str = Field(min_length=1, max_length=200)

    @property
    def aggregate_id(self) -> str:
        return self.donor_id


class DonationReceived(Event):
    """A donor's gift arrived; its stock receipt carries the donation id on every lot."""

    TYPE = "DonationReceived"
    STREAM = "donations"

    donation_id: Identifier
    donor_id: Identifier
    location_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    # What the receipt policy needs: an event without `lot` predates it (its route received
    # the stock itself), so the policy leaves it alone.
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    expires_on: date | None = None
    pledge_id: Identifier | None = None  # the pledge it fulfils, in part or beyond

    @property
    def aggregate_id(self) -> str:
        return self.donation_id


class CashDonationReceived(Event):
    """Money a donor gave, in minor units of its currency; purchases spend it."""

    TYPE = "CashDonationReceived"
    STREAM = "donations"

    donation_id: Identifier
    donor_id: Identifier
    amount: MinorUnits
    currency: Currency
    pledge_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.donation_id


class PurchaseRecorded(Event):
    """Goods bought with a cash donation; they are received at `location_id` as a lot that
    carries the donation, so its trace follows the money into goods. `remaining` is what the
    donation holds after it."""

    TYPE = "PurchaseRecorded"
    STREAM = "donations"

    purchase_id: Identifier
    donation_id: Identifier
    supplier: str = Field(min_length=1, max_length=200)
    location_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    amount: MinorUnits
    currency: Currency
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    remaining: int = Field(ge=0, lt=10**15, strict=True)

    @property
    def aggregate_id(self) -> str:
        return self.donation_id


class PlannedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: PositiveQuantity


class DeploymentPlanned(Event):
    """A convoy planned from a warehouse to a site in the affected area."""

    TYPE = "DeploymentPlanned"
    STREAM = "deployments"

    deployment_id: Identifier
    operation_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[PlannedLine] = Field(min_length=1)
    expected_hours: int = Field(default=48, ge=1, le=24 * 60)
    requisition_id: Identifier | None = None  # the requisition whose approved lines it carries

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentDispatched(Event):
    TYPE = "DeploymentDispatched"
    STREAM = "deployments"

    deployment_id: Identifier
    dispatched: list[PlannedLine]
    dispatched_at: AwareDatetime

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentDelivered(Event):
    TYPE = "DeploymentDelivered"
    STREAM = "deployments"

    deployment_id: Identifier
    delivered: list[PlannedLine]
    delivered_at: AwareDatetime

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentCancelled(Event):
    TYPE = "DeploymentCancelled"
    STREAM = "deployments"

    deployment_id: Identifier
    reason: str | None = Field(default=None, max_length=500)

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentClosed(Event):
    """A delivered convoy's file is closed: no further step is taken on it."""

    TYPE = "DeploymentClosed"
    STREAM = "deployments"

    deployment_id: Identifier
    reason: str | None = Field(default=None, max_length=500)

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentDispatchStarted(Event):
    """The convoy is being loaded: it can no longer be cancelled while the stock is taken.

    It carries what to take, from where to where, for the dispatch policy (an event without
    `lines` predates the policy: its route took the stock itself)."""

    TYPE = "DeploymentDispatchStarted"
    STREAM = "deployments"

    deployment_id: Identifier
    from_location_id: Identifier | None = None
    to_location_id: Identifier | None = None
    lines: list[PlannedLine] | None = None
    requisition_id: Identifier | None = None  # the plan's, for the convoy's transfer to carry

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentDispatchAborted(Event):
    """The warehouse could not supply the convoy; it is planned again."""

    TYPE = "DeploymentDispatchAborted"
    STREAM = "deployments"

    deployment_id: Identifier
    reason: str = Field(max_length=500)
    error: str | None = Field(default=None, max_length=64)  # the warehouse's refusal code

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class ArrivedLine(BaseModel):
    """What arrived of one item (nothing at all is a quantity of 0)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: int = Field(ge=0, lt=10**9, strict=True)


class DeploymentDeliveryStarted(Event):
    """The convoy is at its site and being unloaded: the delivery policy asks the site's stock
    writer to receive what `arrived` of the lots `dispatched`, then records the outcome."""

    TYPE = "DeploymentDeliveryStarted"
    STREAM = "deployments"

    deployment_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    dispatched: list[TransferLine]  # the lots that left the warehouse under the convoy's transfer
    arrived: list[ArrivedLine] = Field(min_length=1)
    requisition_id: Identifier | None = None  # the plan's, for the convoy's transfer to carry

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class DeploymentDeliveryAborted(Event):
    """The site could not receive what was declared (more than dispatched, say); the convoy is
    dispatched again, to be delivered with the right quantities."""

    TYPE = "DeploymentDeliveryAborted"
    STREAM = "deployments"

    deployment_id: Identifier
    reason: str = Field(max_length=500)
    error: str | None = Field(default=None, max_length=64)  # the site's refusal code

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id
