"""The migrations build exactly the tables the code declares (columns, keys, indexes), on
SQLite and PostgreSQL: a table or index added to `projections/tables.py` without its
migration, or the other way round, fails here."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select

from projections.database import alembic_config, make_engine, migrate
from projections.tables import (
    campaigns,
    coverage_counts,
    coverage_group_counts,
    coverage_terms,
    distribution_days,
    distributions,
    households,
    metadata,
    registry_counts,
    registry_months,
    site_counts,
    stock_movements,
    stock_use_days,
)

# Alembic's own table, and the key table an early revision made here: its keys move to the
# key store at start, and the empty table stays for older versions rolled back to.
NOT_DECLARED = {"alembic_version", "household_keys"}


def test_a_migrated_database_has_the_declared_tables_and_indexes(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = [
            d
            for d in compare_metadata(context, metadata)
            if not (d[0] == "remove_table" and d[1].name in NOT_DECLARED)
        ]

    assert differences == []


def test_a_migrated_database_has_the_declared_primary_keys(engine: Engine) -> None:
    """Alembic's comparison leaves primary keys out: a key changed in `tables.py` without its
    migration (or the other way round) fails here, columns in order."""
    found = inspect(engine)
    declared = {t.name: [c.name for c in t.primary_key.columns] for t in metadata.sorted_tables}
    migrated = {name: found.get_pk_constraint(name)["constrained_columns"] for name in declared}
    assert migrated == declared
    assert migrated["stock_movements"] == ["partition", "offset", "line"]


def test_the_distributions_report_counts_are_filled_from_what_was_projected_before(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/rm.db")
    command.upgrade(alembic_config(engine), "0010")
    at = datetime(2026, 3, 2, 9, 30)
    rows = [
        {"distribution_id": f"d-{n}", "status": status, "household_id": household,
         "campaign_id": "ramadan", "site_id": "site-asni", "item_id": "basket", "quantity": 1,
         "region_code": "MA07", "province_code": None, "occurred_at": at + timedelta(hours=n),
         "offline": False, "actor": "agent"}
        for n, (household, status) in enumerate(
            [("hh-1", "accepted"), ("hh-1", "accepted"), ("hh-2", "accepted"),
             ("hh-3", "duplicate")]
        )
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(distributions), rows)

    migrate(engine)

    with engine.connect() as conn:
        kept = conn.execute(select(distribution_days)).mappings().all()
    assert [dict(r) for r in kept] == [
        {"campaign_id": "ramadan", "day": date(2026, 3, 2), "site_id": "site-asni",
         "item_id": "basket", "region_code": "MA07", "province_code": "", "households": 2,
         "quantity": 3},
    ]  # fmt: skip


def test_the_entitled_quantities_are_filled_from_the_counts_and_households_projected_before(
    database_url: str,
) -> None:
    """Ramadan gives 1 basket, 2 from 6 members, in MA07 to a precarity score of at most 50:
    of its two eligible households in MA0701, the one of 7 is due 2. Winter gives 3 to all."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0028")
    at = datetime(2026, 3, 2, 9, 30)
    ramadan = {"campaign_id": "ramadan", "region_codes": ["MA07"], "groups": [],
               "max_precarity_score": 50.0}  # fmt: skip
    winter = {"campaign_id": "winter", "region_codes": [], "groups": [],
              "max_precarity_score": None}  # fmt: skip
    dates = {"item_id": "basket", "starts_on": date(2026, 3, 1), "ends_on": date(2026, 4, 30)}
    people = [("hh-1", 3, "MA07", "MA0701", 10.0), ("hh-2", 7, "MA07", "MA0701", 10.0),
              ("hh-3", 8, "MA09", None, 10.0), ("hh-4", 6, "MA07", None, 80.0)]  # fmt: skip
    counted = [("ramadan", "MA07", "MA0701", 2), ("winter", "MA07", "MA0701", 2),
               ("winter", "MA07", "", 1), ("winter", "MA09", "", 1)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(campaigns),
            [ramadan | dates | {"name": "Ramadan", "quantity_per_household": 1,
                                "larger_households": {"min_size": 6, "quantity": 2}},
             winter | dates | {"name": "Winter", "quantity_per_household": 3,
                               "larger_households": None}],
        )  # fmt: skip
        conn.execute(insert(coverage_terms), [ramadan, winter])
        conn.execute(
            insert(households),
            [{"household_id": h, "size": size, "region_code": region, "province_code": province,
              "groups": [], "precarity_score": score, "erased": False, "registered_at": at}
             for h, size, region, province, score in people],
        )  # fmt: skip
        conn.execute(
            insert(coverage_counts),
            [{"campaign_id": c, "region_code": r, "province_code": p, "eligible_households": n,
              "reached_households": 0, "quantity": 0} for c, r, p, n in counted],
        )  # fmt: skip

    migrate(engine)

    c = coverage_counts
    with engine.connect() as conn:
        kept = conn.execute(
            select(c.c.campaign_id, c.c.region_code, c.c.province_code, c.c.entitled_quantity)
        ).all()
        terms = conn.execute(
            select(coverage_terms.c.campaign_id, coverage_terms.c.quantity_per_household,
                   coverage_terms.c.larger_households)
        ).all()  # fmt: skip
    assert sorted(kept) == [("ramadan", "MA07", "MA0701", 3), ("winter", "MA07", "", 3),
                            ("winter", "MA07", "MA0701", 6), ("winter", "MA09", "", 3)]  # fmt: skip
    assert sorted(terms) == [("ramadan", 1, {"min_size": 6, "quantity": 2}), ("winter", 3, None)]
    engine.dispose()


