"""The partitioner every writer relies on places a key exactly where Kafka's clients do:
a command on another partition than its writer's would be decided by no one, or by two."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafkas_murmur2

from services.runtime.partitioning import keyed_partitioner, murmur2, partition_for


@given(st.binary(max_size=200))
def test_murmur2_is_the_java_client_s(data: bytes) -> None:
    assert murmur2(data) == kafkas_murmur2(data)


@given(st.text(min_size=1, max_size=80), st.integers(min_value=1, max_value=512))
def test_a_key_s_partition_is_the_default_partitioner_s(key: str, count: int) -> None:
    partitions = list(range(count))
    placed = DefaultPartitioner()(key.encode(), partitions, partitions)

    assert partition_for(key, count) == placed
    assert partition_for(key, count) == placed  # remembered, still the same
    assert keyed_partitioner(key.encode(), partitions, partitions) == placed


def test_known_placements_of_household_pseudonyms() -> None:
    """Fixed points (Kafka's own placements), so a change to both sides at once still shows."""
    assert murmur2(b"") == 275646681
    assert [partition_for(k, 6) for k in ("site-asni", "p" + "a" * 40, "hh-017")] == [2, 1, 3]
