"""Reports as HXL tables: human headers, hashtags, then the rows (the API writes them as CSV)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from projections import households_queries, relief_queries, report_queries
from services.app.errors import Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, seen

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A value a spreadsheet shows as text, never runs: text that a spreadsheet would read as
    a formula (a lot named `=HYPERLINK(…)`) gets a leading apostrophe, as OWASP advises for
    CSV injection; numbers, dates and other text stay as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _text(value: str | None) -> str | None:
    """`spreadsheet_cell` for a text column (None stays None: the CSV writer leaves it empty)."""
    return "'" + value if value is not None and value.startswith(FORMULA_STARTS) else value


# HXL has no hashtag for a weight: a custom attribute column, in tonnes to the kilogram, empty
# where the item's weight is unknown.
WEIGHT = ("Weight (t)", "#x_weight+tonnes")
FOUR_W = (
    ("Organisation", "#org"), ("Sector", "#sector"), ("Activity", "#activity"),
    ("Region", "#adm1+name"), ("Region code", "#adm1+code"), ("Province", "#adm2+name"),
    ("Province code", "#adm2+code"), ("Start", "#date+start"), ("End", "#date+end"),
    ("Households reached", "#reached+hh"), ("Item", "#item+name"), ("Quantity", "#value"),
    WEIGHT,
)  # fmt: skip
DISTRIBUTIONS = (
    ("Campaign", "#activity+code"), ("Region code", "#adm1+code"), ("Region", "#adm1+name"),
    ("Province code", "#adm2+code"), ("Province", "#adm2+name"), ("Site", "#loc+code"),
    ("Date", "#date"), ("Households reached", "#reached+hh"), ("Item", "#item+name"),
    ("Quantity", "#value"), WEIGHT,
)  # fmt: skip
STOCK = (
    ("Location", "#loc+name"), ("Location code", "#loc+code"), ("Region", "#adm1+name"),
    ("Region code", "#adm1+code"), ("Item", "#item+name"), ("Lot", "#item+batch"),
    ("Expiry", "#date+expiry"), ("On hand", "#value"), WEIGHT,
)  # fmt: skip


def tonnes(weights: dict[str, Decimal], item_id: str, quantity: int) -> str:
    """`quantity` units of the item in tonnes, to the kilogram ('' when its weight is unknown)."""
    weight = weights.get(item_id)
    if weight is None:
        return ""
    return str((weight * quantity / 1000).quantize(Decimal("0.001")))


@dataclass(frozen=True)
class Table:
    """A report: (header, HXL hashtag) per column, the rows, and the file's name. The rows
    are read from the database as they are iterated (in a thread: the reads block), so a
    report of a million rows is sent without ever being held whole.

    `cells_safe` says the rows' text already went through `spreadsheet_cell` where it could
    hold a formula (identifiers cannot: they start with a letter or a digit), so the writer
    need not look at every cell again."""

    columns: Sequence[tuple[str, str]]
    rows: Iterable[Sequence[Any]]
    name: str
    cells_safe: bool = False


def _four_w(ports: Ports, operation_id: str | None, campaign_id: str | None) -> list[list[Any]]:
    engine, org = ports.engine, ports.settings.organisation
    regions, provinces = report_queries.area_names(engine)
    names, weights = report_queries.item_names(engine), report_queries.item_weights(engine)
    wanted = (
        [campaign_id] if campaign_id else report_queries.campaigns_of(engine, operation_id or "")
    )
    rows = [
        [
            org, "Food Security", r["name"], regions.get(r["region_code"], ""), r["region_code"],
            provinces.get(r["province_code"] or "", ""), r["province_code"], r["starts_on"],
            r["ends_on"], r["households"], names.get(r["item_id"], r["item_id"]), r["quantity"],
            tonnes(weights, r["item_id"], r["quantity"]),
        ]
        for r in report_queries.campaign_reach(engine, wanted)
    ]  # fmt: skip
    for convoy in report_queries.delivered_convoys(engine, operation_id) if operation_id else []:
        for line in convoy["delivered"] or []:
            rows.append([
                org, "Emergency Relief", f"Convoy {convoy['deployment_id']}",
                regions.get(convoy["region_code"], ""), convoy["region_code"],
                provinces.get(convoy["province_code"] or "", ""), convoy["province_code"],
                convoy["dispatched_at"].date(), convoy["delivered_at"].date(), 0,
                names.get(line["item_id"], line["item_id"]), line["quantity"],
                tonnes(weights, line["item_id"], line["quantity"]),
            ])  # fmt: skip
    return rows


async def four_w(
    ports: Ports, user: User, operation_id: str | None, campaign_id: str | None
) -> Table:
    """Who does what where when, for an operation or a campaign."""
    authorize(user, "reports.read")
    if not (operation_id or campaign_id):
        raise Invalid("give operation_id or campaign_id", field="operation_id")
    if campaign_id and not await seen(ports, "reference", households_queries.campaign, campaign_id):
        raise NotFound(f"no campaign {campaign_id!r}", error="unknown_campaign")
    if operation_id and not await seen(ports, "reference", relief_queries.operation, operation_id):
        raise NotFound(f"no operation {operation_id!r}", error="unknown_operation")
    rows = await in_thread(_four_w, ports, operation_id, campaign_id)
    return Table(FOUR_W, rows, "4w.csv")


def _distribution_rows(ports: Ports, campaign_id: str | None) -> Iterator[tuple[Any, ...]]:
    regions, provinces = report_queries.area_names(ports.engine)
    names = {k: _text(v) for k, v in report_queries.item_names(ports.engine).items()}
    weights = report_queries.item_weights(ports.engine)
    # a few hundred areas: each code and name made safe once, not once per row
    region_cells = {code: (_text(code), _text(name)) for code, name in regions.items()}
    province_cells = {code: (_text(code), _text(name)) for code, name in provinces.items()}
    lines = report_queries.distribution_lines(ports.engine, campaign_id)
    for campaign, item, region_code, province_code, site, day, households, quantity in lines:
        region = region_cells.get(region_code) or (_text(region_code), "")
        province = province_cells.get(province_code) or (_text(province_code), "")
        yield (
            campaign, *region, *province, site, day, households, names.get(item, item), quantity,
            tonnes(weights, item, quantity),
        )  # fmt: skip


async def distributions_report(ports: Ports, user: User, campaign_id: str | None) -> Table:
    """Households reached and quantities per campaign, site and day."""
    authorize(user, "reports.read")
    rows = _distribution_rows(ports, campaign_id)
    return Table(DISTRIBUTIONS, rows, "distributions.csv", cells_safe=True)


def _stock_rows(ports: Ports) -> Iterator[tuple[Any, ...]]:
    names = {k: _text(v) for k, v in report_queries.item_names(ports.engine).items()}
    weights = report_queries.item_weights(ports.engine)
    lines = report_queries.stock_lines(ports.engine)
    for location, location_id, region, region_code, item, lot, expires_on, on_hand in lines:
        yield (
            _text(location), location_id, _text(region), _text(region_code), names.get(item, item),
            _text(lot), expires_on, on_hand, tonnes(weights, item, on_hand),
        )  # fmt: skip


async def stock_report(ports: Ports, user: User) -> Table:
    """Stock on hand per location, item and lot."""
    authorize(user, "reports.read")
    return Table(STOCK, _stock_rows(ports), "stock.csv", cells_safe=True)
