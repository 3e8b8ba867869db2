"""A donor's proof on the real broker: the relief scenario (a gift sent on, a convoy short of
20, households served), a checkpoint, then the donor's proof checked by the standalone
script as a donor would run it: it verifies, and fails once one distribution in it is
altered."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import System
from tests.integration.test_hash_chains import aid
from tests.integration.test_receipts_end_to_end import register_reference
from tests.support.processes import eventually

pytestmark = pytest.mark.kafka
BASKETS, SITE, GIFT = "ramadan-basket", "site-al-haouz", "don-atlas-proof"
HOUSEHOLDS = 12
SCRIPT = Path(__file__).resolve().parents[2] / "events" / "verify_proof.py"


def relief_scenario(system: System, admin: dict[str, str]) -> None:
    """test_relief_end_to_end's scenario, with fewer households."""
    register_reference(system, admin)

    def ok(path: str, body: dict[str, Any]) -> Any:
        r = system.client.post(path, headers=admin, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()

    ok("/v1/donors", {"id": "fondation-atlas", "name": "Fondation Atlas"})
    ok("/v1/operations", {"id": "seisme-al-haouz", "name": "Séisme d'Al Haouz",
                          "kind": "earthquake", "region_codes": ["MA07"]})  # fmt: skip
    ok("/v1/donations", {"id": GIFT, "donor_id": "fondation-atlas",
                         "location_id": "wh-casablanca", "item_id": BASKETS,
                         "quantity": 1000})  # fmt: skip
    ok("/v1/stock/transfers", {"id": "tr-casa-mrk", "from_location_id": "wh-casablanca",
                               "to_location_id": "wh-marrakech",
                               "lines": [{"item_id": BASKETS, "quantity": 600}]})  # fmt: skip
    ok("/v1/stock/transfers/tr-casa-mrk/receipt",
       {"lines": [{"item_id": BASKETS, "quantity": 600}]})  # fmt: skip
    ok("/v1/deployments", {"id": "convoy-1", "operation_id": "seisme-al-haouz",
                           "from_location_id": "wh-marrakech", "to_location_id": SITE,
                           "lines": [{"item_id": BASKETS, "quantity": 400}]})  # fmt: skip
    ok("/v1/deployments/convoy-1/dispatch", {})
    ok("/v1/deployments/convoy-1/deliver", {"lines": [{"item_id": BASKETS, "quantity": 380}]})
    ok("/v1/campaigns", {"id": "urgence-seisme", "name": "Urgence séisme", "item_id": BASKETS,
                         "quantity_per_household": 1, "starts_on": "2026-01-01",
                         "ends_on": "2097-12-31",
                         "operation_id": "seisme-al-haouz"})  # fmt: skip

    def serve(n: int) -> None:
        ok("/v1/households", {"id": f"hh-{n}", "national_id": f"HA{1000 + n}",
                              "head_name": f"Famille {n}", "size": 4, "region_code": "MA07",
                              "province_code": "MA0731"})  # fmt: skip
        ok("/v1/distributions", {"id": f"dist-{n}", "campaign_id": "urgence-seisme",
                                 "household_id": f"hh-{n}", "site_id": SITE,
                                 "quantity": 1})  # fmt: skip

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(serve, range(HOUSEHOLDS)))


def check(proof: dict[str, Any], public_key: str) -> subprocess.CompletedProcess[str]:
    """The script run as a donor runs it, the proof on its standard input."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "-", "--public-key", public_key],
        input=json.dumps(proof),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.one_backend("sqlite")
def test_the_donors_proof_verifies_and_fails_once_a_distribution_is_altered(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = system.user("leila-admin", "admin")
    relief_scenario(system, admin)
    url = f"/v1/donations/{GIFT}/trace"

    def trace() -> dict[str, Any]:
        found: dict[str, Any] = system.client.get(url, headers=admin).json()
        return found

    eventually(
        lambda: trace()["distributed"]["quantity"] == HOUSEHOLDS and trace()["lost"] == 20,
        timeout=60,
        what=f"the site stock consumed by the policy\n{system.worker.log_tail()}",
    )
    code, printed = aid(monkeypatch, system.settings, "ledger", "checkpoint")
    assert code == 0, printed
    listed = system.client.get("/v1/ledger/checkpoints", headers=admin).json()
    public_key = listed["public_key"]

    answer = system.client.get(url, headers=admin, params={"proof": 1})
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["proof"]["checkpoint"] == listed["items"][0]
    assert "hh-" not in json.dumps(document["proof"])  # no household, not even its id

    done = check(document, public_key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK: donation {GIFT}: "), done.stdout

    altered = [
        e["event"]
        for part in document["proof"]["partitions"]
        for e in part["events"]
        if e["event"]["type"] == "StockDistributed" and e["event"]["data"]["donation_id"] == GIFT
    ]
    assert len(altered) == HOUSEHOLDS
    altered[0]["data"]["quantity"] = 3
    done = check(document, public_key)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("FAILED: "), done.stdout
    assert "link broken" in done.stdout or "does not reach the checkpoint" in done.stdout
