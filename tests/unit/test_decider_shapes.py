"""Every decider in one shape; commands that carry what the client said; FEFO in one place.

Pure: the deciders, their commands as the worker reads them off the wire, and the
decision core the worker and the in-process bus share; no Kafka, no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from events import Actor
from events.households import CampaignOpened, HouseholdRegistered
from events.stock import TransferLine
from services.domain.commands import CommandEnvelope
from services.domain.deciders import DECIDERS
from services.domain.deciding import AggregateStore, Decider
from services.domain.decisions import Rejected
from services.domain.deployments.decider import PlanDeployment
from services.domain.distributions.decider import RecordDistribution
from services.domain.distributions.eligibility import CampaignTerms
from services.domain.households.decider import RegisterHousehold
from services.domain.households.writer import HouseholdDecider
from services.domain.requisitions.commands import ApproveRequisition
from services.domain.stock.commands import DispatchTransfer
from services.domain.stock.fefo import fefo
from services.domain.stock.state import Lot

AGENT = Actor(user_id="agent-amina", role="agent")
MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
IDENTITY = "p3f9a0c41d2e8b7765a1c0d94e3f2b1a6c5d8e7f0"
AIT_OURIR = HouseholdRegistered(
    household_id="hh-ait-ourir-017",
    identity=IDENTITY,
    national_id_pseudonym=IDENTITY,
    size=5,
    region_code="MA07",
    province_code="MA0701",
    groups=["children", "elderly"],
    precarity_score=42.0,
    sealed_personal_data="sealed:v1:…",
)
RAMADAN = CampaignOpened(
    campaign_id="ramadan-2026",
    name="Ramadan 2026",
    item_id="ramadan-basket",
    quantity_per_household=1,
    starts_on=date(2026, 2, 18),
    ends_on=date(2026, 3, 31),
    region_codes=["MA07"],
)


def wire(command_type: str, data: dict[str, object], client_id: str) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=f"{command_type}:{client_id}",
        type=command_type,
        actor=AGENT,
        issued_at=MORNING,
        correlation_id=client_id,
        data=data,
    )


OTHERS = [d for d in DECIDERS if not isinstance(d, HouseholdDecider)]


@pytest.mark.parametrize("decider", OTHERS, ids=lambda d: d.event_stream)
def test_every_decider_rejects_a_command_of_another_aggregate_in_plain_words(
    decider: Decider[Any],
) -> None:
    foreign = RegisterHousehold(**AIT_OURIR.model_dump(exclude={"type"}))

    with pytest.raises(Rejected) as rejected:
        decider.decide(decider.initial(), foreign, MORNING)

    assert rejected.value.code == "unknown_command"
    assert "cannot handle RegisterHousehold" in rejected.value.message


def test_the_household_decider_builds_the_registration_from_the_agents_fields() -> None:
    command = RegisterHousehold(**AIT_OURIR.model_dump(exclude={"type"}))
    store = AggregateStore(HouseholdDecider())

    decision = store.take(CommandEnvelope.of(command, "hh-ait-ourir-017", AGENT, MORNING))

    assert [event for _, event in decision.events] == [AIT_OURIR]
    assert decision.key == IDENTITY


def test_a_registration_of_the_older_shape_still_in_the_topic_is_decided_the_same() -> None:
    older = {"household": AIT_OURIR.model_dump(mode="json")}
    store = AggregateStore(HouseholdDecider())

    decision = store.take(wire("RegisterHousehold", older, "hh-ait-ourir-017"))

    assert [event for _, event in decision.events] == [AIT_OURIR]


def test_a_distribution_of_the_older_shape_reads_the_campaign_row_as_its_terms() -> None:
    newer = RecordDistribution(
        distribution_id="dist-0001",
        household_id="hh-ait-ourir-017",
        identity=IDENTITY,
        campaign=RAMADAN,  # the event reads as its terms, as does its registry row
        region_code="MA07",
        site_id="site-al-haouz",
        quantity=1,
    )
    older = newer.model_dump(mode="json") | {"campaign": RAMADAN.model_dump(mode="json")}

    assert RecordDistribution.model_validate(older) == newer
    assert "name" not in newer.model_dump()["campaign"]


def test_a_refusal_is_remembered_by_the_core_and_its_retry_answered_the_same() -> None:
    store = AggregateStore(HouseholdDecider())
    first = CommandEnvelope.of(
        RegisterHousehold(**AIT_OURIR.model_dump(exclude={"type"})), "hh-1", AGENT, MORNING
    )
    store.fold(store.take(first))
    again = RegisterHousehold(**AIT_OURIR.model_dump(exclude={"type"}) | {"household_id": "hh-2"})
    second = CommandEnvelope.of(again, "hh-2", AGENT, MORNING)

    refused = store.take(second)
    retried = store.take(second)

    assert refused.refusal is not None and refused.refusal.reply.error == "already_registered"
    assert store.answer(refused, None).message == (
        "this person is already registered in household hh-ait-ourir-017"
    )
    assert retried.refusal is None and store.answer(retried, None).replayed


def test_fefo_sends_the_soonest_expiry_first_and_lots_without_expiry_last() -> None:
    lots = [
        Lot("flour", "F-NODATE", None, None, 10),
        Lot("flour", "F-JUNE-B", date(2026, 6, 1), None, 10),
        Lot("flour", "F-APRIL", date(2026, 4, 1), None, 10),
        Lot("flour", "F-JUNE-A", date(2026, 6, 1), None, 10),
    ]
    lines = [
        TransferLine(item_id="flour", lot=lt.lot, expires_on=lt.expires_on, quantity=1)
        for lt in lots
    ]

    order = ["F-APRIL", "F-JUNE-A", "F-JUNE-B", "F-NODATE"]
    assert [lt.lot for lt in fefo(lots)] == order
    assert [ln.lot for ln in fefo(lines)] == order


def _shape_with_and_without(
    command: type[BaseModel], given: dict[str, Any], added: dict[str, Any]
) -> tuple[set[str], set[str]]:
    """The keys of the command's serialized form without, then with, the fields added."""
    without = command.model_validate(given).model_dump(mode="json")
    with_them = command.model_validate(given | added).model_dump(mode="json")
    return set(without), set(with_them) - set(without)


