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


TRANSFERS = [
    {
        "id": "tr-casa-haouz-01",
        "from_location_id": "wh-casablanca",
        "to_location_id": "site-al-haouz-amizmiz",
        "lines": [{"item_id": "ramadan-basket", "quantity": 300}],
    },
]
ARRIVAL = {"lines": [{"item_id": "ramadan-basket", "quantity": 296}]}  # 4 lost on the road
DONORS = [{"id": "fondation-atlas", "name": "Fondation Atlas"}]
DONATIONS = [
    {
        "id": "don-atlas-2026-01",
        "donor_id": "fondation-atlas",
        "location_id": "wh-marrakech",
        "item_id": "blanket",
        "quantity": 1500,
        "lot": "BL-ATLAS-01",
        "expires_on": "2031-12-31",
    },
]
OPERATIONS = [
    {
        "id": "seisme-al-haouz",
        "name": "Séisme d'Al Haouz",
        "kind": "earthquake",
        "region_codes": ["MA07"],
    },
]
DEPLOYMENTS = [
    {
        "id": "convoi-haouz-01",
        "operation_id": "seisme-al-haouz",
        "from_location_id": "wh-marrakech",
        "to_location_id": "site-al-haouz-amizmiz",
        "lines": [{"item_id": "blanket", "quantity": 400}],
        "expected_hours": 24,
    },
]
CONVOY_STEPS = [
    ("/v1/deployments/convoi-haouz-01/dispatch", {}),
    (
        "/v1/deployments/convoi-haouz-01/deliver",
        {"lines": [{"item_id": "blanket", "quantity": 380}]},
    ),
]
CAMPAIGNS = [
    {
        "id": "ramadan-2027",
        "name": "Opération Ramadan 2027",
        "item_id": "ramadan-basket",
        "quantity_per_household": 1,
        "starts_on": "2026-11-01",
        "ends_on": "2027-04-30",
        "region_codes": ["MA07"],
        "groups": ["children", "elderly", "disability", "women"],
    },
]
HOUSEHOLDS = [
    {
        "id": f"hh-demo-{n}",
        "national_id": f"EE{400100 + n}",
        "head_name": name,
        "size": size,
        "region_code": "MA07",
        "province_code": "MA0731",
        "groups": groups,
    }
    for n, (name, size, groups) in enumerate(
        [
            ("Fatima Ait Ouahmane", 6, ["children"]),
            ("Mohamed Id Bella", 3, ["elderly"]),
            ("Aicha Oubella", 5, ["children", "women"]),
            ("Lahcen Ait Lhaj", 2, ["disability"]),
            ("Zahra Amazigh", 7, ["children", "elderly"]),
        ]
    )
]
DISTRIBUTIONS = [
    {
        "id": f"dist-demo-{n}",
        "campaign_id": "ramadan-2027",
        "household_id": f"hh-demo-{n}",
        "site_id": "site-al-haouz-amizmiz",
        "quantity": 1,
    }
    for n in range(3)
]


def load_demo(base_url: str, token: str) -> None:
    """Post the scenario; repeats answer 200 (or 409 for a household served) and change nothing."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for path, bodies in (
            ("/v1/locations", LOCATIONS),
            ("/v1/items", ITEMS),
            ("/v1/stock/receipts", RECEIPTS),
            ("/v1/stock/transfers", TRANSFERS),
            ("/v1/stock/transfers/tr-casa-haouz-01/receipt", [ARRIVAL]),
            ("/v1/campaigns", CAMPAIGNS),
            ("/v1/households", HOUSEHOLDS),
            ("/v1/distributions", DISTRIBUTIONS),
            ("/v1/donors", DONORS),
            ("/v1/donations", DONATIONS),
            ("/v1/operations", OPERATIONS),
            ("/v1/deployments", DEPLOYMENTS),
        ):
            for body in bodies:
                answer = client.post(path, json=body)
                if answer.status_code >= 400:
                    raise RuntimeError(f"{path} {body.get('id', '')}: {answer.text}")
        for path, body in CONVOY_STEPS:  # a second load finds the convoy already delivered
            answer = client.post(path, json=body)
            if answer.status_code >= 400 and answer.status_code != 409:
                raise RuntimeError(f"{path}: {answer.text}")
