"""Resolving a flagged duplicate: a coordinator voids a second record of one basket (nothing
moves) or accepts a second basket really handed as an exception (it counts as received, the
site's stock gives it by a policy, coverage counts its quantity but not its household twice).

A household of Aït Ourir got its Ramadan basket at Amizmiz on 1 March; an agent's tablet,
offline, synced another record for it on the 2nd, flagged as a duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from events import Envelope, decode, encode
from events.envelope import SYSTEM
from events.households import (
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    HouseholdRegistered,
)
from events.serialization import event_id_for, wrap
from events.stock import StockReceived
from services.domain.decisions import Refused
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    RecordDistribution,
    ResolveDuplicate,
    VoidDistribution,
)
from services.domain.policies.distributions import site_stock_command
from services.domain.privacy import pseudonym
from services.domain.stock.commands import ConsumeForDistribution
from tests.support.api import SITE, ApiHarness

IDENTITY = "p3f9a0c41d2e8b7765a1c0d94e3f2b1a6c5d8e7f0"
FIRST = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SECOND = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
RESOLVED = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
RAMADAN = CampaignOpened(
    campaign_id="ramadan-2026", name="Ramadan 2026", item_id="ramadan-basket",
    quantity_per_household=1, starts_on=date(2026, 2, 18), ends_on=date(2026, 3, 31),
)  # fmt: skip
DECIDER = DistributionDecider()


def basket(distribution_id: str, at: datetime, offline: bool = False) -> RecordDistribution:
    return RecordDistribution.model_validate(
        {"distribution_id": distribution_id, "household_id": "hh-017", "identity": IDENTITY,
         "campaign": RAMADAN.model_dump(), "region_code": "MA07", "province_code": "MA0701",
         "site_id": SITE, "quantity": 1, "occurred_at": at, "offline": offline}
    )  # fmt: skip


def resolve(distribution_id: str, resolution: str, reason: str = "vu au registre") -> Any:
    return ResolveDuplicate.model_validate(
        {"distribution_id": distribution_id, "identity": IDENTITY, "resolution": resolution,
         "reason": reason}
    )  # fmt: skip


def decided(state: HouseholdAid, command: object) -> tuple[HouseholdAid, list]:
    events = DECIDER.decide(state, command, RESOLVED)
    for event in events:
        state = DECIDER.evolve(state, event)
    return state, events


def flagged_second_basket() -> HouseholdAid:
    """Served on the 1st; the offline record of the 2nd flagged as a duplicate."""
    state, _ = decided(DECIDER.initial(), basket("dist-1", FIRST))
    state, [flagged] = decided(state, basket("dist-2", SECOND, offline=True))
    assert isinstance(flagged, DuplicateDistributionFlagged)
    assert flagged.distributed_at == SECOND
    return state


FACTS = {"distribution_id": "dist-2", "household_id": "hh-017", "identity": IDENTITY,
         "campaign_id": "ramadan-2026", "site_id": SITE, "item_id": "ramadan-basket",
         "quantity": 1}  # fmt: skip


def test_a_second_record_of_one_basket_is_voided_and_nothing_else_changes() -> None:
    state = flagged_second_basket()

    state, [event] = decided(state, resolve("dist-2", "void", "synchronisé deux fois"))

    assert event == DuplicateVoided(**FACTS, reason="synchronisé deux fois")
    assert state.total("ramadan-2026") == 1
    with pytest.raises(Refused, match="already received"):
        decided(state, basket("dist-3", SECOND))


def test_a_second_basket_really_handed_is_accepted_as_an_exception_and_counts() -> None:
    state = flagged_second_basket()

    state, [event] = decided(state, resolve("dist-2", "accept", "famille de onze"))

    assert event == DuplicateAccepted(
        **FACTS, region_code="MA07", province_code="MA0701", distributed_at=SECOND,
        reason="famille de onze",
    )  # fmt: skip
    assert state.total("ramadan-2026") == 2


def test_an_exception_can_be_voided_later_like_any_distribution() -> None:
    state, _ = decided(flagged_second_basket(), resolve("dist-2", "accept"))

    state, [voided] = decided(state, VoidDistribution(distribution_id="dist-2", identity=IDENTITY,
                                                      reason="finalement pas remis"))  # fmt: skip

    assert voided == DistributionVoided(**FACTS, reason="finalement pas remis")
    assert state.total("ramadan-2026") == 1
    with pytest.raises(Refused) as again:
        decided(state, resolve("dist-2", "void"))
    assert again.value.code == "already_resolved"
    assert "accepted as an exception and then voided" in again.value.message


@pytest.mark.parametrize(
    ("first", "words"),
    [("void", "voided as a second record"), ("accept", "accepted as an exception")],
)
def test_a_duplicate_is_resolved_once_and_the_refusal_says_how(first: str, words: str) -> None:
    state, _ = decided(flagged_second_basket(), resolve("dist-2", first))

    for then in ("void", "accept"):
        with pytest.raises(Refused) as refused:
            decided(state, resolve("dist-2", then))
        assert refused.value.code == "already_resolved"
        assert words in refused.value.message
        assert refused.value.details["resolution"] == first


def test_only_a_flagged_duplicate_of_the_household_can_be_resolved() -> None:
    state = flagged_second_basket()

    for other in ("dist-1", "dist-9"):  # an accepted distribution, an unknown one
        with pytest.raises(Refused) as refused:
            decided(state, resolve(other, "accept"))
        assert refused.value.code == "unknown_duplicate"


def test_a_flagged_duplicate_is_not_voided_as_a_distribution_but_resolved() -> None:
    state = flagged_second_basket()
    void = VoidDistribution(distribution_id="dist-2", identity=IDENTITY, reason="erreur")

    with pytest.raises(Refused) as waiting:
        decided(state, void)
    state, _ = decided(state, resolve("dist-2", "void"))
    with pytest.raises(Refused) as resolved:
        decided(state, void)

    assert waiting.value.code == "not_voidable"
    assert resolved.value.code == "already_voided"


def test_a_duplicate_flagged_before_records_kept_their_time_is_dated_when_accepted() -> None:
    older = DuplicateDistributionFlagged(
        **FACTS, region_code="MA07", first_distribution_id="dist-1", already_received=1
    )
    state = DECIDER.evolve(DECIDER.initial(), older)

    _, [event] = decided(state, resolve("dist-2", "accept"))

    assert event.distributed_at == RESOLVED


# --- The policy: the site's stock gives an exception -------------------------------------------


def _envelope(event: Any) -> Envelope:
    return wrap(
        event, event_id=event_id_for("resolve-1", 0), occurred_at=RESOLVED, recorded_at=RESOLVED,
        actor=SYSTEM, correlation_id="resolve-1", causation_id="resolve-1",
    )  # fmt: skip


def test_an_exception_asks_the_site_for_its_basket_once_dated_when_it_was_handed() -> None:
    event = DuplicateAccepted(
        **FACTS, region_code="MA07", province_code="MA0701", distributed_at=SECOND,
        reason="famille de onze",
    )  # fmt: skip

    asked = site_stock_command(event, _envelope(event))
    again = site_stock_command(event, _envelope(event))

    assert asked is not None and again is not None
    command, wire = asked
    assert command == ConsumeForDistribution(
        distribution_id="dist-2", site_id=SITE, item_id="ramadan-basket", quantity=1,
        campaign_id="ramadan-2026", region_code="MA07", province_code="MA0701",
    )  # fmt: skip
    assert wire.command_id == again[1].command_id == "ConsumeForDistribution:dist-2"
    assert wire.issued_at == SECOND
    assert wire.correlation_id == "resolve-1"


def test_a_voided_duplicate_asks_nothing_of_the_stock() -> None:
    event = DuplicateVoided(**FACTS, reason="synchronisé deux fois")

    assert site_stock_command(event, _envelope(event)) is None


# --- Over HTTP ---------------------------------------------------------------------------------

CIN = "EE482913"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """The household, ten baskets at Amizmiz, and its first basket of the 1st recorded."""
    with ApiHarness(tmp_path) as harness:
        services = harness.app.state.services
        services.personal.new_key("hh-017")
        sealed = services.personal.seal("hh-017", {"head_name": "Zahra", "national_id": CIN})
        identity = pseudonym(harness.settings.pseudonym_key, "cin", CIN)
        harness.apply(
            RAMADAN,
            HouseholdRegistered(household_id="hh-017", identity=identity,
                                national_id_pseudonym=identity, size=11, region_code="MA07",
                                province_code="MA0701", groups=[], sealed_personal_data=sealed),
            StockReceived(receipt_id="r-amizmiz", location_id=SITE, item_id="ramadan-basket",
                          quantity=10, lot="RB-1"),
        )  # fmt: skip
        record = {"id": "dist-1", "campaign_id": "ramadan-2026", "household_id": "hh-017",
                  "site_id": SITE, "quantity": 1, "occurred_at": FIRST.isoformat()}  # fmt: skip
        assert harness.post("agent", "/v1/distributions", record).status_code == 201
        synced = harness.post("agent", "/v1/distributions/batch", {"records": [
            record | {"id": "dist-2", "occurred_at": SECOND.isoformat()}
        ]})  # fmt: skip
        assert synced.json()["results"][0]["status"] == "duplicate", synced.text
        harness.project_published()
        yield harness


def _resolve(api: ApiHarness, resolution: str, who: str = "coordinator", **more: Any) -> Any:
    body = {"resolution": resolution, "reason": "famille de onze"} | more
    return api.post(who, "/v1/distributions/duplicates/dist-2/resolve", body)


def _listed(api: ApiHarness, **params: Any) -> list[tuple[str, str]]:
    r = api.get("coordinator", "/v1/distributions/duplicates", params)
    assert r.status_code == 200, r.text
    return [(d["distribution_id"], d["status"]) for d in r.json()["items"]]


def _coverage(api: ApiHarness) -> tuple[int, int]:
    found = api.get("coordinator", "/v1/campaigns/ramadan-2026/coverage").json()
    return found["reached_households"], found["quantity"]


def _run_site_stock_policy(api: ApiHarness) -> None:
    """The worker's distribution policy over everything published on the distributions
    stream so far (a command already decided gets its first answer again)."""

    async def run() -> None:
        for published in api.published("distributions"):
            envelope, event = decode(encode(published))
            asked = site_stock_command(event, envelope)
            if asked is not None:
                await api.bus.send(*asked)

    asyncio.run(run())
    api.project_published()


def _on_hand(api: ApiHarness) -> int:
    rows = api.get("admin", "/v1/inventory", {"location_id": SITE}).json()["items"]
    return sum(int(r["on_hand"]) for r in rows if r["item_id"] == "ramadan-basket")


def test_the_duplicate_waits_in_the_list_with_where_the_household_was_first_served(
    api: ApiHarness,
) -> None:
    r = api.get("coordinator", "/v1/distributions/duplicates", {"campaign_id": "ramadan-2026"})

    [row] = r.json()["items"]
    assert (row["distribution_id"], row["status"], row["first_distribution_id"]) == (
        "dist-2", "duplicate", "dist-1",
    )  # fmt: skip
    assert (row["first_site_id"], row["first_occurred_at"]) == (SITE, "2026-03-01T10:00:00Z")
    assert _listed(api, resolved="true") == []


def test_a_coordinator_accepts_an_exception_the_site_gives_it_and_coverage_counts_it(
    api: ApiHarness,
) -> None:
    _run_site_stock_policy(api)
    assert (_on_hand(api), _coverage(api)) == (9, (1, 1))

    r = _resolve(api, "accept")
    assert r.status_code == 201, r.text
    assert [e["type"] for e in r.json()["events"]] == ["DuplicateAccepted"]
    api.project_published()
    _run_site_stock_policy(api)

    assert _listed(api) == []
    assert _listed(api, resolved="true") == [("dist-2", "exception")]
    assert _on_hand(api) == 8
    assert _coverage(api) == (1, 2)  # one household reached, two baskets
    seen = api.get("coordinator", "/v1/households/hh-017/eligibility",
                   {"campaign_id": "ramadan-2026"}).json()  # fmt: skip
    assert seen["remaining"] == 0
    assert [(d["distribution_id"], d["status"]) for d in seen["received"]] == [
        ("dist-1", "accepted"), ("dist-2", "exception"),
    ]  # fmt: skip


def test_an_accepted_exception_voided_later_gives_its_basket_back(api: ApiHarness) -> None:
    _resolve(api, "accept")
    api.project_published()
    _run_site_stock_policy(api)

    r = api.post("coordinator", "/v1/distributions/dist-2/void", {"reason": "pas remis"})
    assert r.status_code == 201, r.text
    api.project_published()
    _run_site_stock_policy(api)

    assert _listed(api, resolved="true") == [("dist-2", "voided")]
    assert (_on_hand(api), _coverage(api)) == (9, (1, 1))


def test_a_voided_duplicate_moves_nothing_and_leaves_the_waiting_list(api: ApiHarness) -> None:
    _run_site_stock_policy(api)

    r = _resolve(api, "void", reason="synchronisé deux fois")
    assert r.status_code == 201, r.text
    assert [e["type"] for e in r.json()["events"]] == ["DuplicateVoided"]
    api.project_published()
    _run_site_stock_policy(api)

    assert (_listed(api), _listed(api, resolved="true")) == ([], [("dist-2", "voided_duplicate")])
    assert (_on_hand(api), _coverage(api)) == (9, (1, 1))
    void = api.post("coordinator", "/v1/distributions/dist-2/void", {"reason": "erreur"})
    assert (void.status_code, void.json()["error"]) == (409, "already_voided")


def test_resolving_again_is_a_409_an_unknown_one_a_404_and_an_agent_may_not(
    api: ApiHarness,
) -> None:
    waiting = api.post("coordinator", "/v1/distributions/dist-2/void", {"reason": "erreur"})
    first = _resolve(api, "void")
    again = _resolve(api, "accept", who="admin")  # not projected yet: the writer refuses it
    accepted = api.post("coordinator", "/v1/distributions/duplicates/dist-1/resolve",
                        {"resolution": "void", "reason": "erreur"})  # fmt: skip
    unknown = api.post("coordinator", "/v1/distributions/duplicates/dist-9/resolve",
                       {"resolution": "void", "reason": "erreur"})  # fmt: skip

    assert (waiting.status_code, waiting.json()["error"]) == (409, "not_voidable")
    assert "resolve it" in waiting.json()["message"]
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["error"]) == (409, "already_resolved")
    assert again.json()["resolution"] == "void"
    assert (accepted.status_code, accepted.json()["error"]) == (409, "unknown_duplicate")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_duplicate")
    assert _resolve(api, "accept", who="agent").status_code == 403
    assert _resolve(api, "void", reason="").status_code == 422
    assert _resolve(api, "keep").status_code == 422


def test_the_same_resolution_sent_again_is_answered_as_before(api: ApiHarness) -> None:
    key = {"Idempotency-Key": "resolve-dist-2"}
    body = {"resolution": "accept", "reason": "famille de onze"}
    path = "/v1/distributions/duplicates/dist-2/resolve"

    first = api.post("coordinator", path, body, key)
    again = api.post("coordinator", path, body, key)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["events"] == first.json()["events"]
    assert len([e for e in api.published("distributions") if e.type == "DuplicateAccepted"]) == 1
