"""Coverage counted as events arrive equals coverage counted by scanning the registry.

Campaigns with rules (regions, target groups, a precarity ceiling, more for larger
households) open, and change their
areas, at random moments among registrations, distributions (some partial, some flagged
duplicates resolved later as second records or as exceptions, some voided later, exceptions
too) and erasures; the
log is read in any interleaving of its partitions, in batches of any size. The counts the
registry projection keeps must equal a scan of its households and distributions judged by
the same `eligibility` and `entitlement` the agents' answers use, and equal it again after
a rebuild; per target group too. SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from events.households import (
    AidDistributed,
    CampaignAreasChanged,
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    PersonalDataErased,
)
from projections import households_queries
from projections.social_watch_writer import score_band
from projections.tables import (
    COUNTED,
    campaigns,
    coverage_counts,
    coverage_group_counts,
    distribution_days,
    distributions,
    households,
    registry_counts,
    registry_months,
    site_counts,
)
from services.domain.distributions.eligibility import (
    CampaignTerms,
    Profile,
    eligibility,
    entitlement,
)
from services.domain.distributions.site_lists import STATUSES, status_of
from tests.support.aid_log import (
    START,
    AidLog,
    batches,
    forget,
    interleaving,
    one_by_one,
    project,
    ramadan,
)

AREAS = {
    "MA-07": ["MA-07-071", "MA-07-072", None],
    "MA-06": ["MA-06-141"],
    "MA-09": ["MA-09-091", "MA-09-092"],
}
GROUPS = ["children", "women", "elderly", "disability"]
SITES = [None, "site-amizmiz", "site-asni"]


def a_log(rng: random.Random, steps: int) -> AidLog:
    """Campaigns, households (their profiles updated now and then), distributions and
    erasures in a random order of time."""
    log, now = AidLog(), START
    opened: list[str] = []
    regions: dict[str, list[str]] = {}
    people: list[tuple[str, str, str, str | None]] = []
    handed: dict[tuple[str, str], str] = {}
    accepted: list[AidDistributed | DuplicateAccepted] = []
    flagged: list[DuplicateDistributionFlagged] = []
    erased: set[str] = set()
    assessed: dict[str, tuple[list[str], float | None]] = {}  # groups and score, as last told
    for step in range(steps):
        now += timedelta(hours=rng.randint(1, 5))
        action = rng.choices(
            ["campaign", "register", "serve", "erase", "void", "resolve", "retarget", "update"],
            [1, 6, 6, 1, 2, 2, 1, 3],
        )[0]
        still = [n for n, p in enumerate(people) if p[0] not in erased]
        if action == "update" and still:  # the writer refuses to update an erased household
            n = rng.choice(still)
            household, identity, region, province = people[n]
            if rng.random() < 0.4:  # the family grew or shrank, nothing else changed
                groups, score = assessed[household]
                updated = HouseholdProfileUpdated(
                    household_id=household, identity=identity, size=rng.randint(1, 8),
                    region_code=region, province_code=province, groups=groups,
                    precarity_score=score,
                )  # fmt: skip
            else:
                updated = a_profile_update(rng, household, identity)
            log.append(updated, f"update:{step}", now)
            people[n] = (household, identity, updated.region_code, updated.province_code)
            assessed[household] = (list(updated.groups), updated.precarity_score)
            continue
        if action == "update":
            action = "register"
        if action == "retarget" and opened:
            campaign = rng.choice(opened)
            moved = sorted(rng.sample(sorted(AREAS), k=rng.randint(0, 2)))
            changed = CampaignAreasChanged(
                campaign_id=campaign, region_codes=moved, previous_region_codes=regions[campaign],
                effective_on=now.date(), reason="the valleys cut off",
            )  # fmt: skip
            log.append(changed, f"retarget:{step}", now)
            regions[campaign] = moved
            continue
        if action == "retarget":
            action = "register"
        if action == "resolve" and flagged:
            resolved = resolution(flagged.pop(rng.randrange(len(flagged))), rng.random() < 0.5)
            log.append(resolved, f"resolve:{resolved.distribution_id}", now)
            if isinstance(resolved, DuplicateAccepted):
                accepted.append(resolved)
            continue
        if action == "resolve":
            action = "serve"
        if action == "void" and accepted:
            aid = accepted.pop(rng.randrange(len(accepted)))
            voided = DistributionVoided(
                **aid.model_dump(
                    include={"distribution_id", "household_id", "identity", "campaign_id",
                             "site_id", "item_id", "quantity"}
                ),
                reason="wrong household",
            )  # fmt: skip
            log.append(voided, f"void:{aid.distribution_id}", now)
            continue
        if action == "void":
            action = "serve"
        if action == "campaign" or (action == "serve" and not opened):
            campaign = f"camp-{step}"
            rules = CampaignOpened(
                campaign_id=campaign,
                name=campaign,
                item_id="food-basket",
                quantity_per_household=3,
                starts_on=date(2024, 3, 1),
                ends_on=date(2024, 4, 30),
                region_codes=rng.sample(sorted(AREAS), k=rng.randint(0, 2)),
                groups=rng.sample(GROUPS, k=rng.choice((0, 0, 1, 2))),
                max_precarity_score=rng.choice((None, None, 40.0, 55.5)),
                larger_households=rng.choice(
                    (None, {"min_size": rng.randint(2, 7), "quantity": rng.randint(4, 6)})
                ),
            )
            log.append(rules, f"open:{campaign}", now)
            opened.append(campaign)
            regions[campaign] = rules.region_codes
        elif action == "register" or not people:
            household = f"hh-{step}"
            region = rng.choice(sorted(AREAS))
            province = rng.choice(AREAS[region])
            identity = f"p{step:08d}"
            registered = HouseholdRegistered(
                household_id=household,
                identity=identity,
                national_id_pseudonym=f"n{identity}",
                size=rng.randint(1, 8),
                region_code=region,
                province_code=province,
                groups=rng.sample(GROUPS, k=rng.randint(0, 2)),
                precarity_score=rng.choice((None, 12.5, 40.0, 47.25, 80.0)),
                sealed_personal_data=f"sealed:{household}",
                site_id=rng.choice(SITES),
            )
            log.append(registered, f"register:{household}", now)
            people.append((household, identity, region, province))
            assessed[household] = (list(registered.groups), registered.precarity_score)
        elif action == "serve":
            household, identity, region, province = rng.choice(people)
            campaign = rng.choice(opened)
            given = {
                "distribution_id": f"d-{step}",
                "household_id": household,
                "identity": identity,
                "campaign_id": campaign,
                "site_id": rng.choice(("site-amizmiz", "site-asni")),
                "item_id": "food-basket",
                "quantity": rng.randint(1, 3),
                "region_code": region,
                "province_code": province,
            }
            first = handed.get((campaign, household))
            if first is not None and rng.random() < 0.5:
                duplicate = DuplicateDistributionFlagged(
                    **given, first_distribution_id=first, already_received=1, distributed_at=now
                )
                log.append(duplicate, f"serve:d-{step}", now)
                flagged.append(duplicate)
            else:  # a first basket, or the rest of a partial entitlement
                handed.setdefault((campaign, household), f"d-{step}")
                aid = AidDistributed(**given, distributed_at=now)
                log.append(aid, f"serve:d-{step}", now)
                accepted.append(aid)
        else:
            household, identity, _, _ = rng.choice(people)
            forgotten = PersonalDataErased(household_id=household, identity=identity)
            log.append(forgotten, f"erase:{step}", now)
            erased.add(household)
    return log


def a_profile_update(rng: random.Random, household: str, identity: str) -> HouseholdProfileUpdated:
    """The household assessed again: moved, or its groups or score changed, or the same."""
    region = rng.choice(sorted(AREAS))
    return HouseholdProfileUpdated(
        household_id=household,
        identity=identity,
        size=rng.randint(1, 8),
        region_code=region,
        province_code=rng.choice(AREAS[region]),
        groups=rng.sample(GROUPS, k=rng.randint(0, 2)),
        precarity_score=rng.choice((None, 12.5, 40.0, 47.25, 80.0)),
        sealed_personal_data=rng.choice((None, f"sealed again:{household}")),
        site_id=rng.choice(SITES),
    )


def resolution(
    flagged: DuplicateDistributionFlagged, accept: bool
) -> DuplicateAccepted | DuplicateVoided:
    """A coordinator's decision on a flagged duplicate."""
    fields = flagged.model_dump(
        include={"distribution_id", "household_id", "identity", "campaign_id", "site_id",
                 "item_id", "quantity"}
    )  # fmt: skip
    if not accept:
        return DuplicateVoided(**fields, reason="synced twice")
    return DuplicateAccepted(
        **fields, region_code=flagged.region_code, province_code=flagged.province_code,
        distributed_at=flagged.distributed_at or START, reason="family of eleven",
    )  # fmt: skip


