"""A simulated producer: partitioning, batching with linger, acks, retries, idempotence.

Each `send` picks a partition at once (explicit, murmur2 of the key, or the null-key
strategy) and adds the record to that partition's open batch. A batch leaves when
`linger_ms` has passed since its first record or it reaches `batch_size` bytes
(immediately with `linger_ms=0`), and only when the previous batch to that partition
was answered: one request in flight per partition, so order holds across retries.
Retriable errors (NOT_ENOUGH_REPLICAS, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER,
REQUEST_TIMED_OUT after a lost ack) are retried after `retry_backoff_ms` up to `retries`
times. An idempotent producer has a producer id and numbers its batches per partition,
so the leader drops a retried batch it already wrote; without idempotence the retry is
written again. Leaves out compression, `max.in.flight` above one, `delivery.timeout.ms`,
buffer memory and transactions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from brokers.kafka import events as ev
from brokers.kafka.log import Record
from brokers.kafka.partitioner import NullKeyPartitioner
from brokers.kafka.replication import ProduceError

if TYPE_CHECKING:
    import random

    from brokers.clock import Clock
    from brokers.events import Emit
    from brokers.kafka.replication import Partition

RETRIABLE = {
    "NOT_ENOUGH_REPLICAS",
    "LEADER_NOT_AVAILABLE",
    "NOT_LEADER_OR_FOLLOWER",
    "REQUEST_TIMED_OUT",
}


class ProducerHost(Protocol):
    """What a producer asks of its cluster (`KafkaCluster` is one)."""

    clock: Clock
    emit: Emit
    rng: random.Random

    def next_producer_id(self) -> int: ...

    def partition_or_none(self, topic: str, partition: int) -> Partition | None: ...

    def appended(self, topic: str) -> None: ...


class Batch:
    """Records bound for one partition, sent and retried together."""

    __slots__ = ("topic", "partition", "records", "reasons", "size", "ready_at", "attempt", "seq")

    def __init__(self, topic: str, partition: int, ready_at: float) -> None:
        self.topic = topic
        self.partition = partition
        self.records: list[Record] = []
        self.reasons: list[str] = []
        self.size = 0
        self.ready_at = ready_at
        self.attempt = 0
        self.seq: int | None = None

    @property
    def msgs(self) -> list[str]:
        return [r.msg for r in self.records]


class Producer:
    """One producer's settings, open batches and in-flight requests."""

    def __init__(self, cluster: ProducerHost, name: str, **settings: Any) -> None:
        self.cluster = cluster
        self.name = name
        self.acks = settings["acks"]
        self.enable_idempotence = settings["enable_idempotence"]
        self.linger_ms = settings["linger_ms"]
        self.retries = settings["retries"]
        self.batch_size = settings.get("batch_size", 16384)
        self.request_timeout_ms = settings.get("request_timeout_ms", 30000)
        self.retry_backoff_ms = settings.get("retry_backoff_ms", 100)
        self.null_key_strategy = settings["null_key_strategy"]
        self.partitioner = NullKeyPartitioner(self.null_key_strategy, cluster.rng)
        self.producer_id = cluster.next_producer_id() if self.enable_idempotence else None
        self.lost_acks = 0
        self.sent = self.acked = self.failed = 0
        self._open: dict[tuple[str, int], Batch] = {}
        self._in_flight: dict[tuple[str, int], Batch] = {}
        self._sequence: dict[tuple[str, int], int] = {}

    def add(self, topic: str, partition: int, record: Record, reason: str) -> None:
        """Put a record in its partition's open batch and send what is ready."""
        tp = (topic, partition)
        batch = self._open.get(tp)
        now = self.cluster.clock.now
        if batch is None:
            batch = self._open[tp] = Batch(topic, partition, now + self.linger_ms / 1000)
            if self.linger_ms > 0:
                self.cluster.clock.schedule(self.linger_ms / 1000, self._maybe_send, tp)
        batch.records.append(record)
        batch.reasons.append(reason)
        batch.size += record.size
        self.sent += 1
        self._maybe_send(tp)

    def flush(self) -> None:
        """Send every open batch now, linger or not (close() and flush() do this)."""
        for batch in self._open.values():
            batch.ready_at = self.cluster.clock.now
        for tp in list(self._open):
            self._maybe_send(tp)

    def _maybe_send(self, tp: tuple[str, int]) -> None:
        if tp in self._in_flight:
            return
        batch = self._open.get(tp)
        if batch is None:
            return
        if batch.ready_at > self.cluster.clock.now and batch.size < self.batch_size:
            return
        del self._open[tp]
        if self.producer_id is not None:
            batch.seq = self._sequence.get(tp, 0)
            self._sequence[tp] = batch.seq + len(batch.records)
        self._transmit(batch)

    def _transmit(self, batch: Batch) -> None:
        tp = (batch.topic, batch.partition)
        self._in_flight[tp] = batch
        batch.attempt += 1
        cluster, now = self.cluster, self.cluster.clock.now
        cluster.emit(
            ev.Sent(
                t=now,
                producer=self.name,
                topic=batch.topic,
                partition=batch.partition,
                msgs=batch.msgs,
                attempt=batch.attempt,
                producer_id=self.producer_id,
                sequence=batch.seq,
            )
        )
        partition = cluster.partition_or_none(batch.topic, batch.partition)
        if partition is None:
            self._fail(batch, "UNKNOWN_TOPIC_OR_PARTITION", "the topic no longer exists", False)
            return
        try:
            base, duplicate = partition.produce(
                batch.records, self.acks, self.producer_id, batch.seq
            )
        except ProduceError as error:
            self._answer(batch, error.name, error.reason)
            return
        self._emit_write(batch, partition.leader, base, duplicate)
        if self.acks == 0:
            self._done(batch)
        elif self.acks == 1:
            self._answer(batch, None, "", base)
        else:
            last = base + len(batch.records) - 1
            partition.wait_for_hw(last, lambda error: self._answer(batch, error, "", base))

    def _emit_write(self, batch: Batch, leader: Any, base: int, duplicate: bool) -> None:
        now = self.cluster.clock.now
        if duplicate:
            self.cluster.emit(
                ev.Deduplicated(
                    t=now,
                    producer=self.name,
                    topic=batch.topic,
                    partition=batch.partition,
                    msgs=batch.msgs,
                    producer_id=self.producer_id,
                    sequence=batch.seq,
                    offset=base,
                )
            )
            return
        self.cluster.emit(
            ev.Appended(
                t=now,
                producer=self.name,
                topic=batch.topic,
                partition=batch.partition,
                offset=base,
                last_offset=base + len(batch.records) - 1,
                msgs=batch.msgs,
                keys=[_text(r.key) for r in batch.records],
                reasons=list(batch.reasons),
                leader=leader,
            )
        )
        self.cluster.appended(batch.topic)

    def _answer(self, batch: Batch, error: str | None, reason: str, base: int = -1) -> None:
        """A produce response arrives (unless a lost ack was injected)."""
        if self.acks == 0:
            self._fail(
                batch, error or "", f"acks=0, the producer never hears of it: {reason}", False
            )
            return
        if self.lost_acks > 0:
            self.lost_acks -= 1
            self.cluster.emit(
                ev.AckLost(
                    t=self.cluster.clock.now,
                    producer=self.name,
                    topic=batch.topic,
                    partition=batch.partition,
                    msgs=batch.msgs,
                )
            )
            timeout = self.request_timeout_ms / 1000
            why = f"no response within request.timeout.ms={self.request_timeout_ms}"
            self.cluster.clock.schedule(timeout, self._retry, batch, "REQUEST_TIMED_OUT", why)
            return
        if error is not None:
            self._retry(batch, error, reason or error)
            return
        self.acked += len(batch.records)
        self.cluster.emit(
            ev.ProduceAcked(
                t=self.cluster.clock.now,
                producer=self.name,
                topic=batch.topic,
                partition=batch.partition,
                offset=base,
                msgs=batch.msgs,
                acks=self.acks,
            )
        )
        self._done(batch)

    def _retry(self, batch: Batch, error: str, reason: str) -> None:
        retrying = error in RETRIABLE and batch.attempt <= self.retries
        if not retrying:
            self._fail(batch, error, reason, False)
            return
        self._emit_failed(batch, error, f"{reason}; retry {batch.attempt} of {self.retries}", True)
        self.cluster.clock.schedule(self.retry_backoff_ms / 1000, self._transmit, batch)

    def _fail(self, batch: Batch, error: str, reason: str, retrying: bool) -> None:
        self.failed += len(batch.records)
        self._emit_failed(batch, error, reason, retrying)
        self._done(batch)

    def _emit_failed(self, batch: Batch, error: str, reason: str, retrying: bool) -> None:
        self.cluster.emit(
            ev.ProduceFailed(
                t=self.cluster.clock.now,
                producer=self.name,
                topic=batch.topic,
                partition=batch.partition,
                msgs=batch.msgs,
                error=error,
                reason=reason,
                retrying=retrying,
            )
        )

    def _done(self, batch: Batch) -> None:
        tp = (batch.topic, batch.partition)
        self._in_flight.pop(tp, None)
        self._maybe_send(tp)

    def describe(self) -> dict[str, Any]:
        return {
            "producer": self.name,
            "acks": self.acks,
            "enable_idempotence": self.enable_idempotence,
            "producer_id": self.producer_id,
            "linger_ms": self.linger_ms,
            "retries": self.retries,
            "null_key_strategy": self.null_key_strategy,
            "sent": self.sent,
            "acked": self.acked,
            "failed": self.failed,
            "in_flight": sum(len(b.records) for b in self._in_flight.values()),
            "buffered": sum(len(b.records) for b in self._open.values()),
        }


def _text(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")
