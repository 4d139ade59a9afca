"""Kafka producers on a real cluster: one `KafkaProducer` per playground producer.

Part of `KafkaAdapter` (see `brokers.real.kafka.adapter`). Each send carries the engine-style
message id in a header; the futures of one kafka-python batch report the partition and
offsets the broker gave as one `Sent`, `Appended` and `ProduceAcked` for the batch, as the
simulator reports its batches, with the partitioner's reason computed by
`brokers.kafka.partitioner`, the simulator's own. While the cluster is away a send is
refused at once with `Disconnected` (the producer agent waits and tries again) rather
than blocking the caller on kafka-python's metadata wait. Leaves out retries as events.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, NamedTuple

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from brokers.errors import Disconnected, NotFound, ValidationError
from brokers.kafka import events as ev
from brokers.kafka.partitioner import key_bytes, partition_for_key
from brokers.real.kafka.member import BOOTSTRAP_TIMEOUT_MS, MSG_HEADER, RECONNECT_BACKOFF_MAX_MS

NULL_KEY_REASON = "null key: kafka-python's default partitioner picks a random available partition"


class ProducerOps:
    """The producer half of `KafkaApi` (mixed into `KafkaAdapter`)."""

    # -- producers ---------------------------------------------------------------------
    def add_producer(
        self,
        producer: str,
        acks: Any = "all",
        enable_idempotence: bool = True,
        linger_ms: int = 0,
        retries: int = 5,
        null_key_strategy: str = "sticky",
    ) -> None:
        if producer in self.producers:
            raise ValidationError(f"producer '{producer}' already exists")
        if acks not in (0, 1, "all"):
            raise ValidationError(f"acks must be 0, 1 or 'all', got {acks!r}")
        self._admin()
        client = KafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.names.real(producer),
            acks=acks,
            enable_idempotence=enable_idempotence and acks == "all",
            linger_ms=linger_ms,
            retries=retries,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            max_block_ms=BOOTSTRAP_TIMEOUT_MS,  # send() waiting for metadata
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        )
        self.producers[producer] = {
            "client": client,
            "acks": acks,
            "enable_idempotence": enable_idempotence and acks == "all",
            "sent": 0,
        }

    def remove_producer(self, producer: str) -> None:
        if producer not in self.producers:
            raise NotFound(f"no producer '{producer}'")
        client = self.producers.pop(producer)["client"]
        client.flush(timeout=10)
        client.close(timeout=5)

    def send(
        self,
        topic: str,
        value: bytes | str | None,
        key: bytes | str | None = None,
        partition: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
        timestamp_ms: int | None = None,
        producer: str = "default",
    ) -> str:
        spec = self._topic(topic)
        if partition is not None and not 0 <= partition < spec["partitions"]:
            raise ValidationError(
                f"partition {partition} is out of range: topic '{topic}' has "
                f"{spec['partitions']} partitions"
            )
        if producer not in self.producers:
            if producer != "default":
                raise NotFound(f"no producer '{producer}'")
            self.add_producer("default")
        entry = self.producers[producer]
        if not self.connected:
            raise Disconnected(f"Kafka is disconnected ({self.lost_reason}); retrying")
        self._seq += 1
        msg = f"k{self._seq}"
        kb = key_bytes(key) if key is not None else None
        vb = value.encode("utf-8") if isinstance(value, str) else value
        explicit = -1 if partition is None else partition  # what a failure reports
        if partition is not None:
            reason = f"explicit partition {partition}"
        elif kb is not None:
            # the partition kafka-python would compute, passed on so murmur2 runs once
            partition, reason = _keyed(kb, spec["partitions"])
        else:
            reason = NULL_KEY_REASON
        shown_key = None if kb is None else kb.decode("utf-8", "replace")
        record = {
            "value": vb,
            "key": kb,
            "headers": [*(headers or ()), (MSG_HEADER, msg.encode())],
            "timestamp_ms": timestamp_ms,
        }
        try:
            future = self._send(entry["client"], topic, partition, explicit, record)
        except KafkaTimeoutError as exc:  # no metadata within max_block_ms: the cluster is away
            raise Disconnected(f"Kafka did not answer: {exc}") from None
        entry["sent"] += 1
        self._batches.track(
            future, (producer, topic, msg, shown_key, reason, entry["acks"], explicit)
        )
        return msg

    def _send(self, client: Any, topic: str, partition, explicit: int, record: dict) -> Any:
        try:
            return client.send(self.names.real(topic), partition=partition, **record)
        except ValueError:
            if explicit != -1:
                raise
            # kafka-python's metadata of a topic just created can lack a partition it
            # will know soon: let its own partitioner place the record (the same murmur2)
            return client.send(self.names.real(topic), **record)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every producer's sends are acknowledged (their events are queued)."""
        for entry in self.producers.values():
            entry["client"].flush(timeout=timeout)


@functools.lru_cache(maxsize=4096)
def _keyed(key: bytes, partitions: int) -> tuple[int, str]:
    """`partition_for_key`, remembered: a topic's keys repeat (orders, users, devices)."""
    return partition_for_key(key, partitions)


