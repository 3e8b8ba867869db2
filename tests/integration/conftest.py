"""A running system per test: topics, a real `aid worker` process, the API in-process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from projections.database import make_engine, migrate
from services.domain.positions import Position
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from services.runtime.users import create_user, wait_projected
from tests.support.kafka import wait_until_served
from tests.support.processes import WorkerProcess


@dataclass
class System:
    settings: Settings
    engine: Engine
    publisher: KafkaEventPublisher
    worker: WorkerProcess
    client: TestClient

    def user(self, name: str, role: str, **scopes: list[str]) -> dict[str, str]:
        """Create a user and return the Authorization header for them."""
        token, position = create_user(self.settings, self.publisher, name, role, **scopes)
        assert wait_projected(self.engine, self.settings, position, timeout=60), (
            self.worker.log_tail()
        )
        return {"Authorization": f"Bearer {token}"}

    def settled(self) -> None:
        """Wait until everything the in-process API wrote is projected: another process (an
        `aid api`, a held worker) reads it then, although it did not write it."""
        services = self.client.app.state.services
        for (stream, partition), offset in list(services.last_written.items()):
            where = Position(stream, partition, offset)
            assert wait_projected(self.engine, self.settings, where, timeout=60), where


@pytest.fixture
def system(settings: Settings) -> Iterator[System]:
    ensure_topics(settings)
    wait_until_served(settings)
    engine = make_engine(settings.db_url)
    migrate(engine)
    worker = WorkerProcess(settings).start()
    publisher = KafkaEventPublisher(settings)
    app = create_app(settings, publisher)
    try:
        with TestClient(app) as client:
            yield System(settings, engine, publisher, worker, client)
    finally:
        worker.discard()
        publisher.close()
        engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (a stable sort, so modules stay together): the two xdist workers
    share them out from the start instead of one of them running the last ones alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
