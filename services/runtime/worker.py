"""The faust-streaming app that `aid worker` runs: the deciders and the projectors."""

from __future__ import annotations

import asyncio
import logging

import faust

from projections.database import make_engine, migrate
from projections.registry import PROJECTIONS
from services.domain.deciders import DECIDERS
from services.runtime.dead_letters import dlq_producer
from services.runtime.decider_runner import install_decider
from services.runtime.gc_tuning import freeze_after_startup
from services.runtime.kafka_security import faust_credentials
from services.runtime.logs import logging_config
from services.runtime.policies import install_policies
from services.runtime.projector import Projector
from services.runtime.settings import Settings, get_settings
from services.runtime.topics import ensure_topics

log = logging.getLogger(__name__)


def create_app(settings: Settings, served: bool = False) -> faust.App:
    """The worker app: stateless in Faust's sense; projection state is in SQL. A `served`
    app (`aid worker`, not a test) freezes its start-up objects out of the collector's reach
    once its projectors are built (settings.gc_freeze)."""
    app = faust.App(
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
    install_policies(app, settings)

    @app.task
    async def run_projectors() -> None:
        engine = make_engine(settings.db_url)
        await asyncio.to_thread(migrate, engine)
        dlq = dlq_producer(settings)
        await dlq.start()
        projectors = [Projector(settings, engine, p, dlq) for p in PROJECTIONS.values()]
        log.info("projecting %s into %s", list(PROJECTIONS), engine.url.render_as_string())
        if served:
            frozen = freeze_after_startup(settings.gc_freeze, settings.gc_threshold)
            log.info("garbage collector: %d start-up objects frozen", frozen)
        try:
            await asyncio.gather(*(p.run() for p in projectors))
        finally:
            await dlq.stop()

    return app


def run_worker() -> None:
    """Run the worker until interrupted."""
    settings = get_settings()
    ensure_topics(settings)
    app = create_app(settings, served=True)
    worker = faust.Worker(
        app, loglevel=settings.log_level, quiet=True, logging_config=logging_config(settings)
    )
    worker.execute_from_commandline()
