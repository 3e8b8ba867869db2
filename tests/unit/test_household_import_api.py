"""Importing a social registry's export, over HTTP, from the command line and as a use case:
the stories of a small export of Marrakech-Safi with its faults, and its privacy.

The real app through `ApiHarness` (real deciders, in-memory publisher, SQLite read model).
The reference data knows Marrakech-Safi (MA07, with Al Haouz MA0701) and Casablanca-Settat
(MA06). Identities, names and phones below are made up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from events import encode
from events.reference import LocationRegistered
from services.app import household_import
from services.app.errors import BrokerUnavailable
from services.app.household_import import ImportReport, import_households
from services.app.import_checks import household_id_for
from services.app.permissions import User
from services.domain.households.importing import COLUMNS
from services.domain.households.writer import HouseholdDecider
from services.domain.privacy import pseudonym
from services.runtime import cli
from tests.support.api import SEEDED_AT, SITE, ApiHarness
from tests.unit.test_households_api import read_model_rows
from tests.unit.test_permissions_matrix import ASNI, HOUSEHOLD, HOUSEHOLD_CIN, seed_aid

# every column the import reads, in its order, but the site and members (read on their own)
HEADER = ",".join(c for c in COLUMNS if c not in ("site_id", "members"))
EXPORT = [
    ",BE123456,RSU-2025-000117,Fatima Zahra Benali,+212 661 234 567,5,MA07,MA0701,children,42",
    ",123456,,Karim Alaoui,,4,MA07,,,",  # not a CIN
    ",JB771204,,Rachid Amrani,,6,MA99,,,",  # no such region
    "hh-rsu-000342,,RSU-2025-000342,Khadija Oubella,0662 98 76 54,3,MA07,,women,",
    ",BK908172,,Youssef El Idrissi,,cinq,MA06,,,",  # not a number
    ",be 123456,,Fatima Benali,,5,MA07,,,",  # the person of line 2 again
    ",EE482913,,Mohamed Ait Lahcen,,2,MA07,MA0701,elderly,",  # registered in another household
    ",AB100200,,Samira Idrissi,,3,MA06,,,",
]
# (first names alone would match the harness's users: fatima.coordinator, khadija.agent…)
SECRETS = ["BE123456", "RSU-2025-000117", "Zahra Benali", "661 234", "Karim Alaoui", "JB771204",
           "Rachid Amrani", "RSU-2025-000342", "Oubella", "0662 98", "BK908172", "El Idrissi",
           "EE482913", "Ait Lahcen", "AB100200", "Samira Idrissi"]  # fmt: skip
REFUSED = [(3, "bad_national_id"), (4, "unknown_region"), (6, "bad_number"),
           (7, "duplicate_in_file"), (8, "already_registered")]  # fmt: skip
ADMIN = User("amina.admin", "admin")
# the export imported again: its three households registered, its five faults refused again
UNCHANGED = {"lines_read": 8, "registered": 0, "updated": 0, "unchanged": 3, "refused": 5}


def id_of(api: ApiHarness, national_id: str) -> str:
    """The household id an import gives a person when the registry gives none."""
    return household_id_for(pseudonym(api.settings.pseudonym_key, "cin", national_id))


def export(*rows: str) -> str:
    return "\n".join([HEADER, *(rows or EXPORT)]) + "\n"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """The app with the reference data and Mohamed's household of Aït Ourir registered."""
    with ApiHarness(tmp_path) as harness:
        seed_aid(harness)
        yield harness


def post(api: ApiHarness, text: str, role: str = "agent", **params: Any) -> Any:
    headers = api.headers(role) | {"Content-Type": "text/csv"}
    return api.client.post("/v1/households/imports", content=text.encode(), headers=headers,
                           params=params)  # fmt: skip


def finished(api: ApiHarness, import_id: str, role: str = "agent") -> dict[str, Any]:
    """The import's state once done (the upload is imported in the background)."""
    deadline = time.monotonic() + 10
    while True:
        r = api.get(role, f"/v1/households/imports/{import_id}", {"limit": 500})
        assert r.status_code == 200, r.text
        if r.json()["status"] != "running" or time.monotonic() > deadline:
            return dict(r.json())
        time.sleep(0.02)


def refused(state: dict[str, Any]) -> list[tuple[int, str]]:
    return [(r["line"], r["reason"]) for r in state["refusals"]]