def scanned(engine: Engine) -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    """Coverage by reading every household and distribution, as the API once did."""
    counts: Counter[tuple[tuple[str, str, str], str]] = Counter()
    with engine.connect() as conn:
        all_households = conn.execute(select(households)).mappings().all()
        for campaign in conn.execute(select(campaigns)).mappings().all():
            terms = CampaignTerms.model_validate(dict(campaign))
            for h in all_households:
                profile = Profile(
                    h["region_code"], h["province_code"], tuple(h["groups"]), h["precarity_score"]
                )
                if eligibility(profile, terms)[0]:
                    area = (terms.campaign_id, h["region_code"], h["province_code"] or "")
                    counts[(area, "eligible")] += 1
                    counts[(area, "entitled")] += entitlement(terms, h["size"])
        reached: set[tuple[str, str]] = set()
        # reached where first served: a household that moved has baskets of two areas
        given = (
            select(distributions)
            .where(distributions.c.status.in_(COUNTED))
            .order_by(distributions.c.occurred_at, distributions.c.distribution_id)
        )
        for d in conn.execute(given).mappings().all():
            area = (d["campaign_id"], d["region_code"], d["province_code"] or "")
            counts[(area, "quantity")] += d["quantity"]
            if (d["campaign_id"], d["household_id"]) not in reached:
                reached.add((d["campaign_id"], d["household_id"]))
                counts[(area, "reached")] += 1
    areas = {area for area, _ in counts}
    return {
        a: tuple(counts[(a, n)] for n in ("eligible", "entitled", "reached", "quantity"))
        for a in areas
    }