def test_the_counts_per_target_group_are_filled_from_what_was_projected_before(
    database_url: str,
) -> None:
    """Ramadan is for households with children in MA07: hh-1 (4 members, children and
    elderly) and hh-2 (2, children) are eligible in MA0701; hh-1 was reached there twice
    (counted once), hh-2's basket was voided; hh-3 (elderly, MA09) is not eligible but was
    served as an exception, in MA09."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0029")
    at = datetime(2026, 3, 2, 9, 30)
    ramadan = {"campaign_id": "ramadan", "region_codes": ["MA07"], "groups": ["children"],
               "max_precarity_score": None}  # fmt: skip
    people = [("hh-1", 4, "MA07", "MA0701", ["children", "elderly"]),
              ("hh-2", 2, "MA07", "MA0701", ["children"]),
              ("hh-3", 1, "MA09", None, ["elderly"])]  # fmt: skip
    given = [("d-1", "hh-1", "accepted", "MA07", "MA0701"), ("d-2", "hh-1", "accepted", "MA07",
             "MA0701"), ("d-3", "hh-2", "voided", "MA07", "MA0701"),
             ("d-4", "hh-3", "exception", "MA09", None)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(coverage_terms), [ramadan | {"quantity_per_household": 1}])
        conn.execute(
            insert(households),
            [{"household_id": h, "size": size, "region_code": region, "province_code": province,
              "groups": groups, "precarity_score": None, "erased": False, "registered_at": at}
             for h, size, region, province, groups in people],
        )  # fmt: skip
        conn.execute(
            insert(distributions),
            [{"distribution_id": d, "status": status, "household_id": h, "campaign_id": "ramadan",
              "site_id": "site-asni", "item_id": "basket", "quantity": 1, "region_code": region,
              "province_code": province, "occurred_at": at + timedelta(hours=n),
              "offline": False, "actor": "agent"}
             for n, (d, h, status, region, province) in enumerate(given)],
        )  # fmt: skip

    migrate(engine)

    g = coverage_group_counts
    with engine.connect() as conn:
        kept = conn.execute(
            select(g.c.region_code, g.c.province_code, g.c.target_group, g.c.eligible_households,
                   g.c.eligible_people, g.c.reached_households, g.c.reached_people)
        ).all()  # fmt: skip
    assert sorted(kept) == [("MA07", "MA0701", "children", 2, 6, 1, 4),
                            ("MA07", "MA0701", "elderly", 1, 4, 1, 4),
                            ("MA09", "", "elderly", 0, 0, 1, 1)]  # fmt: skip
    engine.dispose()


def test_the_social_watch_and_the_site_counts_are_filled_from_what_was_projected_before(
    database_url: str,
) -> None:
    """Three households at Amizmiz (MA0701) registered in March, scored 12.5, 18 and none;
    one with children and elderly; Ramadan admits the region; hh-1 was served, hh-2's
    record waits as a duplicate, hh-3 (erased) is not expected any more."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0030")
    at = datetime(2026, 3, 2, 9, 30)
    people = [("hh-1", 4, ["children", "elderly"], 12.5, False),
              ("hh-2", 2, ["children"], 18.0, False), ("hh-3", 1, [], None, True)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(coverage_terms), [{
            "campaign_id": "ramadan", "region_codes": ["MA07"], "groups": [],
            "max_precarity_score": None, "quantity_per_household": 1,
        }])  # fmt: skip
        conn.execute(
            insert(households),
            [{"household_id": h, "size": size, "region_code": "MA07", "province_code": "MA0701",
              "groups": groups, "precarity_score": score, "erased": erased,
              "registered_at": at, "site_id": "site-amizmiz"}
             for h, size, groups, score, erased in people],
        )  # fmt: skip
        conn.execute(
            insert(distributions),
            [{"distribution_id": d, "status": status, "household_id": h, "campaign_id": "ramadan",
              "site_id": "site-amizmiz", "item_id": "basket", "quantity": 1,
              "region_code": "MA07", "province_code": "MA0701", "occurred_at": at,
              "offline": False, "actor": "agent"}
             for d, h, status in [("d-1", "hh-1", "accepted"), ("d-2", "hh-2", "duplicate")]],
        )  # fmt: skip

    migrate(engine)

    with engine.connect() as conn:
        standing = conn.execute(
            select(registry_counts.c.target_group, registry_counts.c.score_band,
                   registry_counts.c.households, registry_counts.c.people)
        ).all()  # fmt: skip
        months = conn.execute(
            select(registry_months.c.target_group, registry_months.c.registered,
                   registry_months.c.scored, registry_months.c.score_hundredths)
            .where(registry_months.c.month == date(2026, 3, 1))
        ).all()  # fmt: skip
        sites = conn.execute(select(site_counts)).mappings().all()
    assert sorted(standing) == [("", -1, 1, 1), ("", 10, 2, 6), ("children", 10, 2, 6),
                                ("elderly", 10, 1, 4)]  # fmt: skip
    assert sorted(months) == [("", 3, 2, 3050), ("children", 2, 2, 3050),
                              ("elderly", 1, 1, 1250)]  # fmt: skip
    assert [dict(r) for r in sites] == [
        {"campaign_id": "ramadan", "site_id": "site-amizmiz", "expected": 2, "waiting": 0,
         "served": 1, "flagged": 1, "entitled_quantity": 2, "due_quantity": 0},
    ]  # fmt: skip
    engine.dispose()


