"""Has a written position been applied by the projections that read its stream?"""

from __future__ import annotations

from sqlalchemy import Engine

from projections.queries import lowest_applied
from projections.registry import PROJECTIONS
from services.positions import Position
from services.settings import Settings


def is_applied(engine: Engine, settings: Settings, position: Position) -> bool:
    readers = [p.name for p in PROJECTIONS.values() if position.stream in p.streams]
    topic = settings.topic(position.stream)
    return lowest_applied(engine, topic, position.partition, readers) >= position.offset