def kept(engine: Engine) -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    c = coverage_counts
    with engine.connect() as conn:
        rows = conn.execute(select(c)).mappings().all()
    counted = ("eligible_households", "entitled_quantity", "reached_households", "quantity")
    return {
        (r["campaign_id"], r["region_code"], r["province_code"]): tuple(r[n] for n in counted)
        for r in rows
        if any(r[n] for n in counted)
    }


def groups_scanned(engine: Engine) -> dict[tuple[str, ...], tuple[int, int, int, int]]:
    """The same per target group: a household in each of its groups, with its members."""
    counts: Counter[tuple[tuple[str, ...], str]] = Counter()
    with engine.connect() as conn:
        every = {h["household_id"]: h for h in conn.execute(select(households)).mappings()}
        for campaign in conn.execute(select(campaigns)).mappings().all():
            terms = CampaignTerms.model_validate(dict(campaign))
            for h in every.values():
                profile = Profile(
                    h["region_code"], h["province_code"], tuple(h["groups"]), h["precarity_score"]
                )
                if eligibility(profile, terms)[0]:
                    for group in set(h["groups"]):
                        key = (terms.campaign_id, h["region_code"], h["province_code"] or "", group)
                        counts[(key, "eligible")] += 1
                        counts[(key, "eligible people")] += h["size"]
        reached: set[tuple[str, str]] = set()
        given = (
            select(distributions)
            .where(distributions.c.status.in_(COUNTED))
            .order_by(distributions.c.occurred_at, distributions.c.distribution_id)
        )
        for d in conn.execute(given).mappings().all():
            if (d["campaign_id"], d["household_id"]) in reached:
                continue
            reached.add((d["campaign_id"], d["household_id"]))
            h = every.get(d["household_id"])
            for group in set(h["groups"]) if h is not None else ():
                key = (d["campaign_id"], d["region_code"], d["province_code"] or "", group)
                counts[(key, "reached")] += 1
                counts[(key, "reached people")] += h["size"]
    names = ("eligible", "eligible people", "reached", "reached people")
    keys = {key for key, _ in counts}
    return {k: tuple(counts[(k, n)] for n in names) for k in keys}


