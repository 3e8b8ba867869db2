"""What the use cases need from the process that runs them (the API wires the real ones)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Engine

from services.command_bus import CommandBus
from services.positions import Position
from services.privacy import PersonalData
from services.settings import Settings


class Ports(Protocol):
    """The command bus, the read models, the household key store and the settings, plus
    the newest position this process wrote per partition (to read its own writes)."""

    settings: Settings
    engine: Engine
    bus: CommandBus
    personal: PersonalData
    last_written: dict[tuple[str, int], int]

    def wrote(self, position: Position) -> None: ...