def run(api: ApiHarness, text: str, import_id: str, dry_run: bool = False) -> ImportReport:
    """The use case itself, as the command line runs it."""
    lines = iter(text.splitlines(keepends=True))
    services = api.app.state.services
    return asyncio.run(
        import_households(services, ADMIN, SEEDED_AT, import_id, lines, dry_run=dry_run)
    )


# ---- the stories -------------------------------------------------------------------------------


def test_a_dry_run_reports_each_line_and_publishes_nothing(api: ApiHarness) -> None:
    before = len(api.published())

    r = post(api, export(), dry_run="true")
    state = finished(api, r.json()["import_id"])

    assert r.status_code == 202, r.text
    assert (state["status"], state["dry_run"], state["lines_read"]) == ("done", True, 8)
    assert (state["registered"], state["unchanged"], state["refused"]) == (3, 0, 5)
    assert refused(state) == REFUSED
    assert state["refusals"][3]["first_line"] == 2
    assert state["refusals"][4]["household_id"] == HOUSEHOLD
    assert len(api.published()) == before
    keys = api.app.state.services.personal.keys
    assert keys.claimant(id_of(api, "BE123456")) == (False, None)


def test_an_import_registers_the_valid_lines_and_refuses_the_others_with_their_numbers(
    api: ApiHarness,
) -> None:
    r = post(api, export())
    state = finished(api, r.json()["import_id"])
    api.project_published()

    assert (state["status"], state["done"], state["lines_read"]) == ("done", True, 8)
    assert (state["registered"], state["unchanged"], state["refused"]) == (3, 0, 5)
    assert refused(state) == REFUSED
    registered = [e.data for e in api.published("households")]
    fatima = id_of(api, "BE123456")
    assert sorted(e["household_id"] for e in registered) == sorted(
        [
            fatima,
            "hh-rsu-000342",
            id_of(api, "AB100200"),
        ]
    )
    shown = api.get("agent", f"/v1/households/{fatima}").json()
    assert (shown["personal"]["head_name"], shown["groups"], shown["precarity_score"]) == (
        "Fatima Zahra Benali", ["children"], 42.0,
    )  # fmt: skip


def test_importing_the_same_file_again_changes_nothing(api: ApiHarness) -> None:
    first = post(api, export())
    finished(api, first.json()["import_id"])
    api.project_published()
    published = len(api.published())

    again = post(api, export())
    report = run(api, export(), "imp-by-hand")

    assert again.status_code == 200, again.text  # that import, already done
    assert again.json()["import_id"] == first.json()["import_id"]
    assert report.counts == UNCHANGED
    assert len(api.published()) == published


# the next year's export: Fatima's household grew and left the children's group, Khadija's
# moved to Al Haouz, Samira's is as it was
NEXT_YEAR = [
    ",BE123456,RSU-2025-000117,Fatima Zahra Benali,+212 661 234 567,7,MA07,MA0701,,35",
    "hh-rsu-000342,,RSU-2025-000342,Khadija Oubella,0662 98 76 54,3,MA07,MA0701,women,",
    ",AB100200,,Samira Idrissi,,3,MA06,,,",
]


def test_a_file_with_changed_situations_updates_them_once(api: ApiHarness) -> None:
    run(api, export(), "imp-2025")
    api.project_published()
    fatima = id_of(api, "BE123456")

    dry = run(api, export(*NEXT_YEAR), "dry-2026", dry_run=True)
    before = len(api.published("households"))
    report = run(api, export(*NEXT_YEAR), "imp-2026")
    api.project_published()
    again = run(api, export(*NEXT_YEAR), "imp-2026-again")

    assert dry.counts == report.counts == {
        "lines_read": 3, "registered": 0, "updated": 2, "unchanged": 1, "refused": 0,
    }  # fmt: skip
    updates = [e.type for e in api.published("households")[before:]]
    assert updates == ["HouseholdProfileUpdated"] * 2
    assert again.counts["updated"] == 0 and again.counts["unchanged"] == 3
    shown = api.get("coordinator", f"/v1/households/{fatima}").json()
    assert (shown["size"], shown["groups"], shown["precarity_score"]) == (7, [], 35)
    moved = api.get("coordinator", "/v1/households/hh-rsu-000342").json()
    assert (moved["province_code"], moved["personal"]["head_name"]) == ("MA0701", "Khadija Oubella")


def test_a_run_resumed_before_the_read_model_caught_up_registers_no_one_twice(
    api: ApiHarness,
) -> None:
    """As after a crash once the commands were sent: the writer answers with what it did."""
    first = run(api, export(), "imp-crashed")
    published = [e.event_id for e in api.published("households")]

    resumed = run(api, export(), "imp-crashed")

    assert first.counts["registered"] == 3
    assert resumed.counts == UNCHANGED
    assert [e.event_id for e in api.published("households")] == published


