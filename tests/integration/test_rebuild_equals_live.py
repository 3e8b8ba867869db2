"""A rebuild equals the live read models, whatever order it reads the partitions in.

On the real broker, through the API only: a warehouse with a long partition of receipts
sends transfers to five others, each received. The rebuild reads in small batches, so
the short partitions of the destinations (their receipts) come in before the origin's
dispatches behind the long prefix; every transfer must still read `received`, and every
table of every projection must hold what the live worker wrote.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from kafka.partitioner.default import murmur2
from sqlalchemy import Engine

from projections.registry import PROJECTIONS
from services.runtime.rebuild import largest_first, rebuild_all
from services.runtime.settings import Settings
from tests.integration.conftest import System
from tests.support.aid_log import batches, forget, interleaving, one_by_one, project, simulate
from tests.support.at_rest import wait_at_rest
from tests.support.processes import settings_env
from tests.support.read_models import every_row

pytestmark = pytest.mark.kafka

# Keyed by location, Agadir's events go to the last of the three partitions and the five
# destinations' to the others, which a consumer drains first.
ORIGIN = "wh-agadir"
DESTINATIONS = ("wh-casablanca", "wh-marrakech", "wh-fes", "wh-oujda", "wh-laayoune")
BASKETS = "ramadan-basket"
RECEIPTS, TRANSFERS = 60, 20  # 600 baskets in, 500 sent on
# The consumer drains partitions in the order of a set of topic-partitions, which changes
# with the hash seed: several seeds read the destinations' receipts first in most runs.
HASH_SEEDS = (0, 1, 2, 3)


@pytest.mark.slow
@pytest.mark.one_backend
def test_after_a_rebuild_in_small_batches_every_received_transfer_still_reads_received(
    system: System,
) -> None:
    assert {partition_of(d) for d in DESTINATIONS} == {0, 1} and partition_of(ORIGIN) == 2
    admin = system.user("rebuild-admin", "admin")

    def ok(path: str, body: dict[str, object]) -> str:
        r = system.client.post(path, headers=admin, json=body)
        assert r.status_code in (200, 201), r.text
        return str(r.json().get("position"))

    for location in (ORIGIN, *DESTINATIONS):
        ok(
            "/v1/locations",
            {
                "id": location,
                "name": location.title(),
                "kind": "warehouse",
                "region_code": "MA06",
                "region_name": "Casablanca-Settat",
            },
        )
    ok("/v1/items", {"id": BASKETS, "name": "Panier Ramadan", "unit": "basket"})
    for n in range(RECEIPTS):
        body = {"id": f"rc-{n}", "location_id": ORIGIN, "item_id": BASKETS, "quantity": 10}
        ok("/v1/stock/receipts", body | {"lot": f"RB-{n % 4}"})
    last = ""
    for n in range(TRANSFERS):
        to = DESTINATIONS[n % len(DESTINATIONS)]
        line = {"item_id": BASKETS, "quantity": 25}
        ok(
            "/v1/stock/transfers",
            {"id": f"tr-{n}", "from_location_id": ORIGIN, "to_location_id": to, "lines": [line]},
        )
        short = {"item_id": BASKETS, "quantity": 25 - n % 3}  # some arrive short
        last = ok(f"/v1/stock/transfers/tr-{n}/receipt", {"lines": [short]})

    def statuses(**params: str) -> dict[str, str]:
        r = system.client.get("/v1/stock/transfers", headers=admin, params=params)
        assert r.status_code == 200, r.text
        return {t["id"]: t["status"] for t in r.json()["items"]}

    every_transfer_received = {f"tr-{n}": "received" for n in range(TRANSFERS)}
    assert statuses(after=last) == every_transfer_received
    wait_at_rest(system.settings, system.engine)
    live = every_row(system.engine)

    system.worker.stop()
    for seed in HASH_SEEDS:
        rebuild_from_the_command_line(system.settings, seed)
        assert every_row(system.engine) == live, f"PYTHONHASHSEED={seed}"
        assert statuses() == every_transfer_received, f"PYTHONHASHSEED={seed}"
    # every projection at once, a process each, the largest log first (as the benchmark runs it)
    order = largest_first(system.settings, list(PROJECTIONS))
    assert order[:2] == ["history", "inventory"] and set(order) == set(PROJECTIONS)
    applied = rebuild_all(system.settings, list(PROJECTIONS))
    short = sum(1 for n in range(TRANSFERS) if n % 3)  # a discrepancy recorded for each
    assert applied["inventory"] == RECEIPTS + 2 * TRANSFERS + short
    assert every_row(system.engine) == live
    system.worker.start()
    for n in range(TRANSFERS):
        r = system.client.get(f"/v1/stock/transfers/tr-{n}", headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "received"


def partition_of(location: str, partitions: int = 3) -> int:
    """The partition the default partitioner gives a location's commands and events."""
    return (murmur2(location.encode()) & 0x7FFFFFFF) % partitions


def rebuild_from_the_command_line(settings: Settings, hash_seed: int) -> None:
    """`aid projections rebuild`, as an operator runs it, reading five records per batch."""
    env = settings_env(settings) | {"AID_WORKER_BATCH_SIZE": "5", "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from services.runtime.cli import main; main()",
            "projections",
            "rebuild",
        ],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


@pytest.mark.parametrize("seed", range(3))
def test_any_interleaving_of_the_partitions_gives_the_same_rows_in_this_database(
    engine: Engine, seed: int
) -> None:
    """The property of tests/unit/test_projection_interleavings.py on SQLite and
    PostgreSQL files, whose batch writers take other paths (one JSON parameter per table
    on PostgreSQL)."""
    log = simulate(random.Random(seed), steps=80)
    project(engine, one_by_one(log.messages))
    in_order = every_row(engine)
    for reading in range(2):
        forget(engine)
        reader = random.Random(f"{seed}:{reading}")
        project(engine, batches(interleaving(log, reader), reader))
        assert every_row(engine) == in_order
