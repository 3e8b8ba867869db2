"""A policy's commands for a batch of events, gathered: the distribution policy's
consumptions, the households policy's offers to sites. Those of one kind that follow one
another on a partition travel as one command (`ConsumeForDistributions`, `OffersToSites`),
and the writer decides each as it would alone (same events, ids, times, actors and flows),
in order, each answered once however the batches are cut when the policy reacts again after
a crash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from events import Actor, Envelope, Event
from events.households import (
    AidDistributed,
    DistributionVoided,
    HouseholdProfileUpdated,
    HouseholdRegistered,
)
from events.serialization import event_id_for, wrap
from events.slots import HouseholdsExpected
from services.domain.commands import CommandEnvelope, GatheredCommand
from services.domain.deciding import AggregateStore, Decision
from services.domain.policies import Sent
from services.domain.policies.distributions import site_stock_command
from services.domain.policies.gathering import gathered
from services.domain.policies.slots import offer_to_site
from services.domain.slots.commands import OfferHouseholds, OffersToSites, SetSlotPlan
from services.domain.slots.decider import SlotsDecider
from services.domain.stock.commands import (
    ConsumeForDistributions,
    ReceiveStock,
    VoidStockEntry,
)
from services.domain.stock.decider import StockDecider
from services.domain.stock.state import LocationStock

MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
ILHAM = Actor(user_id="ilham-agent", role="agent")
SAID = Actor(user_id="said-agent", role="agent")
# Two sites whose commands share partition 0, one on partition 1.
PARTITION = {"site-asni": 0, "site-amizmiz": 0, "site-tahannaout": 1}


def partition_of(site_id: str) -> int:
    return PARTITION[site_id]


def handed(n: int, site: str = "site-asni", actor: Actor = ILHAM, **more: Any) -> Sent:
    """The policy's command for distribution `d-n`, handed `n` minutes after the morning."""
    event = AidDistributed(
        distribution_id=f"d-{n}", household_id=f"hh-{n}", identity="p" + "a" * 40,
        campaign_id="ramadan-2026", site_id=site, item_id="ramadan-basket", quantity=2,
        region_code="MA07", province_code="MA0701",
        distributed_at=MORNING + timedelta(minutes=n), **more,
    )  # fmt: skip
    asked = site_stock_command(event, _envelope(event, f"serve-{n}", actor))
    assert asked is not None
    return asked


def voided(n: int, site: str = "site-asni") -> Sent:
    event = DistributionVoided(
        distribution_id=f"d-{n}", household_id=f"hh-{n}", identity="p" + "a" * 40,
        campaign_id="ramadan-2026", site_id=site, item_id="ramadan-basket", quantity=2,
        reason="wrong card",
    )  # fmt: skip
    asked = site_stock_command(event, _envelope(event, f"void-{n}", SAID))
    assert asked is not None
    return asked


def _envelope(event: Event, flow: str, actor: Actor) -> Envelope:
    at = getattr(event, "distributed_at", MORNING + timedelta(hours=3))
    return wrap(
        event, event_id=event_id_for(flow, 0), occurred_at=at, recorded_at=at, actor=actor,
        correlation_id=flow, causation_id=flow,
    )  # fmt: skip


def ids(sent: Sent) -> list[str]:
    command, wire = sent
    if isinstance(command, GatheredCommand):
        return [f"{command.ONE.TYPE}:{c.client_id}" for c in command.gathered]
    return [wire.command_id]


# ---- gathering (pure) ------------------------------------------------------------------------


def test_a_partition_s_consumptions_in_a_row_travel_as_one_command_others_alone() -> None:
    asked = [handed(1), handed(2, "site-tahannaout"), handed(3, "site-amizmiz"), handed(4)]

    sent = gathered(asked, partition_of)

    assert [type(c).__name__ for c, _ in sent] == [
        "ConsumeForDistributions",
        "ConsumeForDistribution",
    ]
    assert ids(sent[0]) == [asked[n][1].command_id for n in (0, 2, 3)]
    assert ids(sent[1]) == [asked[1][1].command_id]


def test_a_void_closes_its_partition_s_run_so_it_never_overtakes_a_consumption() -> None:
    asked = [handed(1), handed(2), voided(1), handed(3), handed(5, "site-tahannaout"),
             handed(4), handed(6, "site-tahannaout")]  # fmt: skip

    sent = gathered(asked, partition_of)

    assert [ids(s) for s in sent] == [
        ["ConsumeForDistribution:d-1", "ConsumeForDistribution:d-2"],
        ["VoidStockEntry:d-1"],
        ["ConsumeForDistribution:d-3", "ConsumeForDistribution:d-4"],
        ["ConsumeForDistribution:d-5", "ConsumeForDistribution:d-6"],
    ]


