"""An import's registrations grouped as their writers take them: one `RegisterHouseholds`
per partition of the household commands, each small enough for one message."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

from services.domain.households.decider import RegisterHousehold
from services.domain.households.writer import MAX_HOUSEHOLDS, RegisterHouseholds

Line = TypeVar("Line")
MAX_BYTES = 600_000  # of a command's households, sealed data counted: under Kafka's 1 MB
OVERHEAD = 1500  # bytes a household may take besides its sealed data (pseudonyms, profile)


def in_batches(
    registering: list[tuple[Line, RegisterHousehold]], partition_of: Callable[[str], int]
) -> list[tuple[RegisterHouseholds, list[Line]]]:
    """The registrations, in their order, as one command per partition (`partition_of` a
    household's identity; more than one when one would be too big), each with its lines."""
    by_partition: dict[int, list[tuple[Line, RegisterHousehold]]] = defaultdict(list)
    for line, command in registering:
        by_partition[partition_of(command.identity)].append((line, command))
    batches = []
    for group in by_partition.values():
        for chunk in _chunks(group):
            batch = RegisterHouseholds(households=[command for _, command in chunk])
            batches.append((batch, [line for line, _ in chunk]))
    return batches


def _chunks(
    group: list[tuple[Line, RegisterHousehold]],
) -> list[list[tuple[Line, RegisterHousehold]]]:
    chunks: list[list[tuple[Line, RegisterHousehold]]] = [[]]
    size = 0
    for entry in group:
        weight = len(entry[1].sealed_personal_data) + OVERHEAD
        if chunks[-1] and (len(chunks[-1]) >= MAX_HOUSEHOLDS or size + weight > MAX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += weight
    return chunks


def batch_id(batch: RegisterHouseholds) -> str:
    """The batch's client id, from its households: the same lines sent again (a resend, a
    resumed import) make the same command."""
    ids = "\n".join(h.household_id for h in batch.households).encode()
    return f"batch-{hashlib.blake2b(ids, digest_size=12).hexdigest()}"
