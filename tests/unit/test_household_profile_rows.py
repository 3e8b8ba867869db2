"""The registry's households rows follow profile updates, and coverage with them, on SQLite
and PostgreSQL: in order, in any interleaving with the campaigns, and after a rebuild."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Engine, select

from events.households import (
    CampaignOpened,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    MemberCounts,
    PersonalDataErased,
)
from projections import households_queries
from projections.tables import households
from tests.support.aid_log import START, AidLog, batches, forget, interleaving, one_by_one, project

IDENTITY = "p00000001"
COUNTS = MemberCounts(counted_on=date(2024, 3, 2), females_18_59=1, males_0_4=1,
                      males_60_plus=1, disabled_members=1)  # fmt: skip


def campaign(campaign_id: str, region: str) -> CampaignOpened:
    return CampaignOpened(campaign_id=campaign_id, name=campaign_id, item_id="food-basket",
                          quantity_per_household=1, starts_on=date(2024, 3, 1),
                          ends_on=date(2024, 4, 30), region_codes=[region])  # fmt: skip


def story() -> AidLog:
    """A household of Al Haouz registered, moved to Souss-Massa with its three members
    counted and its personal data sealed again, then assessed again without new sealed data;
    one campaign per region."""
    log = AidLog()
    log.append(campaign("camp-haouz", "MA-07"), "open:haouz", START)
    log.append(
        HouseholdRegistered(household_id="hh-1", identity=IDENTITY, size=2, region_code="MA-07",
                            province_code="MA-07-071", sealed_personal_data="sealed:1"),
        "register:1", START,
    )  # fmt: skip
    moved = HouseholdProfileUpdated(
        household_id="hh-1", identity=IDENTITY, size=3, region_code="MA-09",
        province_code="MA-09-091", groups=["disability"], members=COUNTS,
        sealed_personal_data="sealed again:1",
    )  # fmt: skip
    log.append(moved, "update:1", START + timedelta(days=1))
    scored = moved.model_copy(update={"precarity_score": 30.0, "sealed_personal_data": None})
    log.append(scored, "update:2", START + timedelta(days=2))
    log.append(campaign("camp-souss", "MA-09"), "open:souss", START + timedelta(days=3))
    return log


def row(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(select(households)).mappings().one())


def eligible(engine: Engine) -> dict[str, int]:
    return {
        campaign_id: sum(
            a["eligible_households"] for a in households_queries.coverage(engine, campaign_id)
        )
        for campaign_id in ("camp-haouz", "camp-souss")
    }


def test_the_row_holds_the_latest_profile_its_member_counts_and_the_last_sealed_data(
    engine: Engine,
) -> None:
    forget(engine)
    project(engine, one_by_one(story().messages))

    found = row(engine)
    assert (found["size"], found["region_code"], found["province_code"]) == (
        3,
        "MA-09",
        "MA-09-091",
    )
    assert (found["groups"], found["precarity_score"]) == (["disability"], 30.0)
    assert found["sealed_personal_data"] == "sealed again:1"  # the last update sealed nothing
    assert (found["females_18_59"], found["males_0_4"], found["males_60_plus"]) == (1, 1, 1)
    assert (found["disabled_members"], found["females_0_4"]) == (1, 0)
    assert found["members_counted_on"] == date(2024, 3, 2)
    assert eligible(engine) == {"camp-haouz": 0, "camp-souss": 1}


def test_in_any_interleaving_and_batches_the_counts_follow_the_household(engine: Engine) -> None:
    log, rng = story(), random.Random(15)

    for _ in range(8):
        forget(engine)
        project(engine, batches(interleaving(log, rng), rng))

        assert eligible(engine) == {"camp-haouz": 0, "camp-souss": 1}
        assert row(engine)["region_code"] == "MA-09"


def test_an_update_never_brings_sealed_data_back_after_an_erasure(engine: Engine) -> None:
    log = story()
    log.append(PersonalDataErased(household_id="hh-1", identity=IDENTITY), "erase", START)
    stray = HouseholdProfileUpdated(
        household_id="hh-1", identity=IDENTITY, size=3, region_code="MA-09",
        sealed_personal_data="sealed:late",
    )  # fmt: skip
    log.append(stray, "update:late", START)
    forget(engine)

    project(engine, [log.messages])  # one batch: the erasure between two updates

    found = row(engine)
    assert (found["erased"], found["sealed_personal_data"], found["identity"]) == (True, None, None)
