"""The audit trail of personal-data reads: each one a command to the users' writer, which
records it as a `PersonalDataRead` event on the users stream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal, cast

from events import Actor
from services.app.ports import CommandBus
from services.domain.commands import CommandEnvelope
from services.domain.users.decider import RecordPersonalDataRead
from services.runtime.logs import current_correlation_id


class CommandedAudit:
    """Each read is sent (acks=all) to the users' writer before the data is shown; the API
    writes commands only, never events (its Kafka ACLs allow nothing else)."""

    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    async def personal_data_read(self, actor: Actor, household_id: str, via: str) -> None:
        command = RecordPersonalDataRead(
            username=actor.user_id,
            household_id=household_id,
            via=cast(Literal["household", "lookup"], via),
        )
        envelope = CommandEnvelope.of(
            command,
            uuid.uuid4().hex,
            actor,
            datetime.now(UTC),
            correlation_id=current_correlation_id(),
        )
        await self.bus.submit(command, envelope)
