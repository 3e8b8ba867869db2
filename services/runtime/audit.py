"""The audit trail of personal-data reads, as events on the users stream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Literal, cast

import anyio.to_thread

from events import Actor
from events.users import PersonalDataRead
from services.runtime.logs import current_correlation_id
from services.runtime.publisher import EventPublisher
from services.runtime.recording import record


class PublishedAudit:
    """Each read is a `PersonalDataRead` event, written (acks=all) before the data is shown."""

    def __init__(self, publisher: EventPublisher) -> None:
        self.publisher = publisher

    async def personal_data_read(self, actor: Actor, household_id: str, via: str) -> None:
        event = PersonalDataRead(
            username=actor.user_id,
            household_id=household_id,
            via=cast(Literal["household", "lookup"], via),
        )
        now = datetime.now(UTC)
        await anyio.to_thread.run_sync(
            partial(
                record,
                self.publisher,
                [event],
                command_id=f"read:{uuid.uuid4()}",
                actor=actor,
                occurred_at=now,
                recorded_at=now,
                correlation_id=current_correlation_id(),
            )
        )
