"""What `aid worker` runs: the deciders in a faust-streaming app, the policies and the
projectors; in one process (the default) or in processes of their own (`--role`).

In one process, deciding and projecting take turns on one event loop and one GIL: a command
may wait while a projection's batch is decoded. Apart, each has its own, and each scales,
restarts and fails on its own (bench/RESULTS.md has what it changed in speed). A deciders process is
the Faust app and keeps its consumer group (`<prefix>worker`, whose lag /healthz reports as
pending commands). A projectors process runs no Faust app and joins no group of Faust's (an
app with no agents would only trigger rebalances there): each projection is consumed by its
own group (`<prefix>projection-<name>`) from the positions stored with its rows, so processes
running the same projection share its partitions and processes running different ones never
meet.

The policies run no Faust app either: each reads its stream in a group of its own
(`<prefix>policy-<name>`, services.runtime.policies), beside the deciders or apart from them.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import signal
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import faust

from projections.database import make_engine, migrate
from projections.projection import Projection
from projections.registry import PROJECTIONS
from services.domain.deciders import DECIDERS
from services.runtime.dead_letters import dlq_producer
from services.runtime.decider_runner import install_decider
from services.runtime.faust_app import WorkerApp
from services.runtime.gc_tuning import FreezeSurvivors, freeze_after_startup
from services.runtime.kafka_security import faust_credentials
from services.runtime.logs import logging_config
from services.runtime.policies import run_policies
from services.runtime.projector import Projector, tune_for_projecting
from services.runtime.restarts import keep_running
from services.runtime.settings import WORKER_ROLES, Settings, comma_list, get_settings
from services.runtime.topics import ensure_topics

log = logging.getLogger(__name__)


class WorkerMisconfigured(ValueError):
    """A role or a projection that does not exist: the message names the ones that do."""


@dataclass(frozen=True)
class WorkerPlan:
    """What one worker process runs: the deciders or not, the policies or not, and these
    projections."""

    deciders: bool
    policies: bool
    projections: tuple[Projection, ...]


def plan_of(
    settings: Settings, roles: str | None = None, projections: str | None = None
) -> WorkerPlan:
    """The plan the settings (or `aid worker --role/--projections`, given here) ask for."""
    chosen = comma_list(settings.worker_roles if roles is None else roles)
    if not chosen or any(role not in WORKER_ROLES for role in chosen):
        raise WorkerMisconfigured(
            f"a worker's roles are {', '.join(WORKER_ROLES)}, not {','.join(chosen)!r}"
        )
    names = comma_list(settings.worker_projections if projections is None else projections)
    if unknown := [name for name in names if name not in PROJECTIONS]:
        raise WorkerMisconfigured(
            f"no projection named {', '.join(unknown)}; there are {', '.join(PROJECTIONS)}"
        )
    kept = tuple(PROJECTIONS[name] for name in names or PROJECTIONS)
    return WorkerPlan(
        "deciders" in chosen, "policies" in chosen, kept if "projectors" in chosen else ()
    )


def create_app(
    settings: Settings, served: bool = False, plan: WorkerPlan | None = None
) -> faust.App:
    """The deciders' app (with the plan's policies and projectors as one of its tasks, if
    any): stateless in Faust's sense; projection state is in SQL. A `served` app (`aid worker`,
    not a test) freezes its start-up objects out of the collector's reach once started
    (settings.gc_freeze)."""
    plan = plan or plan_of(settings)
    if not plan.deciders:
        raise WorkerMisconfigured(
            "the Faust app runs the deciders: policies and projectors run without it"
        )
    app = WorkerApp(
        f"{settings.topic_prefix}worker",
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=faust_credentials(settings),
        store="memory://",
        web_enabled=False,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        producer_acks=-1,
        broker_session_timeout=10,
        broker_heartbeat_interval=2,
        datadir=str(settings.data_dir / "faust"),
    )

    for decider in DECIDERS:
        install_decider(app, settings, decider)

    if plan.policies or plan.projections:

        @app.task
        async def run_beside_deciders() -> None:
            await run_without_faust(settings, plan, served, beside_deciders=True)

    elif served:

        @app.task
        async def freeze_start_up() -> None:
            _freeze(settings)

    return app


async def run_without_faust(
    settings: Settings, plan: WorkerPlan, served: bool, beside_deciders: bool = False
) -> None:
    """The plan's policies and projectors, until cancelled."""
    work = [run_policies(settings)] if plan.policies else []
    if plan.projections:
        work.append(project(settings, plan.projections, served, beside_deciders))
    elif served:
        _freeze(settings)
    await asyncio.gather(*work)


async def project(
    settings: Settings,
    projections: Sequence[Projection],
    served: bool,
    beside_deciders: bool = False,
) -> None:
    """Run the projectors of `projections` until cancelled; `beside_deciders`: in the
    deciders' process (one `aid worker` for both roles)."""
    engine = make_engine(settings.db_url)
    await asyncio.to_thread(migrate, engine)
    dlq = dlq_producer(settings)
    await dlq.start()
    names = [p.name for p in projections]
    log.info("projecting %s into %s", names, engine.url.render_as_string())
    if served:
        _freeze(settings)
        tune_for_projecting(settings, beside_deciders)
    try:
        await asyncio.gather(
            *(keep_running(partial(Projector, settings, engine, p, dlq)) for p in projections)
        )
    finally:
        await dlq.stop()


def _freeze(settings: Settings) -> None:
    frozen = freeze_after_startup(settings.gc_freeze, settings.gc_threshold)
    if settings.gc_freeze:
        FreezeSurvivors().install()  # the deciders' folded states grow with the registry
    log.info("garbage collector: %d start-up objects frozen", frozen)


async def until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGTERM/SIGINT cancels it (its `finally` blocks run: the
    projectors finish the batch in hand and leave their groups)."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("stopped by a signal")


def run_worker(roles: str | None = None, projections: str | None = None) -> None:
    """Run the worker until interrupted: the roles and projections given, else the settings'."""
    settings = get_settings()
    plan = plan_of(settings, roles, projections)
    ensure_topics(settings)
    if not plan.deciders:
        logging.config.dictConfig(logging_config(settings))
        asyncio.run(until_signalled(run_without_faust(settings, plan, served=True)))
        return
    app = create_app(settings, served=True, plan=plan)
    worker = faust.Worker(
        app, loglevel=settings.log_level, quiet=True, logging_config=logging_config(settings)
    )
    worker.execute_from_commandline()
