"""Commands grouped as their writers take them: one batch command per partition of their
stream, each small enough for one message, under an id made of its members. An import's
registrations (`RegisterHouseholds`) and an offline sync's records (`RecordDistributions`)
are sent so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

from services.domain.commands import BatchCommand, Command, Reply
from services.domain.distributions.commands import (
    MAX_RECORDS,
    RecordDistribution,
    RecordDistributions,
)
from services.domain.households.decider import RegisterHousehold
from services.domain.households.writer import MAX_HOUSEHOLDS, RegisterHouseholds

Line = TypeVar("Line")
C = TypeVar("C")
MAX_BYTES = 600_000  # of a command's members, as weighed: under Kafka's 1 MB
OVERHEAD = 1500  # bytes a household may take besides its sealed data (pseudonyms, profile)
# bytes a distribution record takes besides its campaign's terms (about 400), or its answer
# with its events in the batch's reply (about 650)
RECORD_OVERHEAD = 800


def per_partition(
    entries: list[tuple[Line, C]],
    partition_of: Callable[[C], int],
    weight: Callable[[C], int],
    most: int,
) -> list[list[tuple[Line, C]]]:
    """The commands, in their order, grouped by partition, each group cut in chunks of at
    most `most` commands and `MAX_BYTES` as weighed."""
    by_partition: dict[int, list[tuple[Line, C]]] = defaultdict(list)
    for line, command in entries:
        by_partition[partition_of(command)].append((line, command))
    chunks: list[list[tuple[Line, C]]] = []
    for group in by_partition.values():
        size = 0
        chunks.append([])
        for entry in group:
            heavy = weight(entry[1])
            if chunks[-1] and (len(chunks[-1]) >= most or size + heavy > MAX_BYTES):
                chunks.append([])
                size = 0
            chunks[-1].append(entry)
            size += heavy
    return chunks


def in_batches(
    registering: list[tuple[Line, RegisterHousehold]], partition_of: Callable[[str], int]
) -> list[tuple[RegisterHouseholds, list[Line]]]:
    """The registrations, in their order, as one command per partition (`partition_of` a
    household's identity; more than one when one would be too big), each with its lines."""
    chunks = per_partition(
        registering,
        lambda command: partition_of(command.identity),
        lambda command: len(command.sealed_personal_data) + OVERHEAD,
        MAX_HOUSEHOLDS,
    )
    return [
        (RegisterHouseholds(households=[c for _, c in chunk]), [line for line, _ in chunk])
        for chunk in chunks
    ]


def record_batches(
    recording: list[tuple[Line, RecordDistribution]], partition_of: Callable[[str], int]
) -> list[tuple[RecordDistributions, list[Line]]]:
    """The records, in their order, as one command per partition of their households'
    identities (more than one when one would be too big), each with its lines."""
    terms: dict[str, int] = {}  # the size of each campaign's terms, weighed once

    def weight(record: RecordDistribution) -> int:
        campaign = record.campaign
        if campaign.campaign_id not in terms:
            terms[campaign.campaign_id] = len(campaign.model_dump_json())
        return terms[campaign.campaign_id] + RECORD_OVERHEAD

    chunks = per_partition(
        recording, lambda record: partition_of(record.identity), weight, MAX_RECORDS
    )
    return [
        (RecordDistributions(records=[c for _, c in chunk]), [line for line, _ in chunk])
        for chunk in chunks
    ]


def item_replies(
    batches: Sequence[tuple[BatchCommand, Sequence[Line]]], replies: Sequence[Reply]
) -> tuple[list[tuple[Line, Reply]], list[tuple[Line, Command]]]:
    """Each line of the batches with its command's own answer from its batch's reply, and
    the lines whose commands are to be sent alone: those of another writer's partition, and
    every line of a batch not decided as one (a worker without batches)."""
    answered: list[tuple[Line, Reply]] = []
    alone: list[tuple[Line, Command]] = []
    for (batch, lines), reply in zip(batches, replies, strict=True):
        commands = [command for _, command in batch.items()]
        items = reply.details.get("replies") if reply.status == "accepted" else None
        if items is None or len(items) != len(lines):
            alone += zip(lines, commands, strict=True)
            continue
        for line, command, item in zip(lines, commands, items, strict=True):
            if item.get("error") == "other_partition":
                alone.append((line, command))
            else:
                answered.append((line, Reply.model_validate(item)))
    return answered, alone
