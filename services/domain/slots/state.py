"""A site's appointments as its writer sees them: the plan of each campaign there, the slot
each household holds, and the households the site expects (with the profile a campaign's
rules read)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from immutables import Map

from events import Event
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
from services.domain.dispatching import on_message
from services.domain.distributions.eligibility import CampaignTerms, Profile, eligibility

Slot = tuple[date, int]  # (day, hour)
# who is served in the first hours of each day
PRIORITY_GROUPS = frozenset({"elderly", "disability"})


@dataclass(frozen=True)
class Plan:
    """One campaign's plan at the site and the slots held in it."""

    rules: SlotPlanSet
    days: tuple[date, ...]  # open days, in order (a closed day is no longer one)
    # household -> its slot; persistent maps here and below, so that a site's thousands of
    # households are not copied each time one more is expected or given a slot
    held: Map[str, Slot] = field(default_factory=Map)
    filled: Mapping[Slot, int] = field(default_factory=dict)

    def slots(self, after: date | None = None) -> Iterator[Slot]:
        """Every slot in order (only those of days after `after`, when given)."""
        for day in self.days:
            if after is None or day > after:
                for hour in range(self.rules.opens_at, self.rules.closes_at):
                    yield day, hour

    def has(self, slot: Slot) -> bool:
        day, hour = slot
        return day in self.days and self.rules.opens_at <= hour < self.rules.closes_at

    def free(self, slot: Slot) -> int:
        return self.rules.per_hour - self.filled.get(slot, 0)

    def admits(self, household: ExpectedHousehold) -> bool:
        """Whether the campaign's rules (as the plan holds them) admit the household: the
        eligibility every decider uses, on the rules alone (the plan carries no item)."""
        rules = self.rules
        terms = CampaignTerms.model_construct(
            campaign_id=rules.campaign_id,
            region_codes=rules.region_codes,
            groups=list(rules.groups),
            max_precarity_score=rules.max_precarity_score,
        )
        profile = Profile(household.region_code, None, tuple(household.groups),
                          household.precarity_score)  # fmt: skip
        return eligibility(profile, terms)[0]


@dataclass(frozen=True)
class SiteSlots:
    plans: Mapping[str, Plan] = field(default_factory=dict)  # by campaign
    expected: Map[str, ExpectedHousehold] = field(default_factory=Map)  # by household

    def waiting(self, campaign_id: str) -> list[str]:
        """The households the campaign's plan admits that hold no slot yet, by id."""
        plan = self.plans[campaign_id]
        return sorted(
            h for h, household in self.expected.items()
            if h not in plan.held and plan.admits(household)
        )  # fmt: skip


def _held(plan: Plan, household_id: str, slot: Slot, before: Slot | None = None) -> Plan:
    filled = dict(plan.filled)
    if before is not None:
        filled[before] -= 1
    filled[slot] = filled.get(slot, 0) + 1
    return replace(plan, held=plan.held.set(household_id, slot), filled=filled)


def _with_plan(state: SiteSlots, campaign_id: str, plan: Plan) -> SiteSlots:
    return replace(state, plans={**state.plans, campaign_id: plan})


@on_message
def evolve(state: SiteSlots, event: Event) -> SiteSlots:
    return state


@evolve.register
def _(state: SiteSlots, event: SlotPlanSet) -> SiteSlots:
    days = tuple(sorted(set(event.days)))
    current = state.plans.get(event.campaign_id)
    plan = Plan(event, days) if current is None else replace(current, rules=event, days=days)
    return _with_plan(state, event.campaign_id, plan)


@evolve.register
def _(state: SiteSlots, event: HouseholdsExpected) -> SiteSlots:
    return replace(
        state, expected=state.expected.update({h.household_id: h for h in event.households})
    )


@evolve.register
def _(state: SiteSlots, event: SlotAssigned) -> SiteSlots:
    plan = _held(state.plans[event.campaign_id], event.household_id, (event.day, event.hour))
    return _with_plan(state, event.campaign_id, plan)


@evolve.register
def _(state: SiteSlots, event: HouseholdsWithdrawn) -> SiteSlots:
    expected = state.expected.mutate()
    for household_id in event.household_ids:
        expected.pop(household_id, None)
    return replace(state, expected=expected.finish())


@evolve.register
def _(state: SiteSlots, event: SlotReleased) -> SiteSlots:
    plan = state.plans[event.campaign_id]
    filled = dict(plan.filled)
    filled[(event.day, event.hour)] -= 1
    held = plan.held.delete(event.household_id) if event.household_id in plan.held else plan.held
    return _with_plan(state, event.campaign_id, replace(plan, held=held, filled=filled))


@evolve.register
def _(state: SiteSlots, event: SlotMoved) -> SiteSlots:
    plan = state.plans[event.campaign_id]
    plan = _held(plan, event.household_id, (event.day, event.hour),
                 (event.from_day, event.from_hour))  # fmt: skip
    return _with_plan(state, event.campaign_id, plan)


@evolve.register
def _(state: SiteSlots, event: SiteDayClosed) -> SiteSlots:
    plan = state.plans[event.campaign_id]
    days = tuple(d for d in plan.days if d != event.day)
    return _with_plan(state, event.campaign_id, replace(plan, days=days))


@evolve.register
def _(state: SiteSlots, event: SlotDayAdded) -> SiteSlots:
    plan = state.plans[event.campaign_id]
    days = tuple(sorted({*plan.days, event.day}))
    return _with_plan(state, event.campaign_id, replace(plan, days=days))


def first(household: ExpectedHousehold | None) -> bool:
    """Whether the household is served in the first hours: the elderly, people with
    disabilities."""
    return household is not None and bool(PRIORITY_GROUPS & set(household.groups))


def place(
    plan: Plan, household_ids: list[str], after: date | None = None, early: Collection[str] = ()
) -> list[tuple[str, Slot]]:
    """The next free slots for as many of the households as fit (in the order given), never
    more in an hour than the plan's capacity. Those in `early` come first and take the first
    hours of each day (every day's first hour, then every day's second...); the others fill
    the slots day by day, each hour before the next."""
    placed: list[tuple[str, Slot]] = []
    taken: Counter[Slot] = Counter()

    def fill(households: list[str], order: list[Slot]) -> None:
        waiting = iter(households)
        for slot in order:
            for _ in range(max(plan.free(slot) - taken[slot], 0)):
                household_id = next(waiting, None)
                if household_id is None:
                    return
                placed.append((household_id, slot))
                taken[slot] += 1

    slots = list(plan.slots(after))
    fill([h for h in household_ids if h in early], sorted(slots, key=lambda s: (s[1], s[0])))
    fill([h for h in household_ids if h not in early], slots)
    return placed