def test_the_same_person_on_two_imports_is_refused_naming_the_household(api: ApiHarness) -> None:
    run(api, export(EXPORT[0]), "imp-first")
    api.project_published()
    fatima = id_of(api, "BE123456")

    report = run(api, export("hh-other,BE123456,,Fatima Benali,,5,MA07,,,"), "imp-second")

    [line] = report.refused
    assert (line.line, line.reason, line.household_id) == (2, "already_registered", fatima)
    assert "BE123456" not in (line.message or "")


def test_a_household_id_of_another_person_is_refused(api: ApiHarness) -> None:
    report = run(api, export(f"{HOUSEHOLD},AB100200,,Samira Idrissi,,3,MA06,,,"), "imp-id")

    assert [(o.line, o.reason) for o in report.refused] == [(2, "id_taken")]
    assert api.published("households") == []


def test_a_file_without_a_usable_header_is_a_422(api: ApiHarness) -> None:
    r = post(api, "nom;cin;taille\nFatima;BE123456;5\n")

    assert r.status_code == 422, r.text
    assert r.json()["field"] == "file"
    assert "BE123456" not in r.text


def test_an_unknown_import_is_a_404(api: ApiHarness) -> None:
    r = api.get("coordinator", "/v1/households/imports/imp-nothing")

    assert r.status_code == 404, r.text
    assert r.json()["error"] == "unknown_import"


