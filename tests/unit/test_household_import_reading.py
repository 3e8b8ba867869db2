"""Reading a registry export, line by line: what is kept, what is refused and why, without
ever quoting a person's value. Pure: text in, lines out. Identities below are made up."""

from __future__ import annotations

import io

import pytest

from services.domain.households.importing import (
    COLUMNS,
    FirstSeen,
    Line,
    Refusal,
    UnreadableFile,
    read,
)

AREAS = {"MA07": frozenset({"MA0701", "MA0702"}), "MA06": frozenset()}
# every column the import reads, in its order, but the site and members (read on their own)
HEADER = ",".join(c for c in COLUMNS if c not in ("site_id", "members"))


SITES = {"site-al-haouz": "MA07", "site-casablanca": "MA06"}


def lines(*rows: str, header: str = HEADER) -> list[Line | Refusal]:
    text = io.StringIO("\n".join([header, *rows]) + "\n", newline="")
    return list(read(text, AREAS, SITES))


def test_a_household_of_al_haouz_is_read_with_its_groups_and_score() -> None:
    [line] = lines(",BE123456,RSU-2025-0001,Fatima Zahra Bennani,+212 612 345 678,5,MA07,MA0701,"
                   "elderly;children,\"42,5\"")  # fmt: skip

    assert isinstance(line, Line)
    assert line.line == 2
    assert line.values == {
        "id": None, "national_id": "BE123456", "registry_number": "RSU-2025-0001",
        "head_name": "Fatima Zahra Bennani", "phone": "+212 612 345 678", "size": 5,
        "region_code": "MA07", "province_code": "MA0701", "groups": ["children", "elderly"],
        "precarity_score": 42.5, "members": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",123456,,Karim Alaoui,,4,MA07,,,", "bad_national_id"),
        (",,R1,Karim Alaoui,,4,MA07,,,", "bad_registry_number"),
        (",,,Karim Alaoui,,4,MA07,,,", "missing_field"),
        (",JB771204,,,,4,MA07,,,", "missing_field"),
        (",JB771204,,Karim Alaoui,06-12,4,MA07,,,", "bad_phone"),
        (",JB771204,,Karim Alaoui,,quatre,MA07,,,", "bad_number"),
        (",JB771204,,Karim Alaoui,,0,MA07,,,", "bad_number"),
        (",JB771204,,Karim Alaoui,,4,MA07,,,101", "bad_number"),
        (",JB771204,,Karim Alaoui,,4,MA99,,,", "unknown_region"),
        (",JB771204,,Karim Alaoui,,4,MA07,MA0601,,", "unknown_province"),
        (",JB771204,,Karim Alaoui,,4,MA07,,orphans,", "bad_group"),
        ("HH 12,JB771204,,Karim Alaoui,,4,MA07,,,", "bad_id"),
        (",JB771204,,Karim Alaoui,4,MA07", "bad_line"),
    ],
)
def test_a_malformed_line_is_refused_with_its_number_and_a_reason(row: str, reason: str) -> None:
    valid = ",AB100200,,Samira Idrissi,,3,MA06,,,"

    first, refused, after = lines(valid, row, valid.replace("AB100200", "AB100201"))

    assert isinstance(first, Line) and isinstance(after, Line)
    assert refused == Refusal(refused.line, reason, refused.message)  # type: ignore[union-attr]
    assert refused.line == 3
    for value in ("123456", "JB771204", "Karim", "Alaoui", "06-12", "quatre", "MA99", "orphans"):
        assert value not in refused.message  # type: ignore[union-attr]


def test_line_numbers_count_the_lines_of_the_file() -> None:
    """A quoted name over two lines and a blank line still leave every number right."""
    read_lines = lines(
        ',AB100200,,"Samira\nIdrissi",,3,MA06,,,', "", ",123,,Karim Alaoui,,4,MA07,,,"
    )

    assert [(type(x).__name__, x.line) for x in read_lines] == [("Refusal", 2), ("Refusal", 5)]
    reasons = [x.reason for x in read_lines if isinstance(x, Refusal)]
    assert reasons == ["bad_name", "bad_national_id"]


