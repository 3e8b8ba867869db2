"""Events on the wire: what a service encodes, every other service decodes to the same fact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from events.base import SLUG_PATTERN, Event
from events.envelope import Actor, Envelope
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
    LargerHouseholds,
    LateDistributionFlagged,
    MemberCounts,
    PersonalDataErased,
)
from events.kits import (
    ComponentLine,
    KitComponent,
    KitCompositionSet,
    KitsAssembled,
    KitsDisassembled,
)
from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from events.reference import ItemDefined, LocationCoordinatesSet, LocationRegistered
from events.registry import event_types
from events.relief import (
    ArrivedLine,
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
    PlannedLine,
    PurchaseRecorded,
)
from events.requisitions import (
    ReceivedLine,
    RequisitionApproved,
    RequisitionClosed,
    RequisitionDispatchRecorded,
    RequisitionDispatchRefused,
    RequisitionLine,
    RequisitionRaised,
    RequisitionReceiptRecorded,
    RequisitionRejected,
)
from events.serialization import UndecodableMessage, decode, encode, event_id_for, wrap
from events.slots import (
    ExpectedHousehold,
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
    TransferLine,
    TransferReceived,
    TransferReturned,
    VoidedLine,
)
from events.users import (
    PersonalDataRead,
    SessionEnded,
    UserCreated,
    UserPasswordReset,
    UserRevoked,
    UserScopesChanged,
)

MOROCCO = timezone(timedelta(hours=1))
COORDINATOR = Actor(user_id="fatima.coordinator", role="coordinator")
CONTRACT_FIELDS = {
    "event_id",
    "type",
    "version",
    "occurred_at",
    "recorded_at",
    "actor",
    "correlation_id",
    "causation_id",
    "data",
}

# One fact of each type, as recorded in the first days after the Al Haouz earthquake.
SAMPLES: dict[str, Event] = {
    "LocationRegistered": LocationRegistered(
        location_id="wh-casa",
        name="Entrepôt Casablanca",
        kind="warehouse",
        region_code="MA06",
        region_name="Casablanca-Settat",
        province_code="MA0601",
        province_name="Casablanca",
        latitude=33.5731,
        longitude=-7.5898,
    ),
    "LocationCoordinatesSet": LocationCoordinatesSet(
        location_id="site-amizmiz", latitude=31.2167, longitude=-8.2333
    ),
    "ItemDefined": ItemDefined(item_id="flour-25kg", name="Farine 25 kg", unit="sack"),
    "StockReceived": StockReceived(
        receipt_id="rcpt-0001",
        location_id="wh-casa",
        item_id="flour-25kg",
        quantity=1200,
        lot="LOT-2023-09-A",
        expires_on=date(2024, 3, 31),
        donation_id="don-0042",
    ),
    "TransferDispatched": TransferDispatched(
        transfer_id="tr-casa-mrk-1",
        from_location_id="wh-casa",
        to_location_id="wh-marrakech",
        lines=[TransferLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=400)],
    ),
    "TransferReceived": TransferReceived(
        transfer_id="tr-casa-mrk-1",
        from_location_id="wh-casa",
        to_location_id="wh-marrakech",
        lines=[TransferLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=380)],
    ),
    "TransferDiscrepancyRecorded": TransferDiscrepancyRecorded(
        transfer_id="tr-casa-mrk-1",
        from_location_id="wh-casa",
        to_location_id="wh-marrakech",
        item_id="flour-25kg",
        lot="LOT-2023-09-A",
        missing=20,
    ),
    "StockAdjusted": StockAdjusted(
        adjustment_id="adj-7",
        location_id="wh-casa",
        item_id="flour-25kg",
        lot="LOT-2023-09-A",
        quantity=-12,
        reason="damaged",
    ),
    "StockCounted": StockCounted(
        count_id="count-9",
        location_id="wh-casa",
        item_id="flour-25kg",
        lot="LOT-2023-09-A",
        counted_quantity=770,
        variance=-18,
    ),
    "TransferCancelled": TransferCancelled(
        transfer_id="tr-2023-09-12",
        from_location_id="wh-casa",
        to_location_id="site-amizmiz",
        lines=[TransferLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=40)],
        reason="road to Amizmiz closed",
    ),
    "TransferReturned": TransferReturned(
        transfer_id="tr-2023-09-12",
        from_location_id="wh-casa",
        to_location_id="site-amizmiz",
        lines=[TransferLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=40)],
        reason="road to Amizmiz closed",
    ),
    "StockReceiptVoided": StockReceiptVoided(
        entry_id="rcpt-7",
        location_id="wh-casa",
        lines=[VoidedLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=-1000)],
        reason="1000 typed for 100",
    ),
    "StockAdjustmentVoided": StockAdjustmentVoided(
        entry_id="adj-3",
        location_id="wh-casa",
        lines=[VoidedLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=12)],
        reason="recorded twice",
    ),
    "StockCountVoided": StockCountVoided(
        entry_id="count-9", location_id="wh-casa", lines=[], reason="counted the wrong bay"
    ),
    "StockDistributionVoided": StockDistributionVoided(
        entry_id="dist-amizmiz-0042",
        location_id="site-amizmiz",
        lines=[VoidedLine(item_id="flour-25kg", lot="LOT-2023-09-A", quantity=1)],
        reason="handed to the wrong card",
    ),
    "StockThresholdSet": StockThresholdSet(
        location_id="wh-casa", item_id="flour-25kg", minimum=200
    ),
    "StockDistributed": StockDistributed(
        distribution_id="dist-0001",
        location_id="site-amizmiz",
        item_id="flour-25kg",
        lot="LOT-2023-09-A",
        quantity=1,
        campaign_id="urgence-seisme",
        region_code="MA07",
    ),
    "CampaignOpened": CampaignOpened(
        campaign_id="urgence-seisme",
        name="Urgence séisme",
        item_id="flour-25kg",
        quantity_per_household=1,
        starts_on=date(2023, 9, 9),
        ends_on=date(2023, 12, 31),
        region_codes=["MA07"],
        larger_households=LargerHouseholds(min_size=6, quantity=2),
    ),
    "HouseholdRegistered": HouseholdRegistered(
        household_id="hh-0001",
        identity="p" + "a" * 40,
        national_id_pseudonym="p" + "a" * 40,
        size=5,
        region_code="MA07",
        sealed_personal_data="c2VhbGVk",
    ),
    "HouseholdProfileUpdated": HouseholdProfileUpdated(
        household_id="hh-0001",
        identity="p" + "a" * 40,
        size=6,
        region_code="MA07",
        province_code="MA0701",
        groups=["children", "disability"],
        precarity_score=31.5,
        members=MemberCounts(
            counted_on=date(2023, 10, 2),
            females_0_4=1,
            females_18_59=1,
            males_5_17=2,
            males_18_59=1,
            males_60_plus=1,
            disabled_members=1,
            severely_disabled_members=1,
        ),
        sealed_personal_data="c2VhbGVkIGFnYWlu",
    ),
    "HouseholdCardIssued": HouseholdCardIssued(
        household_id="hh-0001", identity="p" + "a" * 40, card_number=2, check="K7M4Q9TX"
    ),
    "PersonalDataErased": PersonalDataErased(
        household_id="hh-0001", identity="p" + "a" * 40, reason="person_asked"
    ),
    "AidDistributed": AidDistributed(
        distribution_id="dist-0001",
        household_id="hh-0001",
        identity="p" + "a" * 40,
        campaign_id="urgence-seisme",
        site_id="site-amizmiz",
        item_id="flour-25kg",
        quantity=1,
        region_code="MA07",
        distributed_at=datetime(2023, 9, 10, 9, 0, tzinfo=MOROCCO),
    ),
    "LateDistributionFlagged": LateDistributionFlagged(
        distribution_id="dist-0003",
        household_id="hh-0001",
        identity="p" + "a" * 40,
        campaign_id="urgence-seisme",
        site_id="site-amizmiz",
        item_id="flour-25kg",
        quantity=1,
        region_code="MA07",
        distributed_at=datetime(2023, 10, 2, 16, 0, tzinfo=MOROCCO),
        why="campaign_closed",
    ),
    "DuplicateDistributionFlagged": DuplicateDistributionFlagged(
        distribution_id="dist-0002",
        household_id="hh-0001",
        identity="p" + "a" * 40,
        campaign_id="urgence-seisme",
        site_id="site-amizmiz",
        item_id="flour-25kg",
        quantity=1,
        region_code="MA07",
        first_distribution_id="dist-0001",
        already_received=1,
        distributed_at=datetime(2023, 9, 11, 9, 30, tzinfo=MOROCCO),
    ),
    "CampaignExtended": CampaignExtended(
        campaign_id="urgence-seisme", ends_on=date(2023, 11, 30), reason="winter in the valleys"
    ),
    "CampaignClosed": CampaignClosed(
        campaign_id="urgence-seisme", closed_on=date(2023, 12, 15), reason="relief handed over"
    ),
    "CampaignAreasChanged": CampaignAreasChanged(
        campaign_id="urgence-seisme",
        region_codes=["MA06", "MA07"],
        previous_region_codes=["MA07"],
        effective_on=date(2023, 10, 2),
        reason="the valleys of Azilal cut off",
    ),
    "DistributionVoided": DistributionVoided(
        distribution_id="dist-0001",
        household_id="hh-0001",
        identity="p" + "a" * 40,
        campaign_id="urgence-seisme",
        site_id="site-amizmiz",
        item_id="flour-25kg",
        quantity=1,
        reason="handed to the wrong card",
    ),
    "DuplicateVoided": DuplicateVoided(
        distribution_id="dist-0002",
        household_id="hh-0001",
        identity="p" + "a" * 40,
        campaign_id="urgence-seisme",
        site_id="site-amizmiz",
        item_id="flour-25kg",
        quantity=1,
        reason="the same basket synced twice",
    ),
    "DuplicateAccepted": DuplicateAccepted(
        distribution_id="dist-0003",
        household_id="hh-0001",
        identity="p" + "a" * 40,
        campaign_id="urgence-seisme",
        site_id="site-amizmiz",
        item_id="flour-25kg",
        quantity=1,
        region_code="MA07",
        province_code="MA0701",
        distributed_at=datetime(2023, 9, 12, 16, 0, tzinfo=MOROCCO),
        reason="a family of eleven, two baskets agreed",
    ),
    "OperationOpened": OperationOpened(
        operation_id="seisme-al-haouz", name="Séisme d'Al Haouz", kind="earthquake"
    ),
    "OperationClosed": OperationClosed(
        operation_id="seisme-al-haouz", closed_on=date(2024, 1, 31), reason="handed to recovery"
    ),
    "DonorRegistered": DonorRegistered(donor_id="fondation-atlas", name="Fondation Atlas"),
    "DonationReceived": DonationReceived(
        donation_id="don-0042",
        donor_id="fondation-atlas",
        location_id="wh-casa",
        item_id="flour-25kg",
        quantity=1200,
    ),
    "DeploymentPlanned": DeploymentPlanned(
        deployment_id="convoy-7",
        operation_id="seisme-al-haouz",
        from_location_id="wh-marrakech",
        to_location_id="site-amizmiz",
        lines=[PlannedLine(item_id="flour-25kg", quantity=400)],
        requisition_id="req-amizmiz-01",
    ),
    "DeploymentDispatched": DeploymentDispatched(
        deployment_id="convoy-7",
        dispatched=[PlannedLine(item_id="flour-25kg", quantity=400)],
        dispatched_at=datetime(2023, 9, 9, 14, 0, tzinfo=MOROCCO),
    ),
    "DeploymentDelivered": DeploymentDelivered(
        deployment_id="convoy-7",
        delivered=[PlannedLine(item_id="flour-25kg", quantity=380)],
        delivered_at=datetime(2023, 9, 10, 8, 0, tzinfo=MOROCCO),
    ),
    "DeploymentDispatchStarted": DeploymentDispatchStarted(deployment_id="convoy-7"),
    "DeploymentDispatchAborted": DeploymentDispatchAborted(
        deployment_id="convoy-9", reason="only 120 of 'flour-25kg' available, 400 requested"
    ),
    "DeploymentDeliveryStarted": DeploymentDeliveryStarted(
        deployment_id="convoy-7",
        from_location_id="wh-marrakech",
        to_location_id="site-amizmiz",
        dispatched=[
            TransferLine(
                item_id="flour-25kg", lot="L-2023-09", expires_on=date(2024, 3, 1), quantity=400
            )
        ],
        arrived=[ArrivedLine(item_id="flour-25kg", quantity=380)],
    ),
    "DeploymentDeliveryAborted": DeploymentDeliveryAborted(
        deployment_id="convoy-7",
        reason="received 420 of 'flour-25kg' but only 400 were dispatched",
        error="more_than_dispatched",
    ),
    "DeploymentCancelled": DeploymentCancelled(deployment_id="convoy-8", reason="road closed"),
    "DeploymentClosed": DeploymentClosed(deployment_id="convoy-7", reason="shortfall explained"),
    "UserCreated": UserCreated(
        username="youssef.agent",
        role="agent",
        sites=["site-amizmiz"],
        token_hash="ab" * 32,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    ),
    "UserRevoked": UserRevoked(username="youssef.agent"),
    "UserScopesChanged": UserScopesChanged(
        username="youssef.agent", sites=["site-amizmiz", "site-asni"]
    ),
    "UserPasswordReset": UserPasswordReset(
        username="youssef.agent",
        token_hash="cd" * 32,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2VsMg$bm91dmVhdQ",
    ),
    "SessionEnded": SessionEnded(username="youssef.agent", session_hash="ab" * 32),
    "PersonalDataRead": PersonalDataRead(
        username="khadija.agent", household_id="hh-amizmiz-001", via="lookup"
    ),
    "KitCompositionSet": KitCompositionSet(
        kit_item_id="ramadan-basket",
        version=2,
        components=[KitComponent(item_id="flour-kg", quantity=10)],
    ),
    "KitsAssembled": KitsAssembled(
        assembly_id="asm-0001",
        location_id="wh-casa",
        kit_item_id="ramadan-basket",
        composition_version=2,
        quantity=30,
        lot="RB-2026-1",
        expires_on=date(2024, 3, 31),
        components=[
            ComponentLine(
                item_id="flour-kg",
                lot="LOT-2023-09-A",
                expires_on=date(2024, 3, 31),
                donation_id="don-0042",
                quantity=300,
            ),
        ],
    ),
    "KitsDisassembled": KitsDisassembled(
        disassembly_id="dis-0001",
        location_id="wh-casa",
        kit_item_id="ramadan-basket",
        quantity=3,
        lot="RB-2026-1",
        components=[ComponentLine(item_id="flour-kg", lot="LOT-2023-09-A", quantity=30)],
    ),
    "RequisitionRaised": RequisitionRaised(
        requisition_id="req-al-haouz-01",
        requesting_location_id="site-al-haouz",
        supplying_location_id="wh-marrakech",
        lines=[RequisitionLine(item_id="flour-kg", quantity=400)],
        needed_by=date(2023, 9, 15),
    ),
    "RequisitionApproved": RequisitionApproved(
        requisition_id="req-al-haouz-01",
        transfer_id="0d4c1f0e-8a3b-5c2d-9e1f-6a7b8c9d0e1f",
        supplying_location_id="wh-marrakech",
        requesting_location_id="site-al-haouz",
        lines=[RequisitionLine(item_id="flour-kg", quantity=300)],
        operation_id="seisme-al-haouz",
    ),
    "RequisitionRejected": RequisitionRejected(
        requisition_id="req-al-haouz-02", reason="covered by convoy 7"
    ),
    "RequisitionDispatchRecorded": RequisitionDispatchRecorded(
        requisition_id="req-al-haouz-01",
        transfer_id="0d4c1f0e-8a3b-5c2d-9e1f-6a7b8c9d0e1f",
        lines=[RequisitionLine(item_id="flour-kg", quantity=300)],
    ),
    "RequisitionDispatchRefused": RequisitionDispatchRefused(
        requisition_id="req-al-haouz-01",
        transfer_id="0d4c1f0e-8a3b-5c2d-9e1f-6a7b8c9d0e1f",
        error="insufficient_stock",
        message="only 120 of 'flour-kg' available, 300 requested",
        item_id="flour-kg",
        requested=300,
        available=120,
    ),
    "RequisitionReceiptRecorded": RequisitionReceiptRecorded(
        requisition_id="req-al-haouz-01",
        transfer_id="0d4c1f0e-8a3b-5c2d-9e1f-6a7b8c9d0e1f",
        lines=[ReceivedLine(item_id="flour-kg", quantity=290)],
    ),
    "RequisitionClosed": RequisitionClosed(
        requisition_id="req-al-haouz-01", short=True, reason="10 sacks lost on the road"
    ),
    "SlotPlanSet": SlotPlanSet(
        campaign_id="ramadan-2026",
        site_id="site-amizmiz",
        days=[date(2026, 2, 20), date(2026, 2, 21)],
        opens_at=9,
        closes_at=13,
        per_hour=40,
        region_codes=["MA07"],
        groups=["elderly"],
    ),
    "HouseholdsExpected": HouseholdsExpected(
        site_id="site-amizmiz",
        households=[
            ExpectedHousehold(household_id="hh-0001", region_code="MA07", groups=["elderly"])
        ],
    ),
    "SlotAssigned": SlotAssigned(
        campaign_id="ramadan-2026",
        site_id="site-amizmiz",
        household_id="hh-0001",
        day=date(2026, 2, 20),
        hour=9,
    ),
    "SlotMoved": SlotMoved(
        campaign_id="ramadan-2026",
        site_id="site-amizmiz",
        household_id="hh-0001",
        from_day=date(2026, 2, 20),
        from_hour=9,
        day=date(2026, 2, 21),
        hour=10,
        reason="day_closed",
    ),
    "SiteDayClosed": SiteDayClosed(
        campaign_id="ramadan-2026", site_id="site-amizmiz", day=date(2026, 2, 20), reason="flood"
    ),
    "SlotDayAdded": SlotDayAdded(
        campaign_id="ramadan-2026", site_id="site-amizmiz", day=date(2026, 2, 22)
    ),
    "HouseholdsWithdrawn": HouseholdsWithdrawn(site_id="site-amizmiz", household_ids=["hh-0001"]),
    "SlotReleased": SlotReleased(
        campaign_id="ramadan-2026",
        site_id="site-amizmiz",
        household_id="hh-0001",
        day=date(2026, 2, 20),
        hour=9,
        reason="left_site",
    ),
    "PledgeMade": PledgeMade(
        pledge_id="pledge-atlas-flour",
        donor_id="fondation-atlas",
        due_on=date(2026, 3, 1),
        item_id="flour-25kg",
        quantity=2000,
    ),
    "PledgeCancelled": PledgeCancelled(
        pledge_id="pledge-atlas-flour", reason="the second shipment will not be sent"
    ),
    "PledgeFulfilmentRecorded": PledgeFulfilmentRecorded(
        pledge_id="pledge-atlas-flour", donation_id="don-0042", quantity=1200, received=1200
    ),
    "CashDonationReceived": CashDonationReceived(
        donation_id="don-cash-7",
        donor_id="fondation-atlas",
        amount=5_000_000,
        currency="MAD",
        pledge_id="pledge-atlas-cash",
    ),
    "PurchaseRecorded": PurchaseRecorded(
        purchase_id="buy-0001",
        donation_id="don-cash-7",
        supplier="Minoterie du Souss",
        location_id="wh-casa",
        item_id="flour-25kg",
        quantity=300,
        amount=1_200_000,
        currency="MAD",
        lot="buy-0001",
        remaining=3_800_000,
    ),
}


def wrapped(event: Event, index: int = 0, causation_id: str = "cmd-receive-convoy-7") -> Envelope:
    return wrap(
        event,
        event_id=event_id_for(causation_id, index),
        occurred_at=datetime(2023, 9, 9, 8, 0, tzinfo=MOROCCO),
        recorded_at=datetime(2023, 9, 9, 7, 0, 3, tzinfo=UTC),
        actor=COORDINATOR,
        correlation_id="convoy-7",
        causation_id=causation_id,
    )


def test_every_registered_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(event_types())


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_each_event_type_round_trips_through_the_wire(type_name: str) -> None:
    event = SAMPLES[type_name]
    envelope = wrapped(event)

    decoded_envelope, decoded_event = decode(encode(envelope))

    assert decoded_event == event
    assert type(decoded_event) is event_types()[type_name]
    assert decoded_envelope == envelope


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_the_wire_format_uses_the_contract_field_names(type_name: str) -> None:
    event = SAMPLES[type_name]
    payload = orjson.loads(encode(wrapped(event)))

    assert set(payload) == CONTRACT_FIELDS
    assert (payload["type"], payload["version"]) == (event.TYPE, event.VERSION)
    assert payload["data"] == event.model_dump(mode="json")
    assert payload["occurred_at"] == "2023-09-09T08:00:00+01:00"


slugs = st.from_regex(SLUG_PATTERN, fullmatch=True)


@given(
    quantity=st.integers(min_value=1, max_value=10**9 - 1),
    lot=st.text(min_size=1, max_size=64),
    expires_on=st.none() | st.dates(),
    donation_id=st.none() | slugs,
    receipt_id=slugs,
)
def test_any_valid_stock_receipt_round_trips(
    quantity: int, lot: str, expires_on: date | None, donation_id: str | None, receipt_id: str
) -> None:
    event = StockReceived(
        receipt_id=receipt_id,
        location_id="site-amizmiz",
        item_id="tent-family",
        quantity=quantity,
        lot=lot,
        expires_on=expires_on,
        donation_id=donation_id,
    )
    envelope, decoded = decode(encode(wrapped(event)))
    assert decoded == event
    assert envelope.data["quantity"] == quantity


@given(quantity=st.integers(max_value=0) | st.integers(min_value=10**9))
def test_quantities_outside_the_range_are_no_stock_receipt(quantity: int) -> None:
    with pytest.raises(ValidationError):
        StockReceived(
            receipt_id="rcpt-0002",
            location_id="wh-casa",
            item_id="flour-25kg",
            quantity=quantity,
            lot="LOT-B",
        )


@pytest.mark.parametrize("quantity", [0, -5, 12.0, "12", 10**9])
def test_a_receipt_with_a_bad_quantity_on_the_wire_is_refused(quantity: object) -> None:
    payload = orjson.loads(encode(wrapped(SAMPLES["StockReceived"])))
    payload["data"]["quantity"] = quantity
    with pytest.raises(UndecodableMessage, match=r"bad StockReceived data: quantity"):
        decode(orjson.dumps(payload))


def test_event_ids_are_deterministic_per_command_and_index() -> None:
    first = event_id_for("cmd-receive-convoy-7", 0)

    assert first == event_id_for("cmd-receive-convoy-7", 0)  # a retried command, the same ids
    assert isinstance(first, UUID)
    assert first.version == 5
    assert wrapped(SAMPLES["ItemDefined"]).event_id == first


def test_each_event_of_a_command_gets_its_own_id() -> None:
    ids = [event_id_for("cmd-receive-convoy-7", index) for index in range(500)]
    assert len(set(ids)) == len(ids)


@given(
    causation_id=st.text(min_size=1, max_size=80),
    first=st.integers(0, 10**6),
    second=st.integers(0, 10**6),
)
def test_ids_differ_whenever_the_index_or_the_command_differs(
    causation_id: str, first: int, second: int
) -> None:
    assert (event_id_for(causation_id, first) == event_id_for(causation_id, second)) == (
        first == second
    )
    assert event_id_for(causation_id, first) != event_id_for(causation_id + "-retry", first)
