"""Kafka's default partitioner (murmur2 of the key), as every producer and writer places a
keyed record: which partition, so which single writer, a key belongs to.

kafka-python's and aiokafka's murmur2 are pure Python, a byte at a time (about 7 µs for a
household's pseudonym); this one reads the key four bytes at a time (about half), and the
partition of a key seen lately is remembered: a batch checks its households' partitions
at the API, at the decider and again at the policies.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from functools import lru_cache

_SEED = 0x9747B28C
_M = 0x5BD1E995
_WORD = struct.Struct("<I")


def murmur2(data: bytes) -> int:
    """Murmur2 as Kafka's Java client computes it (org.apache.kafka.common.utils.Utils)."""
    length = len(data)
    h = _SEED ^ length
    whole = length & ~3
    for (k,) in _WORD.iter_unpack(data[:whole]):
        k = (k * _M) & 0xFFFFFFFF
        k = ((k ^ (k >> 24)) * _M) & 0xFFFFFFFF
        h = ((h * _M) & 0xFFFFFFFF) ^ k
    rest = length & 3
    if rest >= 3:
        h ^= data[whole + 2] << 16
    if rest >= 2:
        h ^= data[whole + 1] << 8
    if rest >= 1:
        h = ((h ^ data[whole]) * _M) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * _M) & 0xFFFFFFFF
    return h ^ (h >> 15)


def partition_for(key: str, count: int) -> int:
    """The partition a record keyed `key` goes to among `count`."""
    return _placed(key.encode(), count)


@lru_cache(maxsize=1 << 16)
def _placed(key: bytes, count: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % count


def keyed_partitioner(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """aiokafka's `partitioner` for its producers: its default one's placement, a keyed
    record by `partition_for`, one without a key on any partition available."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[_placed(key, len(all_partitions))]
