"""Which partition a produced record goes to: the producer's partitioner.

Models the default partitioner of the Java client and kafka-python for keyed records,
`toPositive(murmur2(key)) % partitions`, bit for bit, plus the two null-key strategies a
user can pick by name: *sticky* (stay on one available partition until `batch.size` bytes
went to it, then switch, as KIP-480/KIP-794) and *round robin* (the next available
partition each time, as Java's `RoundRobinPartitioner`). Every choice comes with a
sentence saying why. Leaves out custom partitioners and adaptive (broker-load) choice.
"""

from __future__ import annotations

import random

SEED = 0x9747B28C
M = 0x5BD1E995
MASK = 0xFFFFFFFF
STICKY_BATCH_BYTES = 16384  # batch.size, the producer default


def murmur2(data: bytes) -> int:
    """The 32-bit MurmurHash2 of `data` as Java's `Utils.murmur2` computes it (unsigned).

    >>> murmur2(b"21")
    3321034988
    """
    length = len(data)
    h = (SEED ^ length) & MASK
    for i in range(0, length - length % 4, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * M) & MASK
        k ^= k >> 24
        k = (k * M) & MASK
        h = ((h * M) & MASK) ^ k
    tail = length & ~3
    extra = length % 4
    if extra >= 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * M) & MASK
    h ^= h >> 13
    h = (h * M) & MASK
    h ^= h >> 15
    return h


def to_positive(n: int) -> int:
    """Java's `Utils.toPositive`: clear the sign bit (not abs)."""
    return n & 0x7FFFFFFF


def key_bytes(key: bytes | str) -> bytes:
    """Keys given as text are UTF-8 encoded, as a `str.encode` key_serializer would."""
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def partition_for_key(key: bytes | str, num_partitions: int) -> tuple[int, str]:
    """The partition of a keyed record and the arithmetic that chose it.

    >>> partition_for_key(b"21", 3)
    (0, "toPositive(murmur2(key='21'))=1173551340 % 3 = 0")
    """
    h = to_positive(murmur2(key_bytes(key)))
    partition = h % num_partitions
    shown = key if isinstance(key, str) else key.decode("utf-8", "replace")
    return partition, f"toPositive(murmur2(key={shown!r}))={h} % {num_partitions} = {partition}"


class NullKeyPartitioner:
    """Chooses partitions for records without a key, per topic, with an injected RNG."""

    def __init__(self, strategy: str, rng: random.Random) -> None:
        if strategy not in ("sticky", "round_robin"):
            raise ValueError(f"unknown null key strategy {strategy!r}")
        self.strategy = strategy
        self._rng = rng
        self._sticky: dict[str, tuple[int, int]] = {}  # topic -> (partition, bytes sent)
        self._counter: dict[str, int] = {}

    def choose(
        self, topic: str, available: list[int], all_count: int, size: int
    ) -> tuple[int, str]:
        """The partition for a null-key record of `size` bytes, and why."""
        pool = available or list(range(all_count))
        if self.strategy == "round_robin":
            n = self._counter.get(topic, 0)
            self._counter[topic] = n + 1
            return pool[n % len(pool)], f"null key: round robin (record {n} of topic)"
        partition, sent = self._sticky.get(topic, (-1, 0))
        switched = partition not in pool or sent >= STICKY_BATCH_BYTES
        if switched:
            others = [p for p in pool if p != partition] or pool
            partition, sent = others[self._rng.randrange(len(others))], 0
        self._sticky[topic] = (partition, sent + size)
        why = "new sticky partition" if switched else "sticky partition"
        return partition, f"null key: {why} (switches after batch.size={STICKY_BATCH_BYTES} bytes)"