def test_nothing_of_the_file_reaches_the_log_the_events_or_the_read_model(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    state = finished(api, post(api, export()).json()["import_id"])
    api.project_published()

    assert state["registered"] == 3
    texts = [encode(e).decode() for e in api.published()]
    texts += ["\n".join(rows) for rows in read_model_rows(api).values()]
    texts += [str(state), caplog.text, *(r.getMessage() for r in caplog.records)]
    assert [s for s in SECRETS if any(s.lower() in t.lower() for t in texts)] == []


# ---- the command line --------------------------------------------------------------------------


def test_the_command_line_dry_run_lists_every_line_and_sums_up(
    api: ApiHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: api.settings)
    path = tmp_path / "rsu-marrakech-safi.csv"
    path.write_text(export())

    result = CliRunner().invoke(cli.app, ["households", "import", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "line 2: would register" in out
    assert "line 7: refused duplicate_in_file: the same person is on line 2" in out
    assert "line 8: refused already_registered" in out
    assert "8 lines, would register 3, would update 0, unchanged 0, refused 5" in out
    assert [s for s in SECRETS if s in result.output] == []
    assert api.published("households") == []


def test_the_command_line_says_when_a_file_cannot_be_read(
    api: ApiHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: api.settings)
    (tmp_path / "no-header.csv").write_text("")

    missing = CliRunner().invoke(cli.app, ["households", "import", str(tmp_path / "nope.csv")])
    empty = CliRunner().invoke(cli.app, ["households", "import", str(tmp_path / "no-header.csv")])

    assert missing.exit_code == 2 and "cannot read" in missing.output
    assert empty.exit_code == 2 and "cannot be imported" in empty.output


def test_members_and_a_site_are_imported_the_members_sealed_and_counted(api: ApiHarness) -> None:
    text = (
        "national_id,head_name,size,region_code,province_code,site_id,members\n"
        "BE123456,Fatima Zahra Benali,,MA07,MA0701,site-al-haouz,"
        "f/1979/head;m/1963/spouse/severe;m/2014/child\n"
        "EE482913,Mohamed Ait Lahcen,4,MA07,MA0701,,m/1950/head;f/1955/spouse\n"
        "EE482914,Hassan Ait Lahcen,,MA07,MA0701,site-nowhere,m/1980/head\n"
        "EE482915,Said Ait Lahcen,,MA07,MA0701,,m/1980/head;m/2030/child\n"
    )

    report = run(api, text, "imp-members")
    api.project_published()

    assert report.counts == {
        "lines_read": 4, "registered": 1, "updated": 0, "unchanged": 0, "refused": 3,
    }  # fmt: skip
    assert refused(api.get("admin", "/v1/households/imports/imp-members").json()) == [
        (3, "bad_members"), (4, "unknown_site"), (5, "bad_members"),
    ]  # fmt: skip
    shown = api.get("coordinator", f"/v1/households/{id_of(api, 'BE123456')}").json()
    assert (shown["size"], shown["site_id"]) == (3, "site-al-haouz")
    assert (shown["members"]["females_18_59"], shown["members"]["males_60_plus"]) == (1, 1)
    assert shown["members"]["severely_disabled_members"] == 1
    assert [m["year_of_birth"] for m in shown["personal"]["members"]] == [1979, 1963, 2014]
    [event] = [e for e in api.published("households") if e.type == "HouseholdRegistered"][-1:]
    assert "1979" not in encode(event).decode()  # the members themselves stay sealed


def test_a_batch_whose_decisions_come_too_late_is_sent_again_and_counted_once(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker decided the batch but its answers did not come in time: the importer sends
    the same commands again, the writer answers them from the log, and the lines count as
    registered (not as unchanged), each household once."""
    monkeypatch.setattr(household_import, "RESEND_AFTER", (0.0, 0.0))
    decide, late = api.bus.send_many, []

    async def answers_lost_once(commands: list[tuple[object, object]]) -> list[object]:
        replies = await decide(commands)
        if not late:
            late.append(len(commands))
            raise BrokerUnavailable("no decision in time; retry with the same id")
        return replies

    monkeypatch.setattr(api.bus, "send_many", answers_lost_once)

    report = run(api, export(), "imp-late-answers")

    assert late == [3]
    assert (report.counts["registered"], report.counts["unchanged"]) == (3, 0)
    assert len([e for e in api.published("households") if e.type == "HouseholdRegistered"]) == 3


def sent_types(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The types of the commands the import sends to the writers, as it sends them."""
    decide, types = api.bus.send_many, []

    async def recording(commands: list[tuple[Any, Any]]) -> list[object]:
        types.extend(command.TYPE for command, _ in commands)
        return await decide(commands)

    monkeypatch.setattr(api.bus, "send_many", recording)
    return types


def test_registrations_go_to_the_writers_as_one_command_per_partition(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    types = sent_types(api, monkeypatch)
    people = [f",BB{n:06d},,Chef de foyer {n},,3,MA07,MA0701,," for n in range(60)]

    report = run(api, export(*people), "imp-by-partition")

    assert report.counts["registered"] == 60
    assert set(types) == {"RegisterHouseholds"}
    assert len(types) <= api.settings.partitions  # 60 households, one command per partition
    registered = [e.data["household_id"] for e in api.published("households")
                  if e.type == "HouseholdRegistered"]  # fmt: skip
    assert sorted(registered) == sorted(id_of(api, f"BB{n:06d}") for n in range(60))


def test_a_writer_that_cannot_read_a_batch_still_gets_each_household_alone(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker of before batches rejects the command it does not know: the importer sends
    the batch's households one by one, and the report is the same."""
    older = {t: c for t, c in HouseholdDecider.commands.items() if t != "RegisterHouseholds"}
    monkeypatch.setattr(HouseholdDecider, "commands", older)
    types = sent_types(api, monkeypatch)

    report = run(api, export(), "imp-older-worker")

    assert report.counts == {
        "lines_read": 8, "registered": 3, "updated": 0, "unchanged": 0, "refused": 5,
    }  # fmt: skip
    assert types.count("RegisterHousehold") == 3
    assert [(o.line, o.reason) for o in report.refused] == REFUSED


# ---- a social worker of Amizmiz imports only to her own sites --------------------------------

# one household at Asni (another social worker's site), one at Amizmiz (hers)
AT_SITES = (
    "id,national_id,head_name,size,region_code,site_id\n"
    f"hh-imp-scope-1,SC500001,Nadia Ait Ouarab,2,MA07,{ASNI}\n"
    f"hh-imp-scope-2,SC500002,Hassan Bouzid,3,MA07,{SITE}\n"
)


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_a_social_worker_s_line_at_another_site_is_refused_as_the_api_refuses_it(
    api: ApiHarness, dry_run: str
) -> None:
    before = len(api.published("households"))

    r = post(api, AT_SITES, "social_worker", dry_run=dry_run)
    state = finished(api, r.json()["import_id"], "social_worker")
    api.project_published()
    by_hand = api.post("social_worker", "/v1/households", {
        "id": "hh-api-scope-1", "national_id": "SC500003", "head_name": "Nadia Ait Ouarab",
        "size": 2, "region_code": "MA07", "site_id": ASNI,
    })  # fmt: skip

    assert (state["registered"], state["refused"]) == (1, 1)
    assert refused(state) == [(2, "site_not_yours")]
    assert "SC500001" not in r.text + str(state) and "Ouarab" not in str(state)
    assert by_hand.status_code == 403, by_hand.text
    assert api.get("coordinator", "/v1/households/hh-imp-scope-1").status_code == 404
    registered = [e.data["household_id"] for e in api.published("households")[before:]]
    assert registered == ([] if dry_run == "true" else ["hh-imp-scope-2"])


def test_a_social_worker_s_import_does_not_move_a_household_to_another_s_site(
    api: ApiHarness,
) -> None:
    header = "id,national_id,head_name,size,region_code,province_code,groups,site_id\n"
    line = f"{HOUSEHOLD},{HOUSEHOLD_CIN},Zahra Ouhammou,6,MA07,MA0701,children;elderly,"

    away = finished(api, post(api, header + line + ASNI + "\n", "social_worker").json()[
        "import_id"], "social_worker")  # fmt: skip
    home = finished(api, post(api, header + line + SITE + "\n", "social_worker").json()[
        "import_id"], "social_worker")  # fmt: skip
    api.project_published()

    assert [(r["line"], r["reason"], r["household_id"]) for r in away["refusals"]] == [
        (2, "site_not_yours", HOUSEHOLD)
    ]
    assert (away["updated"], home["updated"], home["refused"]) == (0, 1, 0)
    assert api.get("coordinator", f"/v1/households/{HOUSEHOLD}").json()["site_id"] == SITE


def test_a_social_worker_s_import_updates_no_household_beyond_the_regions_she_serves(
    api: ApiHarness,
) -> None:
    """As a profile update refuses it: Karim's household, registered in Casablanca-Settat by
    a coordinator, is beyond her reach; Zahra's, of her region, is not moved out of it."""
    api.apply(LocationRegistered(location_id="wh-anfa", name="Entrepôt Anfa", kind="warehouse",
                                 region_code="MA06", region_name="Casablanca-Settat"))  # fmt: skip
    casablanca = {"id": "hh-casa-1", "national_id": "SC600001", "head_name": "Karim Tazi",
                  "size": 3, "region_code": "MA06"}  # fmt: skip
    assert api.post("coordinator", "/v1/households", casablanca).status_code == 201
    api.project_published()
    header = "id,national_id,head_name,size,region_code\n"
    text = header + "hh-casa-1,SC600001,Karim Tazi,5,MA06\n" + (
        f"{HOUSEHOLD},{HOUSEHOLD_CIN},Zahra Ouhammou,6,MA06\n")  # fmt: skip

    state = finished(api, post(api, text, "social_worker").json()["import_id"], "social_worker")
    by_api = api.client.put(f"/v1/households/{HOUSEHOLD}/profile", json={
        "size": 6, "region_code": "MA06", "province_code": None, "groups": ["children"],
    }, headers=api.headers("social_worker"))  # fmt: skip
    api.project_published()

    assert [(r["line"], r["reason"], r["household_id"]) for r in state["refusals"]] == [
        (2, "out_of_reach", None), (3, "out_of_reach", HOUSEHOLD),
    ]  # fmt: skip
    assert (state["updated"], state["registered"]) == (0, 0)
    assert by_api.status_code == 403, by_api.text  # the API refuses the same move
    assert api.get("coordinator", "/v1/households/hh-casa-1").json()["size"] == 3
    assert api.get("coordinator", f"/v1/households/{HOUSEHOLD}").json()["region_code"] == "MA07"
    assert "Karim" not in str(state) and "SC600001" not in str(state)


def test_a_coordinator_imports_the_file_a_social_worker_could_not_wholly(api: ApiHarness) -> None:
    """Her import of the file is not the coordinator's: his, of the same file, places the
    household at Asni; and the command line (an administrator) may as well."""
    hers = finished(api, post(api, AT_SITES, "social_worker").json()["import_id"], "social_worker")
    his = post(api, AT_SITES, "coordinator")
    theirs = finished(api, his.json()["import_id"], "coordinator")
    by_command_line = run(api, AT_SITES, "imp-at-sites", dry_run=True)
    api.project_published()

    assert his.status_code == 202 and his.json()["import_id"] != hers["import_id"]
    assert (theirs["registered"], theirs["unchanged"], theirs["refused"]) == (1, 1, 0)
    assert api.get("coordinator", "/v1/households/hh-imp-scope-1").json()["site_id"] == ASNI
    assert by_command_line.counts["refused"] == 0
