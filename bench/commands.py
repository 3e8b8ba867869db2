"""Command path: distributions and stock dispatches per second through HTTP → command topic →
decider → event → reply, at a fixed rate and concurrency, with p50/p95/p99 latency.

The baseline is an authenticated read of the same API (`GET /v1/items`) at the same rate and
concurrency: the HTTP and authentication floor without Kafka or a decision. Beside the
throughput, the same run measures what the ledger costs per accepted command (its events
signed and chained by their writer, verified by each reader: `bench.signing.in_commands`).

Every command is timed (`AID_COMMAND_TIMING_SAMPLE=1` for the API): the API answers with the
milliseconds of each stage (`Server-Timing`, services/runtime/command_timing.py) and the
benchmark prints their p50 and p99 (`<name>_stages`): the API's work and the command's write,
the decider taking it, deciding and the events acknowledged, the reply sent, heard and answered.

The deciders and the projectors run in processes of their own, as deployed
(`AID_BENCH_WORKER_SPLIT=0`: one `aid worker`; `compare`: both, one after the other in the
same run). Each load prints the mean CPU % of every worker process and of the API
(`<name>_cpu`), and what one command cost in CPU milliseconds each process of the machine:
the workers, the API, this benchmark's load generator, Kafka and PostgreSQL (`<name>_cpu_ms`),
with the rate their total would allow if nothing else ran on the machine's cores
(`cpu_bound_per_s`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from bench import load
from bench.common import machine, report, size, worker_layouts
from bench.cpu import CpuUsage, ProcessesCpu, cpu_ms_per_command, database_name
from bench.signing import in_commands
from bench.system import CAMPAIGN, ITEM, SITE, WAREHOUSE, running_system
from bench.workload import household_id


def main() -> list[dict[str, Any]]:
    os.environ["AID_COMMAND_TIMING_SAMPLE"] = "1"  # the API's environment: time every command
    return [measure(split) for split in worker_layouts()]


def started(phase: str) -> None:
    """A line on stderr as a phase begins, to attach a profiler to it."""
    print(f"started: {phase}", file=sys.stderr, flush=True)


def measure(split: bool) -> dict[str, Any]:
    count = size("commands", 3000)
    rate = size("rate", 200)
    concurrency = size("concurrency", 64)
    with running_system(count, "_commands", split) as system:
        settings = system.settings
        info = machine([settings.db_url])
        url = system.base_url

        def warm(i: int) -> tuple[str, str, dict[str, Any] | None]:
            return "GET", "/v1/items", None

        load.run(url, system.agent, warm, 50, rate, concurrency)
        baseline = load.run(url, system.agent, warm, count, rate, concurrency)

        def distribution(i: int) -> tuple[str, str, dict[str, Any] | None]:
            body = {"id": f"bench-dist-{i}", "campaign_id": CAMPAIGN, "site_id": SITE,
                    "household_id": household_id(i), "quantity": 1}  # fmt: skip
            return "POST", "/v1/distributions", body

        def dispatch(i: int) -> tuple[str, str, dict[str, Any] | None]:
            line = {"item_id": ITEM, "quantity": 1}
            body = {"id": f"bench-transfer-{i}", "from_location_id": WAREHOUSE,
                    "to_location_id": SITE, "lines": [line]}  # fmt: skip
            return "POST", "/v1/stock/transfers", body

        databases = (database_name(settings.db_url),)
        started("distributions")
        with ProcessesCpu(system.processes) as distributions_cpu, CpuUsage(databases) as d_rest:
            distributions = load.run(url, system.agent, distribution, count, rate, concurrency)
        started("dispatches")
        with ProcessesCpu(system.processes) as dispatches_cpu, CpuUsage(databases) as t_rest:
            dispatches = load.run(url, system.operator, dispatch, count, rate, concurrency)
    figures: dict[str, Any] = {
        "worker": "deciders and projectors apart" if split else "one process",
        "rate_target_per_s": rate,
        "concurrency": concurrency,
    }
    for name, outcome in (
        ("baseline_get_items", baseline),
        ("distributions", distributions),
        ("dispatches", dispatches),
    ):
        figures[name] = outcome.figures()
    base_p99 = baseline.figures()["p99_ms"] or 1.0
    for name, outcome in (("distributions", distributions), ("dispatches", dispatches)):
        figures[f"{name}_p99_vs_baseline"] = round(outcome.figures()["p99_ms"] / base_p99, 1)
    for name, outcome in (("distributions", distributions), ("dispatches", dispatches)):
        figures[f"{name}_stages"] = outcome.stage_figures()
        figures[f"{name}_timed"] = len(outcome.stages)
    figures["distributions_cpu"] = distributions_cpu.figures()
    figures["dispatches_cpu"] = dispatches_cpu.figures()
    cores = os.cpu_count() or 1
    figures["distributions_cpu_ms"] = cpu_ms_per_command(distributions_cpu, d_rest, count, cores)
    figures["dispatches_cpu_ms"] = cpu_ms_per_command(dispatches_cpu, t_rest, count, cores)
    accepted = {"distributions": distributions, "dispatches": dispatches}
    for name, outcome in accepted.items():
        done = outcome.statuses.get(201, 0) + outcome.statuses.get(200, 0)  # 200: a retry replayed
        assert done == count, f"{name}: {dict(outcome.statuses)}"
    figures |= in_commands(figures, settings)  # what signing, chaining and verifying take of it
    return report(f"command path ({figures['worker']})", figures, info)


if __name__ == "__main__":
    main()
