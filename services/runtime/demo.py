"""A small, realistic scenario loaded through the public API (safe to load twice).

Ramadan baskets are assembled at Marrakech from two donors' goods and purchases, with their
real components and weights; fifty go to Amizmiz, where the first households get them, so
the Fondation Atlas can follow its flour into baskets and to households."""

from __future__ import annotations

from typing import Any

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
ITEMS: list[dict[str, Any]] = [
    {"id": "ramadan-basket", "name": "Panier alimentaire Ramadan", "unit": "basket"},
    {"id": "flour-25kg", "name": "Farine 25 kg", "unit": "sack"},
    {"id": "blanket", "name": "Couverture", "unit": "piece"},
    # the basket's components, in base units with their weight per unit
    {"id": "flour-kg", "name": "Farine", "unit": "kg", "weight_kg": "1"},
    {"id": "sugar-kg", "name": "Sucre", "unit": "kg", "weight_kg": "1"},
    {"id": "rice-kg", "name": "Riz", "unit": "kg", "weight_kg": "1"},
    {"id": "lentils-kg", "name": "Lentilles", "unit": "kg", "weight_kg": "1"},
    {"id": "vermicelli-kg", "name": "Vermicelle", "unit": "kg", "weight_kg": "1"},
    {"id": "tomato-paste-g", "name": "Concentré de tomate", "unit": "g", "weight_kg": "0.001"},
    {"id": "tea-g", "name": "Thé", "unit": "g", "weight_kg": "0.001"},
    {"id": "milk-l", "name": "Lait", "unit": "l", "weight_kg": "1.03", "volume_l": "1"},
    {
        "id": "oil-l",
        "name": "Huile",
        "unit": "l",
        "weight_kg": "0.92",
        "volume_l": "1",
        "pack_size": 5,
    },
]
# About 29 kg: 10 kg flour, 4 kg sugar, 5 kg rice, 1 kg lentils, 1 kg vermicelli, 1.7 kg
# tomato paste, 250 g tea, 3 l milk and 3 l oil.
BASKET = {"flour-kg": 10, "sugar-kg": 4, "rice-kg": 5, "lentils-kg": 1, "vermicelli-kg": 1,
          "tomato-paste-g": 1700, "tea-g": 250, "milk-l": 3, "oil-l": 3}  # fmt: skip
