"""Every event type the system knows, by its wire name."""

from __future__ import annotations

from events.base import Event
from events.households import (
    AidDistributed,
    CampaignAreasChanged,
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    HouseholdCardIssued,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    LateDistributionFlagged,
    PersonalDataErased,
)
from events.kits import KitCompositionSet, KitsAssembled, KitsDisassembled
from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from events.reference import ItemDefined, LocationCoordinatesSet, LocationRegistered
from events.relief import (
    CashDonationReceived,
    DeploymentCancelled,
    DeploymentClosed,
    DeploymentDelivered,
    DeploymentDeliveryAborted,
    DeploymentDeliveryStarted,
    DeploymentDispatchAborted,
    DeploymentDispatched,
    DeploymentDispatchStarted,
    DeploymentPlanned,
    DonationReceived,
    DonorRegistered,
    OperationClosed,
    OperationOpened,
    PurchaseRecorded,
)
from events.requisitions import (
    RequisitionApproved,
    RequisitionClosed,
    RequisitionDispatchRecorded,
    RequisitionDispatchRefused,
    RequisitionRaised,
    RequisitionReceiptRecorded,
    RequisitionRejected,
)
from events.slots import (
    HouseholdsExpected,
    HouseholdsWithdrawn,
    SiteDayClosed,
    SlotAssigned,
    SlotDayAdded,
    SlotMoved,
    SlotPlanSet,
    SlotReleased,
)
from events.stock import (
    StockAdjusted,
    StockAdjustmentVoided,
    StockCounted,
    StockCountVoided,
    StockDistributed,
    StockDistributionVoided,
    StockReceiptVoided,
    StockReceived,
    StockThresholdSet,
    TransferCancelled,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferReceived,
    TransferReturned,
)
from events.users import (
    PersonalDataRead,
    SessionEnded,
    UserCreated,
    UserPasswordReset,
    UserRevoked,
    UserScopesChanged,
)

_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        LocationRegistered,
        LocationCoordinatesSet,
        ItemDefined,
        StockReceived,
        TransferDispatched,
        TransferReceived,
        TransferDiscrepancyRecorded,
        TransferCancelled,
        TransferReturned,
        StockAdjusted,
        StockCounted,
        StockThresholdSet,
        StockDistributed,
        StockReceiptVoided,
        StockAdjustmentVoided,
        StockCountVoided,
        StockDistributionVoided,
        CampaignOpened,
        CampaignExtended,
        CampaignClosed,
        CampaignAreasChanged,
        HouseholdRegistered,
        HouseholdProfileUpdated,
        HouseholdCardIssued,
        PersonalDataErased,
        AidDistributed,
        DuplicateDistributionFlagged,
        LateDistributionFlagged,
        DistributionVoided,
        DuplicateVoided,
        DuplicateAccepted,
        OperationOpened,
        OperationClosed,
        DonorRegistered,
        DonationReceived,
        DeploymentPlanned,
        DeploymentDispatchStarted,
        DeploymentDispatchAborted,
        DeploymentDispatched,
        DeploymentDeliveryStarted,
        DeploymentDeliveryAborted,
        DeploymentDelivered,
        DeploymentCancelled,
        DeploymentClosed,
        UserCreated,
        UserRevoked,
        UserScopesChanged,
        UserPasswordReset,
        SessionEnded,
        PersonalDataRead,
        KitCompositionSet,
        KitsAssembled,
        KitsDisassembled,
        RequisitionRaised,
        RequisitionApproved,
        RequisitionRejected,
        RequisitionDispatchRecorded,
        RequisitionDispatchRefused,
        RequisitionReceiptRecorded,
        RequisitionClosed,
        SlotPlanSet,
        HouseholdsExpected,
        SlotAssigned,
        SlotMoved,
        SiteDayClosed,
        SlotDayAdded,
        HouseholdsWithdrawn,
        SlotReleased,
        PledgeMade,
        PledgeCancelled,
        PledgeFulfilmentRecorded,
        CashDonationReceived,
        PurchaseRecorded,
    )
}


def event_types() -> dict[str, type[Event]]:
    """All current event classes by type name."""
    return dict(_TYPES)


def event_class(type_name: str) -> type[Event] | None:
    """The current class for a type name, or None when the type is unknown."""
    return _TYPES.get(type_name)