def test_a_line_that_is_not_utf8_is_refused_and_the_next_one_read() -> None:
    raw = HEADER + "\n,AB100200,,Samira Idrissi\xff,,3,MA06,,,\n,AB100201,,Ali Tazi,,3,MA06,,,\n"
    text = io.TextIOWrapper(
        io.BytesIO(raw.encode().replace("\xff".encode(), b"\xff")),
        encoding="utf-8-sig", errors="replace", newline="",
    )  # fmt: skip

    refused, kept = list(read(text, AREAS))

    assert isinstance(refused, Refusal) and (refused.line, refused.reason) == (2, "bad_encoding")
    assert isinstance(kept, Line) and kept.line == 3


@pytest.mark.parametrize(
    "header", ["", "national_id,head_name,size", "head_name,size,region_code,phone"]
)
def test_a_file_without_the_columns_it_needs_cannot_be_imported(header: str) -> None:
    with pytest.raises(UnreadableFile):
        read(io.StringIO(header + "\n" if header else "", newline=""), AREAS)


def test_unknown_columns_are_ignored_and_columns_may_come_in_any_order() -> None:
    [line] = lines(
        "MA07,3,Ali Tazi,AB100200,x", header="region_code,size,head_name,national_id,notes"
    )

    assert isinstance(line, Line)
    assert (line.values["national_id"], line.values["size"], line.values["groups"]) == (
        "AB100200", 3, [],
    )  # fmt: skip


def test_first_seen_points_at_the_first_line_with_any_of_the_keys() -> None:
    seen = FirstSeen()
    seen.note(2, [11, 12])

    assert seen.earlier([12]) == 2
    assert seen.earlier([13]) is None
    seen.note(7, [12, 13])
    assert (seen.earlier([12]), seen.earlier([13])) == (2, 7)


def test_a_site_column_assigns_a_known_site_of_the_households_region() -> None:
    header = "national_id,head_name,size,region_code,site_id"
    found = lines("AB100200,Samira Idrissi,3,MA07,site-al-haouz", "AB100201,Ali Tazi,3,MA07,",
                  "AB100202,Nadia Fassi,3,MA07,site-nowhere",
                  "AB100203,Omar Kabbaj,3,MA07,site-casablanca", header=header)  # fmt: skip

    assert [line.values["site_id"] for line in found if isinstance(line, Line)] == [
        "site-al-haouz", None,
    ]  # fmt: skip
    assert [(r.line, r.reason) for r in found if isinstance(r, Refusal)] == [
        (4, "unknown_site"), (5, "site_elsewhere"),
    ]  # fmt: skip


def test_a_file_without_a_site_column_says_nothing_of_sites() -> None:
    [line] = lines(
        "AB100200,Samira Idrissi,3,MA07", header="national_id,head_name,size,region_code"
    )

    assert isinstance(line, Line) and "site_id" not in line.values


def test_members_are_read_in_their_short_form_and_count_the_size() -> None:
    header = "national_id,head_name,size,region_code,members"
    found = lines("AB100200,Samira Idrissi,,MA07,f/1979/head;M/2014/Child/moderate",
                  "AB100201,Ali Tazi,3,MA07,m/1960/head;f/1962/spouse",
                  "AB100202,Nadia Fassi,,MA07,f/1979/head;f/1980/head",
                  "AB100203,Omar Kabbaj,,MA07,f/1979",
                  "AB100204,Hind Alami,,MA07,", header=header)  # fmt: skip

    [samira] = [line for line in found if isinstance(line, Line)]
    assert samira.values["size"] == 2
    members = [(m.sex, m.year_of_birth, m.relation, m.disability) for m in samira.values["members"]]
    assert members == [("f", 1979, "head", "none"), ("m", 2014, "child", "moderate")]
    assert [(r.line, r.reason) for r in found if isinstance(r, Refusal)] == [
        (3, "bad_members"), (4, "bad_members"), (5, "bad_members"), (6, "missing_field"),
    ]  # fmt: skip
    assert all("1979" not in r.message for r in found if isinstance(r, Refusal))


def test_a_province_stands_where_no_location_of_its_region_names_one() -> None:
    """Casablanca-Settat's locations name no province: its households' provinces are taken,
    as `POST /v1/households` takes them (Marrakech-Safi's are checked)."""
    [casablanca, elsewhere] = lines(
        ",AB100200,,Samira Idrissi,,3,MA06,MA0641,,", ",AB100201,,Samir Idrissi,,3,MA07,MA0641,,"
    )

    assert isinstance(casablanca, Line) and casablanca.values["province_code"] == "MA0641"
    assert isinstance(elsewhere, Refusal) and elsewhere.reason == "unknown_province"
