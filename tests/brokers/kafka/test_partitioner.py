"""The default partitioner: murmur2 placement bit-identical to kafka-python; null-key strategies."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.partitioner.default import DefaultPartitioner
from kafka.partitioner.default import murmur2 as kp_murmur2

from brokers.kafka.partitioner import NullKeyPartitioner, murmur2, partition_for_key


class FakeCluster:
    """Just enough of kafka-python's ClusterMetadata for DefaultPartitioner."""

    def __init__(self, partitions: int) -> None:
        self.partitions = set(range(partitions))

    def topics(self):
        return {"t"}

    def partitions_for_topic(self, topic):
        return self.partitions

    def available_partitions_for_topic(self, topic):
        return self.partitions


def keys() -> list[bytes]:
    """1,000+ keys: empty, ASCII, unicode text, and random bytes of every tail length."""
    rng = random.Random(7)
    out = [b"", b"a", b"ab", b"abc", b"abcd", "é".encode(), "日本語".encode(), "🦄🐍".encode()]
    for n in range(1000):
        if n % 3 == 0:
            text = "".join(chr(rng.randrange(32, 0x2FFFF)) for _ in range(rng.randrange(12)))
            out.append(text.encode("utf-8", "surrogatepass"))
        else:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(40))))
    return out


def test_murmur2_agrees_with_kafka_python_for_1000_keys():
    """murmur2 is bit-identical to kafka-python's for every generated key."""
    for key in keys():
        assert murmur2(key) == kp_murmur2(key), key


@pytest.mark.parametrize("partitions", [1, 2, 3, 7, 12, 64])
def test_keyed_records_go_where_kafka_pythons_default_partitioner_sends_them(partitions):
    """toPositive(murmur2(key)) % partitions matches DefaultPartitioner."""
    reference, cluster = DefaultPartitioner(), FakeCluster(partitions)
    for key in keys():
        expected = reference.partition("t", key, key, None, None, cluster)
        assert partition_for_key(key, partitions)[0] == expected, key


@settings(max_examples=300)
@given(text=st.text(), partitions=st.integers(1, 64))
def test_text_keys_are_utf8_encoded_before_hashing(text, partitions):
    """A str key lands where its UTF-8 bytes land."""
    encoded = text.encode("utf-8", "surrogatepass")
    assert partition_for_key(text, partitions)[0] == (kp_murmur2(encoded) & 0x7FFFFFFF) % partitions


def test_the_reason_shows_the_arithmetic():
    """The reason names the key, the hash and the modulo."""
    partition, reason = partition_for_key("21", 3)
    assert reason == f"toPositive(murmur2(key='21'))=1173551340 % 3 = {partition}"


def test_round_robin_visits_available_partitions_in_turn():
    """Round robin cycles through the available partitions."""
    chooser = NullKeyPartitioner("round_robin", random.Random(1))
    chosen = [chooser.choose("t", [0, 2, 3], 4, 10)[0] for _ in range(6)]
    assert chosen == [0, 2, 3, 0, 2, 3]


def test_sticky_stays_until_batch_size_bytes_then_switches():
    """Sticky keeps one partition for 16384 bytes, then moves to another."""
    chooser = NullKeyPartitioner("sticky", random.Random(1))
    first = [chooser.choose("t", [0, 1, 2], 3, 4096)[0] for _ in range(4)]
    assert len(set(first)) == 1
    assert chooser.choose("t", [0, 1, 2], 3, 4096)[0] != first[0]


def test_sticky_leaves_a_partition_that_became_unavailable():
    """A sticky partition whose leader is gone is abandoned."""
    chooser = NullKeyPartitioner("sticky", random.Random(1))
    p = chooser.choose("t", [0, 1, 2], 3, 10)[0]
    rest = [x for x in [0, 1, 2] if x != p]
    assert chooser.choose("t", rest, 3, 10)[0] in rest
