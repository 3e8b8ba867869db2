"""The social watch: per region and province and per target group, households and people
registered, eligible for a campaign and reached; the precarity scores' spread; the months,
and the areas where registrations or precarity rise. Counts only, none under 5 shown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from projections import report_queries, social_watch_queries
from services.app.campaigns import find_campaign
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.app.reports import Table
from services.domain.social_watch import GROUPS, SMALLEST, Month, rising, shown

Area = tuple[str, str]


async def social_watch(ports: Ports, user: User, campaign_id: str | None) -> dict[str, Any]:
    """The watch over the whole registry, with the eligible and reached households of one
    campaign when one is given."""
    authorize(user, "registry.read")
    if campaign_id is not None:
        await find_campaign(ports, campaign_id)
    return await in_thread(_watch, ports, campaign_id)


def _watch(ports: Ports, campaign_id: str | None) -> dict[str, Any]:
    engine = ports.engine
    areas: dict[Area, dict[str, Any]] = defaultdict(
        lambda: {
            "groups": {g: dict.fromkeys(COUNTED, 0) for g in GROUPS},
            "precarity": [],
            "months": [],
        }
    )
    for row in social_watch_queries.registered(engine):
        counts = areas[_area(row)]["groups"].setdefault(row["target_group"], {})
        counts |= {"households": row["households"], "people": row["people"]}
    for row in social_watch_queries.reach(engine, campaign_id) if campaign_id else []:
        counts = areas[_area(row)]["groups"].setdefault(row["target_group"], {})
        counts |= {k: row[k] for k in ("eligible_households", "reached_households")}
    for row in social_watch_queries.precarity(engine):
        areas[_area(row)]["precarity"].append(row)
    for row in social_watch_queries.months(engine):
        areas[_area(row)]["months"].append(Month(**{k: row[k] for k in MONTH_FIELDS}))
    return {
        "campaign_id": campaign_id,
        "smallest_shown": SMALLEST,
        "areas": [_shown(area, found) for area, found in sorted(areas.items())],
    }


COUNTED = ("households", "people", "eligible_households", "reached_households")
MONTH_FIELDS = ("month", "registered", "assessed", "scored", "score_hundredths")


def _area(row: dict[str, Any]) -> Area:
    return row["region_code"], row["province_code"] or ""


def _shown(area: Area, found: dict[str, Any]) -> dict[str, Any]:
    """One area's figures as they may be shared: every small count hidden."""
    return {
        "region_code": area[0],
        "province_code": area[1] or None,
        "groups": [
            {"target_group": group or "all"}
            | {k: shown(found["groups"].get(group, {}).get(k, 0)) for k in COUNTED}
            for group in GROUPS
        ],
        "precarity": [
            {
                "band": None if r["score_band"] < 0 else r["score_band"],
                "households": shown(r["households"]),
            }
            for r in found["precarity"]
        ],
        "months": [
            {
                "month": m.month,
                "registered": shown(m.registered),
                "mean_precarity_score": round(m.mean_score, 1)
                if m.mean_score is not None and m.scored >= SMALLEST
                else None,
            }
            for m in found["months"]
        ],
        "rising": rising(found["months"]),
    }


# HXL: the registry's and the campaign's counts per province and group, with the attributes
# HXL has for them (+f for women in difficulty; +disabled; +children; +elderly).
ATTRIBUTE = {"all": "", "children": "+children", "women": "+f", "elderly": "+elderly",
             "disability": "+disabled"}  # fmt: skip
NAMES = {"all": "all", "children": "children", "women": "women in difficulty",
         "elderly": "elderly", "disability": "people with disabilities"}  # fmt: skip


def hxl_columns() -> list[tuple[str, str]]:
    columns = [("Region", "#adm1+name"), ("Region code", "#adm1+code"),
               ("Province", "#adm2+name"), ("Province code", "#adm2+code")]  # fmt: skip
    for group in (g or "all" for g in GROUPS):
        tag, name = ATTRIBUTE[group], NAMES[group]
        columns += [
            (f"Households registered ({name})", f"#population+hh{tag}"),
            (f"People registered ({name})", f"#population+ind{tag}"),
            (f"Households eligible ({name})", f"#targeted+hh{tag}"),
            (f"Households reached ({name})", f"#reached+hh{tag}"),
        ]
    return columns


async def social_watch_report(ports: Ports, user: User, campaign_id: str | None) -> Table:
    """The watch as an HXL table, one row per province, small counts left empty."""
    watch = await social_watch(ports, user, campaign_id)
    regions, provinces = await in_thread(_names, ports)
    return Table(hxl_columns(), _rows(watch, regions, provinces), "social-watch.csv")


def _names(ports: Ports) -> tuple[dict[str, str], dict[str, str]]:
    return report_queries.area_names(ports.engine)


def _rows(
    watch: dict[str, Any], regions: dict[str, str], provinces: dict[str, str]
) -> Iterator[list[Any]]:
    for area in watch["areas"]:
        region, province = area["region_code"], area["province_code"]
        row: list[Any] = [regions.get(region, ""), region, provinces.get(province or "", ""),
                          province]  # fmt: skip
        for counts in area["groups"]:
            row += [counts[k] for k in COUNTED]
        yield row