class ProduceBatches:
    """Turns kafka-python's batches into batch events, with one callback per batch.

    kafka-python completes a batch's produce future once, on its sender thread, with
    (base offset, timestamp, per-record errors); each record is `batch_index` from the
    base. Records are listed per batch as they are sent and the batch's callback reports
    them all, so there is no callback per record (measured: one per record cost the
    adapter a tenth of kafka-python's produce rate in bench/real_bench.py). A record
    whose batch completed before it was listed (send() returned, then the broker
    answered at once) starts a list of its own, reported at once. A record that
    kafka-python moved to another batch (a split of a batch too large) settles through
    its own future instead.
    """

    def __init__(self, sink: Any, leaders: dict[tuple[str, int], int]) -> None:
        self.sink = sink
        self.leaders = leaders
        self._open: dict[Any, list] = {}  # kafka-python batch future -> [(info, record future)]
        self._lock = threading.Lock()

    def track(self, future: Any, info: tuple) -> None:
        """List a sent record; `info` is (producer, topic, msg, key, reason, acks, partition)."""
        batch = getattr(future, "_produce_future", None)
        if batch is None or not hasattr(batch, "_add_cb_eb"):  # not the pinned kafka-python
            alone = functools.partial(self._alone, info)
            future.add_callback(alone)
            future.add_errback(alone)
            return
        with self._lock:
            records = self._open.get(batch)
            first = records is None
            if first:
                records = self._open[batch] = []
            records.append((info, future))
        if first:
            done = functools.partial(self._batch_done, batch)
            batch._add_cb_eb(done, done)  # runs at once if the batch is already done

    def _alone(self, info: tuple, result: Any) -> None:
        self._report([(info, result)])

    def _batch_done(self, batch: Any, result: Any) -> None:
        with self._lock:
            records = self._open.pop(batch, [])
        settled: list[tuple[tuple, Any]] = []
        partition = batch.topic_partition[1]
        for info, future in records:
            if future._produce_future is not batch:  # moved to a split batch: settles there
                alone = functools.partial(self._alone, info)
                future.add_callback(alone)
                future.add_errback(alone)
                continue
            settled.append((info, _record_result(result, future.args[0], partition)))
        if settled:
            self._report(settled)

    def _report(self, settled: list[tuple[tuple, Any]]) -> None:
        ok = sorted(
            ((i, r) for i, r in settled if not isinstance(r, BaseException)),
            key=lambda ir: ir[1].offset,
        )
        for info, exc in ((i, r) for i, r in settled if isinstance(r, BaseException)):
            self._failed(info, exc)
        run: list[tuple[tuple, Any]] = []
        for info, meta in ok:
            # one event per run of consecutive offsets (acks=0 gives every record -1)
            if run and (meta.offset < 0 or meta.offset != run[-1][1].offset + 1):
                self._appended(run)
                run = []
            run.append((info, meta))
        if run:
            self._appended(run)

    def _appended(self, run: list[tuple[tuple, Any]]) -> None:
        producer, topic, _, _, _, acks, _ = run[0][0]
        p, offset, last = run[0][1].partition, run[0][1].offset, run[-1][1].offset
        msgs = [info[2] for info, _ in run]
        t = self.sink.now()
        put = self.sink.put
        put(
            ev.Sent(
                t=t,
                producer=producer,
                topic=topic,
                partition=p,
                msgs=msgs,
                attempt=1,
                producer_id=None,
                sequence=None,
            )
        )
        put(
            ev.Appended(
                t=t,
                producer=producer,
                topic=topic,
                partition=p,
                offset=offset,
                last_offset=last,
                msgs=list(msgs),
                keys=[info[3] for info, _ in run],
                reasons=[info[4] for info, _ in run],
                leader=self.leaders.get((topic, p), 1),
            )
        )
        if acks != 0:
            put(
                ev.ProduceAcked(
                    t=t,
                    producer=producer,
                    topic=topic,
                    partition=p,
                    offset=offset,
                    msgs=list(msgs),
                    acks=acks,
                )
            )

    def _failed(self, info: tuple, exc: BaseException) -> None:
        producer, topic, msg, _, _, _, partition = info
        self.sink.emit(
            ev.ProduceFailed,
            producer=producer,
            topic=topic,
            partition=partition,
            msgs=[msg],
            error=type(exc).__name__,
            reason=str(exc),
            retrying=False,
        )


class RecordMeta(NamedTuple):
    """What the events need of kafka-python's RecordMetadata."""

    partition: int
    offset: int


def _record_result(result: Any, index: int | None, partition: int) -> Any:
    """One record's outcome from its batch's: an exception, or its partition and offset
    (kafka-python's own rule: the base offset plus the record's index; -1 under acks=0)."""
    if isinstance(result, BaseException):
        return result
    base, _, record_errors = result
    if record_errors is not None:  # the batch failed record by record
        return record_errors(index)
    offset = base + index if base != -1 and index is not None else base
    return RecordMeta(partition, offset)
