"""The reference data most scenarios on the broker start from: two warehouses, one site, two
items, registered through the API as an admin would."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

WAREHOUSES = [
    ("wh-casablanca", "Entrepôt Casablanca", "MA06", "Casablanca-Settat"),
    ("wh-marrakech", "Entrepôt Marrakech", "MA07", "Marrakech-Safi"),
]
SITE = ("site-al-haouz", "Point de distribution Amizmiz", "MA07", "Marrakech-Safi")
ITEMS = [("ramadan-basket", "Panier Ramadan", "basket"), ("flour-25kg", "Farine 25 kg", "sack")]


def reference_requests() -> list[tuple[str, dict[str, Any]]]:
    places = [(w, "warehouse") for w in WAREHOUSES] + [(SITE, "site")]
    return [
        ("/v1/locations", {"id": loc, "name": name, "kind": kind, "region_code": code,
                           "region_name": region})
        for (loc, name, code, region), kind in places
    ] + [
        ("/v1/items", {"id": item, "name": name, "unit": unit}) for item, name, unit in ITEMS
    ]  # fmt: skip


def register_reference(client: TestClient, admin: dict[str, str]) -> None:
    """Each location and item is its own command on its own key, none waiting for another:
    they are sent at once (one round trip through the broker instead of five), and each
    must be accepted."""

    def post(request: tuple[str, dict[str, Any]]) -> tuple[int, str]:
        path, body = request
        r = client.post(path, headers=admin, json=body)
        return r.status_code, r.text

    requests = reference_requests()
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(post, requests))
    for status, text in answers:
        assert status == 201, text
