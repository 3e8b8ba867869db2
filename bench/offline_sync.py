"""Offline sync: records per second through `POST /v1/distributions/batch`, each device's
batches sent one after the other as a device coming back online would, `AID_BENCH_SYNC_DEVICES`
devices at once (their records for different households, as different sites' agents have).
The baseline posts records one by one (`POST /v1/distributions`) with as many in flight as
the batch endpoint runs in parallel. The worker's layout is `AID_BENCH_WORKER_SPLIT`'s
(bench/common.py; apart by default).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench import load
from bench.common import machine, report, size, worker_layouts
from bench.cpu import CpuUsage, ProcessesCpu, cpu_ms_per_command, database_name
from bench.system import CAMPAIGN, SITE, running_system
from bench.workload import household_id


def _record(n: int) -> dict[str, Any]:
    return {"id": f"bench-offline-{n}", "campaign_id": CAMPAIGN, "site_id": SITE,
            "household_id": household_id(n), "quantity": 1,
            "occurred_at": "2026-03-01T10:00:00+00:00"}  # fmt: skip


def main() -> list[dict[str, Any]]:
    return [synced(split) for split in worker_layouts()]


def synced(split: bool) -> dict[str, Any]:
    records = size("sync_records", 5000)
    batch = size("sync_batch", 500)
    singles = size("sync_baseline_records", 500)
    devices = size("sync_devices", 1)
    with running_system(records + singles, "_sync", split) as system:
        info = machine([system.settings.db_url])

        def single(i: int) -> tuple[str, str, dict[str, Any] | None]:
            return "POST", "/v1/distributions", _record(records + i)

        baseline = load.run(system.base_url, system.agent, single, singles, 0, 64)
        statuses: dict[str, int] = {}

        def device(numbers: range) -> list[str]:
            """One device's sync: its records in batches, one after the other."""
            seen = []
            with httpx.Client(base_url=system.base_url, headers=system.agent, timeout=600) as c:
                for first in range(numbers.start, numbers.stop, batch):
                    chunk = range(first, min(numbers.stop, first + batch))
                    response = c.post("/v1/distributions/batch",
                                      json={"records": [_record(n) for n in chunk]})  # fmt: skip
                    response.raise_for_status()
                    seen += [result["status"] for result in response.json()["results"]]
            return seen

        share = -(-records // devices)
        databases = (database_name(system.settings.db_url),)
        started = time.perf_counter()
        with (
            ProcessesCpu(system.processes) as spent,
            CpuUsage(databases) as rest,
            ThreadPoolExecutor(devices) as pool,
        ):
            each = [range(d, min(records, d + share)) for d in range(0, records, share)]
            for seen in pool.map(device, each):
                for status in seen:
                    statuses[status] = statuses.get(status, 0) + 1
        seconds = time.perf_counter() - started
    assert statuses == {"accepted": records}, statuses
    single_rate = baseline.figures()["per_s"]
    figures = {
        "worker": "deciders and projectors apart" if split else "one process",
        "records": records,
        "batch_size": batch,
        "devices": devices,
        "records_per_s": round(records / seconds, 1),
        "results": statuses,
        "baseline_single_posts": baseline.figures(),
        "batch_vs_single_posts": round(records / seconds / single_rate, 2) if single_rate else None,
        "cpu": spent.figures(),
        # what one record cost each process; the load generator's includes building the bodies
        "cpu_ms_per_record": cpu_ms_per_command(spent, rest, records, os.cpu_count() or 1),
    }
    layout = "deciders and projectors apart" if split else "one process"
    return report(f"offline sync (batch endpoint, {layout})", figures, info)


if __name__ == "__main__":
    main()
