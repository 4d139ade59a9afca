"""Produced records become batch events from one callback per kafka-python batch (no broker).

Drives brokers.real.kafka.producers.ProduceBatches with kafka-python's own future classes,
completed the way its sender thread completes them.
"""

from __future__ import annotations

from kafka.errors import MessageSizeTooLargeError
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata
from kafka.structs import TopicPartition

from brokers.real.kafka.producers import ProduceBatches


class Sink:
    def __init__(self) -> None:
        self.events: list = []

    def now(self) -> float:
        return 1.0

    def put(self, event) -> None:
        self.events.append(event)

    def emit(self, cls, **fields) -> None:
        self.events.append(cls(t=1.0, **fields))


def record(batch: FutureProduceResult, index: int) -> FutureRecordMetadata:
    return FutureRecordMetadata(batch, index, 0, None, 1, 1, 0)


def info(msg: str) -> tuple:
    return ("p", "t", msg, "key", "reason", 1, -1)


def kinds(sink: Sink) -> list[tuple]:
    return [(e.kind, getattr(e, "offset", None), tuple(e.msgs)) for e in sink.events]


def test_a_batch_reports_its_records_once_with_offsets_from_its_base():
    sink, batch = Sink(), FutureProduceResult(TopicPartition("bp.x.t", 2))
    batches = ProduceBatches(sink, {})
    for i, msg in enumerate(["k1", "k2", "k3"]):
        batches.track(record(batch, i), info(msg))
    assert sink.events == []
    batch.success((40, -1, None))
    assert kinds(sink) == [
        ("sent", None, ("k1", "k2", "k3")),
        ("appended", 40, ("k1", "k2", "k3")),
        ("produce_acked", 40, ("k1", "k2", "k3")),
    ]
    assert sink.events[1].partition == 2 and sink.events[1].last_offset == 42


def test_a_record_listed_after_its_batch_completed_is_reported_on_its_own():
    sink, batch = Sink(), FutureProduceResult(TopicPartition("bp.x.t", 0))
    batches = ProduceBatches(sink, {})
    batches.track(record(batch, 0), info("k1"))
    late = record(batch, 1)
    batch.success((7, -1, None))
    batches.track(late, info("k2"))  # send() returned after the broker already answered
    assert [k for k in kinds(sink) if k[0] == "appended"] == [
        ("appended", 7, ("k1",)),
        ("appended", 8, ("k2",)),
    ]


def test_a_failed_batch_fails_each_of_its_records():
    sink, batch = Sink(), FutureProduceResult(TopicPartition("bp.x.t", 1))
    batches = ProduceBatches(sink, {})
    batches.track(record(batch, 0), info("k1"))
    batches.track(record(batch, 1), info("k2"))
    batch.failure(MessageSizeTooLargeError("too big"))
    failed = [e for e in sink.events if e.kind == "produce_failed"]
    assert [e.msgs for e in failed] == [["k1"], ["k2"]]
    assert {e.error for e in failed} == {"MessageSizeTooLargeError"}
