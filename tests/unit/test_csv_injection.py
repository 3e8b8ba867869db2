"""Reports are opened in spreadsheets: no cell of a CSV export may run as a formula.

An operator can name a lot anything; a lot named `=HYPERLINK("http://…","Click")` written as is
becomes a live link (or worse) in the coordinator's spreadsheet. Text starting with `=`, `+`,
`-`, `@`, a tab or a carriage return gets a leading apostrophe (OWASP's advice on CSV
injection); numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.responses import StreamingResponse
from sqlalchemy import insert

from api.answers import CSV_CHUNK_ROWS, csv_chunks, hxl_csv, spreadsheet_cell
from projections.tables import distribution_days, inventory_lots, items, locations
from services.app.reports import Table
from tests.support.api import ApiHarness

LINK = '=HYPERLINK("http://example.org/x","Détails")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (LINK, "'" + LINK),
        ("+212600000000", "'+212600000000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("ATL-2026-A", "ATL-2026-A"),
        ("a=b", "a=b"),
        (-5, -5),
        (12.5, 12.5),
        (date(2026, 3, 1), date(2026, 3, 1)),
        (None, ""),
    ],
)
def test_a_cell_that_would_be_a_formula_is_written_as_text(value: object, written: object) -> None:
    assert spreadsheet_cell(value) == written


def test_a_report_neutralises_formulas_and_keeps_its_numbers() -> None:
    table = Table([("Lot", "#item+batch"), ("Quantité", "#value")], [[LINK, -3], ["L1", 7]], "x")

    rows = list(csv.reader(io.StringIO("".join(csv_chunks(table)))))

    assert rows[2:] == [["'" + LINK, "-3"], ["L1", "7"]]


def test_a_report_is_streamed_a_thousand_rows_at_a_time_never_held_whole() -> None:
    pulled = 0

    def million() -> Iterator[list[object]]:
        nonlocal pulled
        for n in range(1_000_000):
            pulled += 1
            yield [f"L{n}", n]

    table = Table([("Lot", "#item+batch"), ("Quantité", "#value")], million(), "x")
    response = hxl_csv(table)
    chunks = csv_chunks(table)
    first, second = next(chunks), next(chunks)

    assert isinstance(response, StreamingResponse)
    assert pulled == 2 * CSV_CHUNK_ROWS
    assert first.splitlines()[:3] == ["Lot,Quantité", "#item+batch,#value", "L0,0"]
    assert second.splitlines()[0] == f"L{CSV_CHUNK_ROWS},{CSV_CHUNK_ROWS}"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def test_a_lot_named_as_a_formula_is_text_in_the_stock_report(api: ApiHarness) -> None:
    receipt = {"location_id": "wh-casablanca", "item_id": "ramadan-basket", "quantity": 120,
               "id": "rcpt-formula", "lot": LINK}  # fmt: skip
    assert api.post("operator", "/v1/stock/receipts", receipt).status_code in (200, 201)
    api.project_published()

    report = api.get("admin", "/v1/reports/stock.csv")

    assert report.status_code == 200, report.text
    lots = [row[5] for row in csv.reader(io.StringIO(report.text))][2:]  # the "Lot" column
    assert "'" + LINK in lots and LINK not in lots


def test_area_item_and_location_names_written_as_formulas_are_text_in_both_reports(
    api: ApiHarness,
) -> None:
    with api.engine.begin() as conn:
        conn.execute(insert(locations).values(
            location_id="site-formula", name="+SITE", kind="site", region_code="-R9",
            region_name="=REGION", province_code="@P9", province_name="\tPROVINCE",
        ))  # fmt: skip
        conn.execute(insert(items).values(item_id="oil-1l", name="=ITEM", unit="bottle"))
        conn.execute(insert(distribution_days).values(
            campaign_id="ramadan-2027", day=date(2027, 3, 1), site_id="site-formula",
            item_id="oil-1l", region_code="-R9", province_code="@P9", households=3, quantity=-4,
        ))  # fmt: skip
        conn.execute(insert(inventory_lots).values(
            location_id="site-formula", item_id="oil-1l", lot="L1", on_hand=-2,
        ))  # fmt: skip

    def rows(path: str) -> list[list[str]]:
        report = api.get("admin", path)
        assert report.status_code == 200, report.text
        return list(csv.reader(io.StringIO(report.text)))[2:]

    assert rows("/v1/reports/distributions.csv") == [
        ["ramadan-2027", "'-R9", "'=REGION", "'@P9", "'\tPROVINCE", "site-formula",
         "2027-03-01", "3", "'=ITEM", "-4", ""],
    ]  # fmt: skip
    stock = [r for r in rows("/v1/reports/stock.csv") if r[1] == "site-formula"]
    assert stock == [["'+SITE", "site-formula", "'=REGION", "'-R9", "'=ITEM", "L1", "", "-2", ""]]