def test_a_long_run_is_cut_so_each_command_fits_one_message() -> None:
    asked = [handed(n) for n in range(ConsumeForDistributions.MAX + 2)]

    sent = gathered(asked, partition_of)

    assert [len(ids(s)) for s in sent] == [ConsumeForDistributions.MAX, 2]
    assert [i for s in sent for i in ids(s)] == [wire.command_id for _, wire in asked]
    assert all(len(wire.model_dump_json()) < 600_000 for _, wire in sent)


def test_the_same_events_again_make_the_same_commands_under_the_same_ids() -> None:
    asked = [handed(1), handed(2, actor=SAID), handed(3)]

    assert gathered(asked, partition_of) == gathered(list(asked), partition_of)
    assert gathered(asked, partition_of)[0][1].command_id.startswith(
        "ConsumeForDistributions:batch-"
    )


# ---- decided by the sites' writer -------------------------------------------------------------


def stocked() -> AggregateStore[LocationStock]:
    store = AggregateStore(StockDecider())
    for site in PARTITION:
        receipt = ReceiveStock(
            receipt_id=f"r-{site}", location_id=site, item_id="ramadan-basket", quantity=5,
            lot="RB-1", occurred_at=MORNING - timedelta(days=1),
        )  # fmt: skip
        decide(store, CommandEnvelope.of(receipt, receipt.receipt_id, SAID, MORNING))
    return store


def decide(store: AggregateStore[Any], wire: CommandEnvelope) -> Decision:
    decision = store.take(wire)
    store.fold(decision)
    return decision


def written(decisions: list[Decision]) -> list[tuple[str, dict[str, Any]]]:
    """Each event as written: its record's key and its whole envelope."""
    return [(d.record_key(i), e.model_dump(mode="json"))
            for d in decisions for i, (e, _) in enumerate(d.events)]  # fmt: skip


def test_a_batch_writes_what_its_consumptions_write_alone_in_order() -> None:
    asked = [handed(1), handed(2, "site-amizmiz", actor=SAID), handed(3), handed(4)]
    [(_, wire)] = gathered(asked, partition_of)
    together, alone = stocked(), stocked()

    in_one = decide(together, wire)
    one_by_one = [decide(alone, w) for _, w in asked]

    assert written([in_one]) == written(one_by_one)
    # Asni's third basket takes its lot's last one and one from nowhere, as alone
    lots = [(e["data"]["location_id"], e["data"]["lot"], e["data"]["quantity"])
            for _, e in written([in_one])]  # fmt: skip
    assert lots == [("site-asni", "RB-1", 2), ("site-amizmiz", "RB-1", 2),
                    ("site-asni", "RB-1", 2), ("site-asni", "RB-1", 1),
                    ("site-asni", "UNALLOCATED", 1)]  # fmt: skip
    stamps = [(e["actor"]["user_id"], e["occurred_at"]) for _, e in written([in_one])]
    assert stamps[:2] == [
        ("ilham-agent", "2026-03-01T10:01:00Z"),
        ("said-agent", "2026-03-01T10:02:00Z"),
    ]
    replies = together.answer(in_one, None).details["replies"]
    assert [(r["command_id"], r["status"]) for r in replies] == [
        (w.command_id, "accepted") for _, w in asked
    ]
    assert together.states == alone.states


def test_a_batch_folded_from_its_decided_states_leaves_what_folding_its_events_would() -> None:
    sites = ["site-asni", "site-amizmiz", "site-asni", "site-asni", "site-asni"]
    [(_, wire)] = gathered([handed(n, site) for n, site in enumerate(sites, 1)], partition_of)
    from_states, from_events = stocked(), stocked()

    decision = from_states.take(wire)
    from_states.fold(decision)
    from_events.fold(replace(decision, states=None))  # each event evolved, as from the log

    assert decision.states is not None and set(decision.states) == {"site-asni", "site-amizmiz"}
    assert from_states.states == from_events.states
    assert from_states.outcomes == from_events.outcomes


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_a_reaction_again_cut_otherwise_moves_each_basket_once(cut: int) -> None:
    """After a crash the policy reacts again to events some of which were decided: however its
    batches are cut, what was decided is answered again and only the rest is decided."""
    asked = [handed(n) for n in range(1, 5)]
    store, once = stocked(), stocked()
    first = decide(store, gathered(asked[:cut], partition_of)[0][1])

    again = decide(store, gathered(asked, partition_of)[0][1])

    assert written([first, again]) == written([decide(once, w) for _, w in asked])
    assert store.states == once.states
    statuses = [(r["status"], r["replayed"]) for r in store.answer(again, None).details["replies"]]
    assert statuses == [("accepted", True)] * cut + [("accepted", False)] * (4 - cut)