UNSAID_WHILE_EMPTY = {
    "campaign terms": (
        CampaignTerms,
        RAMADAN.model_dump(exclude={"name", "type"}),
        {"closed_on": "2026-03-20", "larger_households": {"min_size": 6, "quantity": 2},
         "area_changes": [{"effective_on": "2026-03-01", "region_codes": ["MA07", "MA08"],
                           "previous_region_codes": ["MA07"]}]},
    ),
    "a transfer": (
        DispatchTransfer,
        {"transfer_id": "t-1", "from_location_id": "wh-1", "to_location_id": "site-1",
         "lines": [{"item_id": "rice-5kg", "quantity": 3}]},
        {"requisition_id": "req-1"},
    ),
    "an approval": (
        ApproveRequisition, {"requisition_id": "req-1"}, {"operation_id": "op-haouz"},
    ),
    "a deployment's plan": (
        PlanDeployment,
        {"deployment_id": "dep-1", "operation_id": "op-haouz", "from_location_id": "wh-1",
         "to_location_id": "site-1", "lines": [{"item_id": "rice-5kg", "quantity": 3}]},
        {"requisition_id": "req-1", "operation_closed_on": "2026-03-20"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", UNSAID_WHILE_EMPTY, ids=str)
def test_fields_added_later_are_left_out_of_the_digest_while_they_hold_nothing(case: str) -> None:
    command, given, added = UNSAID_WHILE_EMPTY[case]

    before, appearing = _shape_with_and_without(command, given, added)

    assert not before & set(added)  # the shape, and so the digest, it always had
    assert appearing == set(added)