COMPOSITION = {"components": [{"item_id": i, "quantity": q} for i, q in BASKET.items()]}
BASKETS_MADE = 150
PURCHASES = [  # what the donors did not give, bought for the baskets
    {"id": f"rcpt-mrk-{item}", "location_id": "wh-marrakech", "item_id": item,
     "quantity": BASKET[item] * BASKETS_MADE, "lot": f"ACH-{item.upper()}",
     "expires_on": expires}
    for item, expires in (("lentils-kg", "2027-09-30"), ("vermicelli-kg", "2027-09-30"),
                          ("tomato-paste-g", "2028-01-31"), ("tea-g", "2028-06-30"),
                          ("milk-l", "2027-02-28"))
]  # fmt: skip
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
DONORS = [
    {"id": "fondation-atlas", "name": "Fondation Atlas"},
    {"id": "croissant-rouge", "name": "Croissant-Rouge marocain"},
]
DONATIONS: list[dict[str, Any]] = [
    {
        "id": "don-atlas-2026-01",
        "donor_id": "fondation-atlas",
        "location_id": "wh-marrakech",
        "item_id": "blanket",
        "quantity": 1500,
        "lot": "BL-ATLAS-01",
        "expires_on": "2031-12-31",
    },
    # the baskets' goods: the Fondation Atlas's flour and rice, the Croissant-Rouge's sugar
    # and oil, at Marrakech
    *(
        {"id": gift, "donor_id": donor, "location_id": "wh-marrakech", "item_id": item,
         "quantity": quantity, "lot": lot, "expires_on": expires}
        for gift, donor, item, quantity, lot, expires in (
            ("don-atlas-farine-2027", "fondation-atlas", "flour-kg", 2000, "FL-ATLAS-27",
             "2027-06-30"),
            ("don-atlas-riz-2027", "fondation-atlas", "rice-kg", 1000, "RZ-ATLAS-27",
             "2028-03-31"),
            ("don-crm-sucre-2027", "croissant-rouge", "sugar-kg", 800, "SU-CRM-27", None),
            ("don-crm-huile-2027", "croissant-rouge", "oil-l", 600, "HU-CRM-27", "2027-10-31"),
        )
    ),
]  # fmt: skip
ASSEMBLIES = [
    {"id": "asm-mrk-ramadan-01", "location_id": "wh-marrakech", "kit_item_id": "ramadan-basket",
     "quantity": BASKETS_MADE, "lot": "PAN-RAMADAN-27"},
]  # fmt: skip
KITS_TO_SITE = [
    {"id": "tr-mrk-haouz-paniers", "from_location_id": "wh-marrakech",
     "to_location_id": "site-al-haouz-amizmiz",
     "lines": [{"item_id": "ramadan-basket", "quantity": 50, "lot": "PAN-RAMADAN-27"}]},
]  # fmt: skip
KITS_ARRIVED = {"lines": [{"item_id": "ramadan-basket", "quantity": 50}]}
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
        "larger_households": {"min_size": 6, "quantity": 2},  # 2 baskets from 6 members on
        "starts_on": "2026-11-01",
        "ends_on": "2027-04-30",
        "region_codes": ["MA07"],
        "groups": ["children", "elderly", "disability", "women"],
    },
]
PEOPLE = [  # each household's head, size and groups
    ("Fatima Ait Ouahmane", 6, ["children"]),
    ("Mohamed Id Bella", 3, ["elderly"]),
    ("Aicha Oubella", 5, ["children", "women"]),
    ("Lahcen Ait Lhaj", 2, ["disability"]),
    ("Zahra Amazigh", 7, ["children", "elderly"]),
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
    for n, (name, size, groups) in enumerate(PEOPLE)
]
DISTRIBUTIONS = [
    {
        "id": f"dist-demo-{n}",
        "campaign_id": "ramadan-2027",
        "household_id": f"hh-demo-{n}",
        "site_id": "site-al-haouz-amizmiz",
        "quantity": 2 if PEOPLE[n][1] >= 6 else 1,  # the campaign's larger households get 2
    }
    for n in range(3)
]


def load_demo(base_url: str, token: str) -> None:
    """Post the scenario to a running API (see `post_demo`)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        post_demo(client)


def post_demo(client: httpx.Client) -> None:
    """Post the scenario as an admin; repeats answer 200 (or 409 for a household served) and
    change nothing."""
    steps: list[tuple[str, list[dict[str, Any]]]] = [
        ("/v1/locations", LOCATIONS),
        ("/v1/items", ITEMS),
        ("/v1/items/ramadan-basket/composition", [COMPOSITION]),
        ("/v1/stock/receipts", RECEIPTS + PURCHASES),
        ("/v1/stock/transfers", TRANSFERS),
        ("/v1/stock/transfers/tr-casa-haouz-01/receipt", [ARRIVAL]),
        ("/v1/campaigns", CAMPAIGNS),
        ("/v1/households", HOUSEHOLDS),
        ("/v1/donors", DONORS),
        ("/v1/donations", DONATIONS),
        ("/v1/stock/assemblies", ASSEMBLIES),
        ("/v1/stock/transfers", KITS_TO_SITE),
        ("/v1/stock/transfers/tr-mrk-haouz-paniers/receipt", [KITS_ARRIVED]),
        ("/v1/distributions", DISTRIBUTIONS),  # baskets of the kit lot: it expires first
        ("/v1/operations", OPERATIONS),
        ("/v1/deployments", DEPLOYMENTS),
    ]
    for path, bodies in steps:
        for body in bodies:
            answer = client.post(path, json=body)
            if answer.status_code >= 400:
                raise RuntimeError(f"{path} {body.get('id', '')}: {answer.text}")
    for path, body in CONVOY_STEPS:  # a second load finds the convoy already delivered
        answer = client.post(path, json=body)
        if answer.status_code >= 400 and answer.status_code != 409:
            raise RuntimeError(f"{path}: {answer.text}")