def test_a_consumption_retried_alone_after_its_batch_is_answered_from_the_batch() -> None:
    asked = [handed(1), handed(2)]
    store = stocked()
    decide(store, gathered(asked, partition_of)[0][1])

    retried = decide(store, asked[1][1])

    assert retried.events == []
    reply = store.answer(retried, None)
    assert (reply.status, reply.replayed) == ("accepted", True)
    assert [e["type"] for e in reply.events] == ["StockDistributed"]


def test_a_void_after_its_consumption_returns_the_basket() -> None:
    sent = gathered([handed(1), handed(2), voided(1)], partition_of)
    store = stocked()
    for _, wire in sent:
        decide(store, wire)

    assert store.state("site-asni").on_hand("ramadan-basket") == 3
    assert isinstance(sent[-1][0], VoidStockEntry)


# ---- the households policy's offers to sites -----------------------------------------------

PLAN = SetSlotPlan(campaign_id="ramadan-2026", site_id="site-asni", days=[date(2026, 3, 6)],
                   opens_at=9, closes_at=12, per_hour=2, region_codes=["MA07"])  # fmt: skip


def planned() -> AggregateStore[Any]:
    """The sites' writer, Asni's plan set."""
    store = AggregateStore(SlotsDecider())
    decide(store, CommandEnvelope.of(PLAN, "plan-1", SAID, MORNING))
    return store


def offer(
    n: int, site: str | None = "site-asni", moved_from: str | None = None, flow: str = ""
) -> list[Sent]:
    """The households policy's commands for household `hh-n` (registered, or moved), in a
    flow of its own unless `flow` names one (an import's batch)."""
    event: HouseholdRegistered | HouseholdProfileUpdated
    if moved_from is None:
        event = HouseholdRegistered(
            household_id=f"hh-{n}", identity=f"pseudonym-{n:06d}", size=4, region_code="MA07",
            groups=["children"], sealed_personal_data="sealed:v1:…", site_id=site,
        )  # fmt: skip
    else:
        event = HouseholdProfileUpdated(
            household_id=f"hh-{n}", identity=f"pseudonym-{n:06d}", size=5, region_code="MA07",
            groups=["elderly"], site_id=site, previous_site_id=moved_from,
        )  # fmt: skip
    own = f"register-{n}-{moved_from}"
    envelope = _envelope(event, flow or own, ILHAM)
    return offer_to_site(event, envelope.model_copy(update={"event_id": event_id_for(own, 0)}))


def test_a_partition_s_offers_in_a_row_travel_as_one_a_withdrawal_closes_the_run() -> None:
    asked = [*offer(1), *offer(2, "site-amizmiz"), *offer(3, "site-tahannaout"),
             *offer(1, "site-amizmiz", moved_from="site-asni"), *offer(4)]  # fmt: skip

    sent = gathered(asked, partition_of)

    assert [(type(c).__name__, [i.split(":")[0] for i in ids((c, w))]) for c, w in sent] == [
        ("OffersToSites", ["OfferHouseholds", "OfferHouseholds"]),
        ("OfferHouseholds", ["OfferHouseholds"]),
        ("WithdrawHouseholds", ["WithdrawHouseholds"]),
        ("OffersToSites", ["OfferHouseholds", "OfferHouseholds"]),
    ]
    assert [i for s in sent for i in ids(s)] == [
        w.command_id for _, w in [asked[0], asked[1], asked[2], asked[3], asked[4], asked[5]]
    ]


def test_commands_of_two_streams_on_one_partition_number_are_gathered_apart() -> None:
    asked = [*offer(1), handed(1), *offer(2), handed(2)]

    sent = gathered(asked, partition_of)

    assert [type(c).__name__ for c, _ in sent] == ["OffersToSites", "ConsumeForDistributions"]


def test_offers_decided_together_write_what_they_write_alone_slots_included() -> None:
    asked = [*offer(1), *offer(2), *offer(3, "site-amizmiz"), *offer(4), *offer(5)]
    [(_, wire)] = gathered(asked, partition_of)
    together, alone = planned(), planned()

    in_one = decide(together, wire)
    one_by_one = [decide(alone, w) for _, w in asked]

    assert written([in_one]) == written(one_by_one)
    kinds = [e["type"] for _, e in written([in_one])]
    assert kinds.count("HouseholdsExpected") == 5 and kinds.count("SlotAssigned") == 4
    assert together.states == alone.states
    again = decide(together, wire)  # the policy reacting again after a crash
    assert again.events == []


