"""AidLedger's facts: event schemas, the envelope, and their wire format.

This package imports nothing else of the project.
"""

from events.base import Event, Identifier, PositiveQuantity
from events.envelope import Actor, Envelope
from events.registry import event_class, event_types
from events.serialization import UndecodableMessage, decode, encode

__all__ = [
    "Actor",
    "Envelope",
    "Event",
    "Identifier",
    "PositiveQuantity",
    "UndecodableMessage",
    "decode",
    "encode",
    "event_class",
    "event_types",
]
