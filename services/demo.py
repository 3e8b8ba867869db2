"""A small, realistic scenario loaded through the public API (safe to load twice)."""

from __future__ import annotations

import httpx

LOCATIONS = [
    {
        "id": "wh-casablanca",
        "name": "Entrepôt régional Casablanca",
        "kind": "warehouse",
        "region_code": "MA06",
        "region_name": "Casablanca-Settat",
        "province_code": "MA0641",
        "province_name": "Casablanca",
    },
    {
        "id": "wh-marrakech",
        "name": "Entrepôt régional Marrakech",
        "kind": "warehouse",
        "region_code": "MA07",
        "region_name": "Marrakech-Safi",
        "province_code": "MA0751",
        "province_name": "Marrakech",
    },
    {
        "id": "site-al-haouz-amizmiz",
        "name": "Point de distribution Amizmiz",
        "kind": "site",
        "region_code": "MA07",
        "region_name": "Marrakech-Safi",
        "province_code": "MA0731",
        "province_name": "Al Haouz",
    },
]
ITEMS = [
    {"id": "ramadan-basket", "name": "Panier alimentaire Ramadan", "unit": "basket"},
    {"id": "flour-25kg", "name": "Farine 25 kg", "unit": "sack"},
    {"id": "blanket", "name": "Couverture", "unit": "piece"},
]
RECEIPTS = [
    {
        "id": "rcpt-casa-0001",
        "location_id": "wh-casablanca",
        "item_id": "ramadan-basket",
        "quantity": 1200,
        "lot": "RB-2026-03-A",
        "expires_on": "2027-03-31",
    },
    {
        "id": "rcpt-casa-0002",
        "location_id": "wh-casablanca",
        "item_id": "flour-25kg",
        "quantity": 800,
        "lot": "FL-2026-11",
        "expires_on": "2027-05-15",
    },
    {
        "id": "rcpt-mrk-0001",
        "location_id": "wh-marrakech",
        "item_id": "ramadan-basket",
        "quantity": 650,
        "lot": "RB-2026-02-B",
        "expires_on": "2027-01-31",
    },
    {
        "id": "rcpt-mrk-0002",
        "location_id": "wh-marrakech",
        "item_id": "blanket",
        "quantity": 2000,
        "lot": "BL-2026-10",
    },
]


def load_demo(base_url: str, token: str) -> None:
    """Post the scenario; repeats answer 200 and change nothing."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for path, bodies in (
            ("/v1/locations", LOCATIONS),
            ("/v1/items", ITEMS),
            ("/v1/stock/receipts", RECEIPTS),
        ):
            for body in bodies:
                client.post(path, json=body).raise_for_status()