def groups_kept(engine: Engine) -> dict[tuple[str, ...], tuple[int, int, int, int]]:
    g = coverage_group_counts
    with engine.connect() as conn:
        rows = conn.execute(select(g)).mappings().all()
    counted = ("eligible_households", "eligible_people", "reached_households", "reached_people")
    return {
        (r["campaign_id"], r["region_code"], r["province_code"], r["target_group"]): tuple(
            r[n] for n in counted
        )
        for r in rows
    }


def registry_scanned(engine: Engine, log: AidLog) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The social watch by reading every household as it stands, and every registration and
    assessment in the log with its month."""
    standing: Counter[tuple[Any, ...]] = Counter()
    with engine.connect() as conn:
        for h in conn.execute(select(households)).mappings():
            for group in ["", *set(h["groups"])]:
                key = (h["region_code"], h["province_code"] or "", group,
                       score_band(h["precarity_score"]))  # fmt: skip
                standing[(*key, "households")] += 1
                standing[(*key, "people")] += h["size"]
    months: Counter[tuple[Any, ...]] = Counter()
    for m in log.messages:
        if isinstance(m.event, HouseholdRegistered | HouseholdProfileUpdated):
            e, at = m.event, m.envelope.occurred_at
            for group in ["", *set(e.groups)]:
                key = (date(at.year, at.month, 1), e.region_code, e.province_code or "", group)
                months[(*key, "registered")] += isinstance(e, HouseholdRegistered)
                months[(*key, "assessed")] += 1
                if e.precarity_score is not None:
                    months[(*key, "scored")] += 1
                    months[(*key, "score_hundredths")] += round(e.precarity_score * 100)
    return {k: n for k, n in standing.items() if n}, {k: n for k, n in months.items() if n}


def registry_kept(engine: Engine) -> tuple[dict[Any, Any], dict[Any, Any]]:
    r, m = registry_counts, registry_months
    standing: dict[Any, Any] = {}
    months: dict[Any, Any] = {}
    with engine.connect() as conn:
        for row in conn.execute(select(r)).mappings():
            key = (row["region_code"], row["province_code"], row["target_group"], row["score_band"])
            standing |= {(*key, n): row[n] for n in ("households", "people") if row[n]}
        for row in conn.execute(select(m)).mappings():
            key = (row["month"], row["region_code"], row["province_code"], row["target_group"])
            months |= {
                (*key, n): row[n]
                for n in ("registered", "assessed", "scored", "score_hundredths")
                if row[n]
            }
    return standing, months


def sites_scanned(engine: Engine) -> dict[tuple[str, str], tuple[int, ...]]:
    """Per campaign and site, its expected households by status, judging every household."""
    counts: Counter[tuple[str, str, str]] = Counter()
    with engine.connect() as conn:
        records: dict[tuple[str, str], list[str]] = {}
        for d in conn.execute(select(distributions)).mappings():
            records.setdefault((d["campaign_id"], d["household_id"]), []).append(d["status"])
        every = conn.execute(select(households)).mappings().all()
        for campaign in conn.execute(select(campaigns)).mappings().all():
            terms = CampaignTerms.model_validate(dict(campaign))
            for h in every:
                profile = Profile(
                    h["region_code"], h["province_code"], tuple(h["groups"]), h["precarity_score"]
                )
                if h["site_id"] and not h["erased"] and eligibility(profile, terms)[0]:
                    held = records.get((terms.campaign_id, h["household_id"]), [])
                    status = status_of(held)
                    counts[(terms.campaign_id, h["site_id"], status)] += 1
                    entitled = entitlement(terms, h["size"])
                    counts[(terms.campaign_id, h["site_id"], "entitled")] += entitled
                    if status == "waiting":
                        counts[(terms.campaign_id, h["site_id"], "due")] += entitled
    pairs = {(c, site) for c, site, _ in counts}
    return {
        pair: (
            sum(counts[(*pair, st)] for st in STATUSES),
            *(counts[(*pair, st)] for st in STATUSES),
            counts[(*pair, "entitled")],
            counts[(*pair, "due")],
        )
        for pair in pairs
    }


def sites_kept(engine: Engine) -> dict[tuple[str, str], tuple[int, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(site_counts)).mappings().all()
    return {
        (r["campaign_id"], r["site_id"]): tuple(
            r[n] for n in ("expected", *STATUSES, "entitled_quantity", "due_quantity")
        )
        for r in rows
    }


def days_scanned(engine: Engine) -> dict[tuple[Any, ...], tuple[int, int]]:
    """The distributions report by reading every accepted distribution."""
    served: dict[tuple[Any, ...], set[str]] = {}
    quantity: Counter[tuple[Any, ...]] = Counter()
    with engine.connect() as conn:
        given = select(distributions).where(distributions.c.status.in_(COUNTED))
        for d in conn.execute(given).mappings():
            key = (d["campaign_id"], d["occurred_at"].date(), d["site_id"], d["item_id"],
                   d["region_code"], d["province_code"] or "")  # fmt: skip
            served.setdefault(key, set()).add(d["household_id"])
            quantity[key] += d["quantity"]
    return {key: (len(people), quantity[key]) for key, people in served.items()}


def days_kept(engine: Engine) -> dict[tuple[Any, ...], tuple[int, int]]:
    n = distribution_days
    with engine.connect() as conn:
        rows = conn.execute(select(n)).mappings().all()
    return {
        (r["campaign_id"], r["day"], r["site_id"], r["item_id"], r["region_code"],
         r["province_code"]): (r["households"], r["quantity"])
        for r in rows
        if (r["households"], r["quantity"]) != (0, 0)  # every distribution that day voided
    }  # fmt: skip


@given(seed=st.integers(0, 2**32 - 1), reader_seed=st.integers(0, 2**32 - 1))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_counts_kept_as_events_arrive_equal_a_scan_in_any_interleaving_and_after_a_rebuild(
    engine: Engine, seed: int, reader_seed: int
) -> None:
    forget(engine)
    log = a_log(random.Random(seed), steps=60)
    reader = random.Random(reader_seed)

    project(engine, batches(interleaving(log, reader), reader))
    live, live_days, live_groups = kept(engine), days_kept(engine), groups_kept(engine)
    live_registry, live_sites = registry_kept(engine), sites_kept(engine)
    forget(engine)
    project(engine, one_by_one(log.messages))

    assert live == scanned(engine)
    assert live_days == days_scanned(engine)
    assert live_groups == groups_scanned(engine)
    assert live_registry == registry_scanned(engine, log)
    assert live_sites == sites_scanned(engine)
    assert (kept(engine), days_kept(engine), groups_kept(engine), registry_kept(engine)) == (
        live,
        live_days,
        live_groups,
        live_registry,
    )
    assert sites_kept(engine) == live_sites
    assert statuses(engine, "voided") == of_type(log, DistributionVoided)
    assert statuses(engine, "voided_duplicate") == of_type(log, DuplicateVoided)
    assert statuses(engine, "exception") == of_type(log, DuplicateAccepted) - of_type(
        log, DistributionVoided
    )
    assert statuses(engine, "duplicate") == of_type(log, DuplicateDistributionFlagged) - of_type(
        log, DuplicateVoided, DuplicateAccepted
    )


def of_type(log: AidLog, *types: type) -> set[str]:
    return {m.event.distribution_id for m in log.messages if isinstance(m.event, types)}


def statuses(engine: Engine, status: str) -> set[str]:
    d = distributions
    with engine.connect() as conn:
        return set(conn.scalars(select(d.c.distribution_id).where(d.c.status == status)))


def test_a_voided_distribution_leaves_the_counts_and_a_second_basket_keeps_the_household(
    engine: Engine,
) -> None:
    log = AidLog()
    log.append(ramadan(quantity_per_household=2), "open", START)
    people = {}
    for n in range(2):
        people[n] = HouseholdRegistered(
            household_id=f"hh-{n}", identity=f"p{n:08d}", national_id_pseudonym=f"n{n}",
            size=4, region_code="MA-07", province_code="MA-07-071", groups=[],
            sealed_personal_data=f"sealed:{n}",
        )  # fmt: skip
        log.append(people[n], f"register:{n}", START)
    handed = []
    for n, hh in ((1, 0), (2, 0), (3, 1)):
        aid = AidDistributed(
            distribution_id=f"d-{n}", household_id=f"hh-{hh}", identity=f"p{hh:08d}",
            campaign_id="ramadan", site_id="site-asni", item_id="food-basket", quantity=1,
            region_code="MA-07", province_code="MA-07-071", distributed_at=START,
        )  # fmt: skip
        log.append(aid, f"serve:{n}", START)
        handed.append(aid)
    for aid in (handed[0], handed[2]):  # hh-0 keeps d-2; hh-1 has nothing left
        fields = aid.model_dump(
            include={"distribution_id", "household_id", "identity", "campaign_id", "site_id",
                     "item_id", "quantity"}
        )  # fmt: skip
        log.append(
            DistributionVoided(**fields, reason="typo"), f"void:{aid.distribution_id}", START
        )

    project(engine, one_by_one(log.messages))

    assert kept(engine) == {("ramadan", "MA-07", "MA-07-071"): (2, 4, 1, 1)}
    day = ("ramadan", START.date(), "site-asni", "food-basket", "MA-07", "MA-07-071")
    assert days_kept(engine) == {day: (1, 1)}
    assert statuses(engine, "voided") == {"d-1", "d-3"}


def test_a_campaign_opened_after_its_households_counts_them_and_what_they_received(
    engine: Engine,
) -> None:
    log = AidLog()
    for n, (region, groups) in enumerate([("MA-07", ["women"]), ("MA-07", []), ("MA-06", [])]):
        log.append(
            HouseholdRegistered(
                household_id=f"hh-{n}",
                identity=f"p0000000{n}",
                size=4,
                region_code=region,
                province_code="MA-07-071" if region == "MA-07" else None,
                groups=groups,
                sealed_personal_data="sealed",
            ),
            f"register:{n}",
            START,
        )
    opened = CampaignOpened(
        campaign_id="camp-women",
        name="Women of Al Haouz",
        item_id="food-basket",
        quantity_per_household=2,
        starts_on=date(2024, 3, 1),
        ends_on=date(2024, 4, 30),
        region_codes=["MA-07"],
        groups=["women"],
    )
    basket: dict[str, Any] = {
        "household_id": "hh-0",
        "identity": "p00000000",
        "campaign_id": "camp-women",
        "site_id": "site-amizmiz",
        "item_id": "food-basket",
        "quantity": 1,
        "region_code": "MA-07",
        "province_code": "MA-07-071",
        "distributed_at": START,
    }
    later = START + timedelta(days=1)
    log.append(AidDistributed(distribution_id="d-1", **basket), "serve:1", later)
    log.append(AidDistributed(distribution_id="d-2", **basket), "serve:2", later)
    log.append(opened, "open", later + timedelta(hours=1))

    distributions_first = [m for m in log.messages if m.topic != "reference"]
    project(engine, one_by_one([*distributions_first, log.messages[-1]]))

    assert households_queries.coverage(engine, "camp-women") == [
        {
            "region_code": "MA-07",
            "province_code": "MA-07-071",
            "eligible_households": 1,
            "entitled_quantity": 2,
            "reached_households": 1,
            "quantity": 2,
        }
    ]


def test_an_exception_counts_its_basket_not_its_household_twice_a_voided_duplicate_nothing(
    engine: Engine,
) -> None:
    """Served at Asni; two late records flagged: the one of the next day at Amizmiz accepted
    as an exception, the other (the Asni basket synced twice) voided. In any interleaving."""
    log = AidLog()
    log.append(
        CampaignOpened(campaign_id="ramadan", name="Ramadan", item_id="food-basket",
                       quantity_per_household=1, starts_on=date(2024, 3, 1),
                       ends_on=date(2024, 4, 30)),
        "open", START,
    )  # fmt: skip
    log.append(
        HouseholdRegistered(household_id="hh-0", identity="p00000000", size=11,
                            region_code="MA-07", province_code="MA-07-071", groups=[],
                            sealed_personal_data="sealed:0"),
        "register:0", START,
    )  # fmt: skip
    basket = {"household_id": "hh-0", "identity": "p00000000", "campaign_id": "ramadan",
              "item_id": "food-basket", "quantity": 1, "region_code": "MA-07",
              "province_code": "MA-07-071"}  # fmt: skip
    next_day = START + timedelta(days=1)
    log.append(
        AidDistributed(distribution_id="d-1", site_id="site-asni", distributed_at=START, **basket),
        "serve:1", START,
    )  # fmt: skip
    late = {"first_distribution_id": "d-1", "already_received": 1}
    for n, site, at in ((2, "site-amizmiz", next_day), (3, "site-asni", START)):
        flagged = DuplicateDistributionFlagged(
            distribution_id=f"d-{n}", site_id=site, distributed_at=at, **basket, **late
        )
        log.append(flagged, f"serve:{n}", at)
        log.append(resolution(flagged, accept=n == 2), f"resolve:{n}", next_day)
    area = ("ramadan", "MA-07", "MA-07-071")
    days = {
        ("ramadan", START.date(), "site-asni", "food-basket", "MA-07", "MA-07-071"): (1, 1),
        ("ramadan", next_day.date(), "site-amizmiz", "food-basket", "MA-07", "MA-07-071"): (1, 1),
    }
    rng = random.Random(2024)

    for _ in range(6):
        forget(engine)
        project(engine, batches(interleaving(log, rng), rng))

        assert kept(engine) == {area: (1, 1, 1, 2)}
        assert days_kept(engine) == days
        assert (statuses(engine, "exception"), statuses(engine, "voided_duplicate")) == (
            {"d-2"}, {"d-3"},
        )  # fmt: skip
        assert households_queries.duplicates(engine, "ramadan").items == []
        resolved = households_queries.duplicates(engine, "ramadan", resolved=True).items
        assert [(r["distribution_id"], r["status"], r["first_site_id"]) for r in resolved] == [
            ("d-3", "voided_duplicate", "site-asni"),
            ("d-2", "exception", "site-asni"),
        ]
