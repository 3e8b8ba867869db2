"""The admin's desk without a browser: Amina, the administrator, registers the Tahannaout
site with its coordinates, defines tea, makes the Ramadan basket a kit, registers a donor and
sets a low-stock threshold, each change an event carrying her name; a mistake comes back in
words next to its field; coordinators, operators and every other role find the desk closed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.permissions import ROLES
from api.ui.pages.admin import PAGE_ROWS
from events import Envelope
from events.relief import DonorRegistered
from events.stock import StockReceived
from tests.support.api import USERNAMES, ApiHarness
from tests.unit.test_web_ui import csrf_of, sign_in, web_routes

ADMIN = USERNAMES["admin"]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        signed_in(harness, "admin")
        yield harness


def signed_in(api: ApiHarness, role: str) -> None:
    api.client.cookies.clear()
    sign_in(api, role, token=api.tokens[USERNAMES[role]])


def submit(api: ApiHarness, path: str, fields: dict[str, str]) -> httpx.Response:
    """Fill the form at `path` (its CSRF token and form id) and post it."""
    form = api.client.get(path)
    assert form.status_code == 200, form.text
    found = re.search(r'name="form_id" value="([^"]*)"', form.text)
    data = {"csrf": csrf_of(form.text), "form_id": found.group(1) if found else ""} | fields
    return api.client.post(path, data=data, follow_redirects=False)


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="err-{re.escape(name)}">(.*?)</p>', page)
    return found.group(1) if found else None


def recorded(api: ApiHarness, stream: str, event_type: str) -> list[Envelope]:
    return [e for e in api.published(stream) if e.type == event_type]


def row_of(page: str, cell: str) -> str:
    found = re.search(rf"<tr[^>]*>\s*<td>{re.escape(cell)}</td>.*?</tr>", page, re.S)
    assert found, f"no row for {cell} in the page"
    return found.group(0)


TAHANNAOUT = {
    "id": "site-tahannaout", "name": "Point de distribution Tahannaout", "kind": "site",
    "region_code": "MA07", "region_name": "Marrakech-Safi", "province_code": "MA0701",
    "province_name": "Al Haouz", "latitude": "31,3547", "longitude": "-7.9502",
}  # fmt: skip


# ---- an admin changes reference data, each change an event with its actor ------------------


def test_an_admin_registers_a_site_with_its_coordinates(api: ApiHarness) -> None:
    answer = submit(api, "/admin/locations/new", TAHANNAOUT)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/admin/locations?done=location"
    [event] = recorded(api, "reference", "LocationRegistered")
    assert (event.data["latitude"], event.data["longitude"]) == (31.3547, -7.9502)
    assert (event.actor.user_id, event.actor.role) == (ADMIN, "admin")
    listed = api.client.get(answer.headers["location"]).text
    assert "Lieu enregistré." in listed
    assert "31.3547, -7.9502" in row_of(listed, "site-tahannaout")
    assert "non renseignées" in row_of(listed, "wh-casablanca")


def test_an_admin_places_a_warehouse_registered_without_coordinates(api: ApiHarness) -> None:
    path = "/admin/locations/wh-casablanca/coordinates"
    answer = submit(api, path, {"latitude": "33.5731", "longitude": "-7.5898"})

    assert answer.status_code == 303, answer.text
    [event] = recorded(api, "reference", "LocationCoordinatesSet")
    assert event.data == {"location_id": "wh-casablanca", "latitude": 33.5731,
                          "longitude": -7.5898}  # fmt: skip
    assert event.actor.user_id == ADMIN
    assert "33.5731, -7.5898" in row_of(api.client.get("/admin/locations").text, "wh-casablanca")
    # The form shows them from now on; the same again records nothing.
    assert 'value="33.5731"' in api.client.get(path).text
    assert submit(api, path, {"latitude": "33.5731", "longitude": "-7.5898"}).status_code == 303
    assert len(recorded(api, "reference", "LocationCoordinatesSet")) == 1


def test_an_admin_defines_tea_packed_by_forty_at_a_quarter_kilo(api: ApiHarness) -> None:
    answer = submit(api, "/admin/items/new", {
        "id": "tea-250g", "name": "Thé vert 250 g", "unit": "packet", "pack_size": "40",
        "weight_kg": "0.25",
    })  # fmt: skip

    assert answer.status_code == 303, answer.text
    [event] = recorded(api, "reference", "ItemDefined")
    assert event.data == {"item_id": "tea-250g", "name": "Thé vert 250 g", "unit": "packet",
                               "pack_size": 40, "weight_kg": "0.25", "volume_l": None}  # fmt: skip
    assert event.actor.user_id == ADMIN
    row = row_of(api.client.get("/admin/items").text, "tea-250g")
    assert "Thé vert 250 g" in row and ">40<" in row and "0.25" in row


def test_an_admin_makes_the_ramadan_basket_a_kit_of_flour(api: ApiHarness) -> None:
    answer = submit(api, "/admin/kits/new", {
        "kit_item_id": "ramadan-basket", "item_id.0": "flour-25kg", "quantity.0": "2",
        "item_id.1": "", "quantity.1": "",
    })  # fmt: skip

    assert answer.status_code == 303, answer.text
    [event] = recorded(api, "reference", "KitCompositionSet")
    assert (event.data["kit_item_id"], event.data["version"]) == ("ramadan-basket", 1)
    assert event.data["components"] == [{"item_id": "flour-25kg", "quantity": 2}]
    assert event.actor.user_id == ADMIN
    listed = api.client.get(answer.headers["location"]).text
    assert "Composition enregistrée." in listed
    assert "Farine 25 kg × 2" in listed
    # Changing it starts from the current composition.
    again = api.client.get("/admin/kits/new", params={"kit_item_id": "ramadan-basket"}).text
    assert re.search(r'name="quantity.0" [^>]*value="2"', again)


def test_an_admin_registers_a_donor(api: ApiHarness) -> None:
    answer = submit(api, "/admin/donors/new", {"id": "donor-banque-alimentaire",
                                               "name": "Banque alimentaire"})  # fmt: skip

    assert answer.status_code == 303, answer.text
    [event] = recorded(api, "reference", "DonorRegistered")
    assert event.data == {"donor_id": "donor-banque-alimentaire", "name": "Banque alimentaire"}
    assert event.actor.user_id == ADMIN
    assert "Banque alimentaire" in row_of(api.client.get("/admin/donors").text,
                                          "donor-banque-alimentaire")  # fmt: skip


def test_an_admin_sets_a_threshold_and_sees_the_stock_below_it(api: ApiHarness) -> None:
    api.apply(StockReceived(receipt_id="rcpt-1", location_id="wh-marrakech",
                            item_id="ramadan-basket", quantity=80, lot="RB-1"))  # fmt: skip

    answer = submit(api, "/admin/thresholds/new", {
        "location_id": "wh-marrakech", "item_id": "ramadan-basket", "minimum": "100",
    })  # fmt: skip

    assert answer.status_code == 303, answer.text
    [event] = recorded(api, "stock", "StockThresholdSet")
    assert event.data == {"location_id": "wh-marrakech", "item_id": "ramadan-basket",
                          "minimum": 100}  # fmt: skip
    assert event.actor.user_id == ADMIN
    row = row_of(api.client.get("/admin/thresholds").text, "Entrepôt Marrakech")
    assert re.findall(r'class="num">(\d+)', row) == ["100", "80"]
    assert "Stock bas" in row


# ---- refusals in words, next to their field ---------------------------------------------------


def test_a_taken_id_is_refused_next_to_the_id(api: ApiHarness) -> None:
    answer = submit(api, "/admin/locations/new", TAHANNAOUT | {"id": "wh-casablanca"})

    assert answer.status_code == 409
    taken = "Cet identifiant est déjà pris : choisissez-en un autre."
    assert field_error(answer.text, "id") == taken
    assert recorded(api, "reference", "LocationRegistered") == []


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"latitude": "95"}, "latitude", "90 au plus."),
        ({"longitude": "-181"}, "longitude", "-180 au moins."),
        ({"latitude": "nord"}, "latitude", "Saisissez un nombre (par exemple 31.6295)."),
        ({"longitude": ""}, "latitude",
         "Indiquez la latitude et la longitude, ou aucune des deux."),
    ],
)  # fmt: skip
def test_coordinates_out_of_range_are_refused_next_to_their_field(
    api: ApiHarness, fields: dict[str, str], field: str, words: str
) -> None:
    answer = submit(api, "/admin/locations/new", TAHANNAOUT | fields)

    assert answer.status_code == 422, answer.text
    assert field_error(answer.text, field) == words
    assert 'value="Point de distribution Tahannaout"' in answer.text  # what was typed stays
    assert api.published() == []


def test_a_kit_holding_itself_is_refused_above_its_components(api: ApiHarness) -> None:
    answer = submit(api, "/admin/kits/new", {
        "kit_item_id": "ramadan-basket", "item_id.0": "flour-25kg", "quantity.0": "2",
        "item_id.1": "ramadan-basket", "quantity.1": "1",
    })  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert field_error(answer.text, "components") == (
        "Un kit contient chaque composant une seule fois, et jamais lui-même."
    )
    assert api.published() == []


def test_a_component_without_a_quantity_is_refused_on_its_row(api: ApiHarness) -> None:
    answer = submit(api, "/admin/kits/new", {
        "kit_item_id": "ramadan-basket", "item_id.0": "", "quantity.0": "",
        "item_id.1": "flour-25kg", "quantity.1": "0",
    })  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert field_error(answer.text, "component.1") == "Saisissez un nombre supérieur à zéro."
    assert api.published() == []


def test_a_negative_threshold_is_refused_next_to_the_minimum(api: ApiHarness) -> None:
    answer = submit(api, "/admin/thresholds/new", {
        "location_id": "wh-marrakech", "item_id": "ramadan-basket", "minimum": "-5",
    })  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert field_error(answer.text, "minimum") == "Le nombre ne peut pas être négatif."
    assert api.published() == []


# ---- who may open the desk ----------------------------------------------------------------------


def admin_routes(api: ApiHarness) -> list[tuple[str, str]]:
    return [(m, p) for m, p in web_routes(api) if p == "/admin" or p.startswith("/admin/")]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_every_other_role_finds_every_page_of_the_desk_closed(api: ApiHarness, role: str) -> None:
    token = csrf_of(api.client.get("/admin/donors/new").text)
    signed_in(api, role)
    routes = admin_routes(api)
    assert len(routes) >= 17
    for method, path in routes:
        url = path.format(location_id="wh-casablanca", username=USERNAMES["admin"])
        answer = api.client.request(method, url, data=TAHANNAOUT | {"csrf": token}
                                    if method == "POST" else None)  # fmt: skip
        assert answer.status_code == 403, (role, method, path, answer.status_code)
        assert "Accès refusé" in answer.text
    assert api.published() == []
    assert "/admin" not in re.findall(r'href="(/[a-z]+)"', api.client.get("/").text)


def test_the_admin_sees_the_desk_among_its_sections_and_every_page_opens(api: ApiHarness) -> None:
    home = api.client.get("/operator").text
    assert '<a href="/admin">Administration</a>' in home
    for method, path in admin_routes(api):
        if method == "GET":
            url = path.format(location_id="wh-casablanca", username=USERNAMES["admin"])
            answer = api.client.get(url, follow_redirects=False)
            assert answer.status_code in (200, 303), (path, answer.status_code)
    tabs = api.client.get("/admin/locations").text
    assert '<a href="/admin/users"' in tabs


# ---- lists a page at a time ---------------------------------------------------------------------


def test_the_donors_list_pages_and_the_link_shows_the_rest(api: ApiHarness) -> None:
    count = PAGE_ROWS + 5
    api.apply(*(DonorRegistered(donor_id=f"donor-{n:03d}", name=f"Donateur {n}")
                for n in range(count)))  # fmt: skip

    first = api.client.get("/admin/donors")
    link = re.search(r'<p class="more"><a href="([^"]+)">', first.text)
    assert link, first.text
    second = api.client.get(link.group(1).replace("&amp;", "&"))

    shown: list[Any] = re.findall(r"<td>(donor-\d{3})</td>", first.text + second.text)
    assert len(shown) == count and len(set(shown)) == count
    assert 'class="more"' not in second.text
