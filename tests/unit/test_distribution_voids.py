"""Voiding a distribution recorded by mistake: the household's writer records the void, the
household may be served again, and the site's stock gets its baskets back by a policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from events import Envelope
from events.envelope import SYSTEM
from events.households import (
    AidDistributed,
    CampaignOpened,
    DistributionVoided,
    HouseholdRegistered,
)
from events.serialization import event_id_for, wrap
from events.stock import StockDistributed, StockDistributionVoided, StockReceived, VoidedLine
from services.domain.decisions import Refused
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    RecordDistribution,
    VoidDistribution,
)
from services.domain.policies.distributions import site_stock_command
from services.domain.privacy import pseudonym
from services.domain.stock.commands import VoidStockEntry
from tests.support.api import SITE, ApiHarness
from tests.support.stock_stories import given

IDENTITY = "p3f9a0c41d2e8b7765a1c0d94e3f2b1a6c5d8e7f0"
MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
RAMADAN = CampaignOpened(
    campaign_id="ramadan-2026", name="Ramadan 2026", item_id="ramadan-basket",
    quantity_per_household=1, starts_on=date(2026, 2, 18), ends_on=date(2026, 3, 31),
)  # fmt: skip
DECIDER = DistributionDecider()


def basket(distribution_id: str) -> RecordDistribution:
    return RecordDistribution.model_validate(
        {"distribution_id": distribution_id, "household_id": "hh-017", "identity": IDENTITY,
         "campaign": RAMADAN.model_dump(), "region_code": "MA07", "site_id": SITE,
         "quantity": 1, "occurred_at": MORNING}
    )  # fmt: skip


def void(distribution_id: str) -> VoidDistribution:
    return VoidDistribution(distribution_id=distribution_id, identity=IDENTITY, reason="wrong card")


def decided(state: HouseholdAid, command: object) -> tuple[HouseholdAid, list]:
    events = DECIDER.decide(state, command, MORNING)
    for event in events:
        state = DECIDER.evolve(state, event)
    return state, events


def test_a_voided_basket_no_longer_counts_and_the_household_is_served_again() -> None:
    state, _ = decided(DECIDER.initial(), basket("dist-1"))
    with pytest.raises(Refused, match="already received"):
        decided(state, basket("dist-2"))

    state, [event] = decided(state, void("dist-1"))

    assert event == DistributionVoided(
        distribution_id="dist-1", household_id="hh-017", identity=IDENTITY,
        campaign_id="ramadan-2026", site_id=SITE, item_id="ramadan-basket", quantity=1,
        reason="wrong card",
    )  # fmt: skip
    assert state.total("ramadan-2026") == 0
    _, [again] = decided(state, basket("dist-2"))
    assert isinstance(again, AidDistributed)


def test_voiding_twice_or_a_basket_never_given_is_refused() -> None:
    state, _ = decided(DECIDER.initial(), basket("dist-1"))
    state, _ = decided(state, void("dist-1"))

    with pytest.raises(Refused) as twice:
        decided(state, void("dist-1"))
    with pytest.raises(Refused) as unknown:
        decided(state, void("dist-9"))

    assert twice.value.code == "already_voided"
    assert unknown.value.code == "unknown_distribution"


def test_the_site_gets_back_exactly_the_lots_the_distribution_took() -> None:
    took = [
        StockDistributed(distribution_id="dist-1", location_id=SITE, item_id="ramadan-basket",
                         lot=lot, quantity=q, campaign_id="ramadan-2026", region_code="MA07",
                         donation_id=gift)
        for lot, q, gift in (("RB-1", 2, "don-atlas"), ("RB-2", 1, None))
    ]  # fmt: skip
    received = StockReceived(receipt_id="r-1", location_id=SITE, item_id="ramadan-basket",
                             quantity=2, lot="RB-1", donation_id="don-atlas")  # fmt: skip
    refill = StockReceived(receipt_id="r-2", location_id=SITE, item_id="ramadan-basket",
                           quantity=1, lot="RB-2")  # fmt: skip
    command = VoidStockEntry(
        location_id=SITE, entry="distribution", entry_id="dist-1", reason="wrong card"
    )

    state = (
        given(received, refill, *took)
        .when(command)
        .then(
            StockDistributionVoided(
                entry_id="dist-1",
                location_id=SITE,
                lines=[
                    VoidedLine(
                        item_id="ramadan-basket", lot="RB-1", donation_id="don-atlas", quantity=2
                    ),
                    VoidedLine(item_id="ramadan-basket", lot="RB-2", quantity=1),
                ],
                reason="wrong card",
            )
        )
    )
    assert state.on_hand("ramadan-basket") == 3


def test_the_policy_asks_the_site_to_void_the_consumption_once() -> None:
    event = DistributionVoided(
        distribution_id="dist-1", household_id="hh-017", identity=IDENTITY,
        campaign_id="ramadan-2026", site_id=SITE, item_id="ramadan-basket", quantity=1,
        reason="wrong card",
    )  # fmt: skip
    envelope = _envelope(event)

    asked = site_stock_command(event, envelope)
    again = site_stock_command(event, envelope)

    assert asked is not None and again is not None
    command, wire = asked
    assert command == VoidStockEntry(
        location_id=SITE, entry="distribution", entry_id="dist-1", reason="wrong card"
    )
    assert wire.command_id == again[1].command_id == "VoidStockEntry:dist-1"


def _envelope(event: DistributionVoided) -> Envelope:
    return wrap(
        event, event_id=event_id_for("void-1", 0), occurred_at=MORNING, recorded_at=MORNING,
        actor=SYSTEM, correlation_id="void-1", causation_id="void-1",
    )  # fmt: skip


# --- Over HTTP --------------------------------------------------------------------------------

CIN = "EE482913"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        services = harness.app.state.services
        services.personal.new_key("hh-017")
        sealed = services.personal.seal("hh-017", {"head_name": "Zahra", "national_id": CIN})
        identity = pseudonym(harness.settings.pseudonym_key, "cin", CIN)
        harness.apply(
            RAMADAN,
            HouseholdRegistered(household_id="hh-017", identity=identity,
                                national_id_pseudonym=identity, size=5, region_code="MA07",
                                province_code="MA0701", groups=[], sealed_personal_data=sealed),
        )  # fmt: skip
        yield harness


def _hand(api: ApiHarness, distribution_id: str) -> int:
    body = {"id": distribution_id, "campaign_id": "ramadan-2026", "household_id": "hh-017",
            "site_id": SITE, "quantity": 1, "occurred_at": "2026-03-01T10:00:00+00:00"}  # fmt: skip
    answer = api.post("agent", "/v1/distributions", body)
    api.project_published()
    return answer.status_code


def _eligibility(api: ApiHarness) -> dict:
    r = api.get("coordinator", "/v1/households/hh-017/eligibility", {"campaign_id": "ramadan-2026"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_coordinator_voids_a_distribution_and_the_household_is_served_again(
    api: ApiHarness,
) -> None:
    assert _hand(api, "dist-1") == 201
    assert _hand(api, "dist-2") == 409
    reached = api.get("coordinator", "/v1/campaigns/ramadan-2026/coverage").json()

    r = api.post("coordinator", "/v1/distributions/dist-1/void", {"reason": "wrong card"})
    assert r.status_code == 201, r.text
    assert [e["type"] for e in r.json()["events"]] == ["DistributionVoided"]
    api.project_published()

    after = _eligibility(api)
    assert (after["eligible"], after["remaining"]) == (True, 1)
    assert [(d["distribution_id"], d["status"]) for d in after["received"]] == [
        ("dist-1", "voided")
    ]
    coverage = api.get("coordinator", "/v1/campaigns/ramadan-2026/coverage").json()
    assert _reached(reached) == 1 and _reached(coverage) == 0
    assert _hand(api, "dist-2") == 409  # the same record again gets the answer it got
    assert _hand(api, "dist-3") == 201


def _reached(coverage: dict) -> int:
    return int(coverage["reached_households"])


def test_voiding_again_is_a_409_an_unknown_one_a_404_and_an_agent_may_not(
    api: ApiHarness,
) -> None:
    assert _hand(api, "dist-1") == 201
    first = api.post("coordinator", "/v1/distributions/dist-1/void", {"reason": "wrong card"})
    api.project_published()

    again = api.post("coordinator", "/v1/distributions/dist-1/void", {"reason": "wrong card"})
    unknown = api.post("coordinator", "/v1/distributions/dist-9/void", {"reason": "wrong card"})
    agent = api.post("agent", "/v1/distributions/dist-1/void", {"reason": "wrong card"})
    blank = api.post("coordinator", "/v1/distributions/dist-1/void", {"reason": ""})

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["error"]) == (409, "already_voided")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_distribution")
    assert agent.status_code == 403
    assert blank.status_code == 422


def test_a_void_not_yet_projected_is_still_refused_by_the_household_writer(
    api: ApiHarness,
) -> None:
    """Two coordinators void at once: the read model still says accepted for the second,
    the household's writer refuses it."""
    assert _hand(api, "dist-1") == 201
    first = api.post("coordinator", "/v1/distributions/dist-1/void", {"reason": "wrong card"})
    second = api.post("admin", "/v1/distributions/dist-1/void", {"reason": "wrong card"})

    assert first.status_code == 201, first.text
    assert (second.status_code, second.json()["error"]) == (409, "already_voided")