def test_an_import_s_offers_to_one_site_travel_as_one_offer_and_get_the_same_slots() -> None:
    """One flow (an import's batch): the offers to one site are one offer of all their
    households, written as one `HouseholdsExpected`; each household gets the slot it gets
    alone."""
    asked = [*offer(1, flow="import"), *offer(2, flow="import"),
             *offer(3, "site-amizmiz", flow="import"), *offer(4, flow="import"),
             *offer(5, flow="import")]  # fmt: skip
    [(batch, wire)] = gathered(asked, partition_of)
    together, alone = planned(), planned()

    in_one = decide(together, wire)
    one_by_one = [decide(alone, w) for _, w in asked]

    assert isinstance(batch, OffersToSites)
    offers = [(c.command.site_id, [h.household_id for h in c.command.households])
              for c in batch.gathered]  # fmt: skip
    assert offers == [("site-asni", ["hh-1", "hh-2", "hh-4", "hh-5"]), ("site-amizmiz", ["hh-3"])]
    slots = [[(e["data"]["household_id"], e["data"]["hour"]) for _, e in written(decided)
              if e["type"] == "SlotAssigned"] for decided in ([in_one], one_by_one)]  # fmt: skip
    assert slots[0] == slots[1] == [("hh-1", 9), ("hh-2", 9), ("hh-4", 10), ("hh-5", 10)]
    expected = [e["data"] for _, e in written([in_one]) if e["type"] == "HouseholdsExpected"]
    assert [[h["household_id"] for h in e["households"]] for e in expected] == [
        ["hh-1", "hh-2", "hh-4", "hh-5"],
        ["hh-3"],
    ]
    assert together.states == alone.states  # the same households expected, the same slots
    assert gathered(list(asked), partition_of) == [(batch, wire)]  # the same events: same ids
    assert decide(together, wire).events == []  # the policy reacting again after a crash


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_an_import_s_offers_cut_otherwise_after_a_crash_write_nothing_more(cut: int) -> None:
    asked = [*offer(1, flow="import"), *offer(2, flow="import"), *offer(3, flow="import"),
             *offer(4, flow="import")]  # fmt: skip
    store, once = planned(), planned()
    first = decide(store, gathered(asked[:cut], partition_of)[0][1])

    again = decide(store, gathered(asked, partition_of)[0][1])
    decide(once, gathered(asked, partition_of)[0][1])

    kinds = [type(e).__name__ for _, e in again.events]
    assert first.events and kinds == ["HouseholdsExpected"] + ["SlotAssigned"] * (4 - cut)
    [(_, expected), *_] = again.events
    assert isinstance(expected, HouseholdsExpected)
    assert [h.household_id for h in expected.households] == [f"hh-{n}" for n in range(cut + 1, 5)]
    assert store.states == once.states


def test_a_site_s_offers_keep_their_order_across_flows_and_a_household_its_last_profile() -> None:
    moved = offer(1, "site-asni", moved_from="site-amizmiz", flow="import")
    asked = [*offer(1, flow="import"), *offer(2, flow="desk"), *offer(3, flow="import"),
             moved[1], *offer(4, "site-amizmiz", flow="import")]  # fmt: skip

    sent = gathered(asked, partition_of)

    [batch] = [c for c, _ in sent]
    assert isinstance(batch, OffersToSites)
    offers = [(c.command.site_id, c.sender.correlation_id,
               [(h.household_id, h.groups) for h in c.command.households])
              for c in batch.gathered]  # fmt: skip
    assert offers == [
        ("site-asni", "import", [("hh-1", ["children"])]),
        ("site-asni", "desk", [("hh-2", ["children"])]),
        ("site-asni", "import", [("hh-3", ["children"]), ("hh-1", ["elderly"])]),
        ("site-amizmiz", "import", [("hh-4", ["children"])]),
    ]


def test_an_offer_merged_stays_within_what_one_offer_may_carry() -> None:
    def many(start: int) -> Sent:
        [(one, _)] = offer(start, flow="import")
        assert isinstance(one, OfferHouseholds)
        households = [one.households[0].model_copy(update={"household_id": f"hh-{start + i}"})
                      for i in range(400)]  # fmt: skip
        command = OfferHouseholds(site_id="site-asni", households=households)
        return command, CommandEnvelope.of(command, f"app-{start}", ILHAM, MORNING,
                                           correlation_id="import")  # fmt: skip

    [(batch, _)] = gathered([many(0), many(400), many(800)], partition_of)

    assert isinstance(batch, OffersToSites)
    assert [len(c.command.households) for c in batch.gathered] == [800, 400]