def test_the_site_entitlements_are_filled_from_what_was_projected_before(
    database_url: str,
) -> None:
    """Ramadan gives 1 basket, 2 from 6 members, in MA07. At Asni: one of 3 waiting (due 1),
    one of 7 served; at Amizmiz: one of 6 flagged, one of 6 waiting (due 2), one of MA09 not
    expected."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0031")
    at = datetime(2026, 3, 2, 9, 30)
    ramadan = {"campaign_id": "ramadan", "region_codes": ["MA07"], "groups": [],
               "max_precarity_score": None, "quantity_per_household": 1,
               "larger_households": {"min_size": 6, "quantity": 2}}  # fmt: skip
    people = [("hh-1", 3, "MA07", "site-asni"), ("hh-2", 7, "MA07", "site-asni"),
              ("hh-3", 6, "MA07", "site-amizmiz"), ("hh-4", 8, "MA09", "site-amizmiz"),
              ("hh-5", 6, "MA07", "site-amizmiz")]  # fmt: skip
    given = [("d-1", "hh-2", "accepted"), ("d-2", "hh-3", "duplicate")]
    with engine.begin() as conn:
        conn.execute(insert(coverage_terms), [ramadan])
        conn.execute(
            insert(households),
            [{"household_id": h, "size": size, "region_code": region, "province_code": None,
              "groups": [], "precarity_score": None, "erased": False, "registered_at": at,
              "site_id": site} for h, size, region, site in people],
        )  # fmt: skip
        conn.execute(
            insert(distributions),
            [{"distribution_id": d, "status": status, "household_id": h, "campaign_id": "ramadan",
              "site_id": "site-asni", "item_id": "basket", "quantity": 1, "region_code": "MA07",
              "province_code": None, "occurred_at": at, "offline": False, "actor": "agent"}
             for d, h, status in given],
        )  # fmt: skip

    migrate(engine)

    s = site_counts
    with engine.connect() as conn:
        kept = conn.execute(
            select(s.c.site_id, s.c.expected, s.c.waiting, s.c.served, s.c.flagged,
                   s.c.entitled_quantity, s.c.due_quantity).order_by(s.c.site_id)
        ).all()  # fmt: skip
    assert kept == [("site-amizmiz", 2, 1, 0, 1, 4, 2), ("site-asni", 2, 1, 1, 0, 3, 1)]
    engine.dispose()


def test_the_use_per_day_is_filled_from_the_stock_cards_projected_before(
    tmp_path: Path,
) -> None:
    """Handed out 5 and 3 on 2 March, 4 voided back; dispatched 10 on 3 March; a receipt
    is no use."""
    engine = make_engine(f"sqlite:///{tmp_path}/rm.db")
    command.upgrade(alembic_config(engine), "0038")
    at = datetime(2026, 3, 2, 9, 30)
    lines = [("StockDistributed", -5, 0), ("StockDistributed", -3, 1),
             ("StockDistributionVoided", 4, 2), ("TransferDispatched", -10, 24),
             ("StockReceived", 100, 25)]  # fmt: skip
    rows = [
        {"event_id": uuid.UUID(int=n), "line": 0, "partition": 0, "offset": n,
         "location_id": "site-asni", "item_id": "basket", "lot": "L-1", "kind": kind,
         "quantity": quantity, "reference_id": f"ref-{n}", "reason": None, "donation_id": None,
         "occurred_at": at + timedelta(hours=hours), "actor": "agent"}
        for n, (kind, quantity, hours) in enumerate(lines)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(stock_movements), rows)

    migrate(engine)

    with engine.connect() as conn:
        kept = conn.execute(select(stock_use_days).order_by(stock_use_days.c.day)).all()
    assert [(r.location_id, r.item_id, r.day, r.used) for r in kept] == [
        ("site-asni", "basket", date(2026, 3, 2), 4),
        ("site-asni", "basket", date(2026, 3, 3), 10),
    ]
