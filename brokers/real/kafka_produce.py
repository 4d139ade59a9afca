"""Kafka producers on a real cluster: one `KafkaProducer` per playground producer.

Part of `KafkaAdapter` (see `brokers.real.kafka`). Each send carries the engine-style
message id in a header; its future reports the partition and offset the broker gave
(`Sent`, `Appended`, `ProduceAcked`), with the partitioner's reason computed by
`brokers.kafka.partitioner`, the simulator's own. Leaves out retries as events.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer

from brokers.errors import NotFound, ValidationError
from brokers.kafka import events as ev
from brokers.kafka.partitioner import key_bytes, partition_for_key
from brokers.real.kafka_member import BOOTSTRAP_TIMEOUT_MS, MSG_HEADER

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
        self._seq += 1
        msg = f"k{self._seq}"
        kb = key_bytes(key) if key is not None else None
        vb = value.encode("utf-8") if isinstance(value, str) else value
        if partition is not None:
            reason = f"explicit partition {partition}"
        elif kb is not None:
            reason = partition_for_key(kb, spec["partitions"])[1]
        else:
            reason = NULL_KEY_REASON
        shown_key = None if kb is None else kb.decode("utf-8", "replace")
        future = entry["client"].send(
            self.names.real(topic),
            value=vb,
            key=kb,
            partition=partition,
            headers=list(headers or []) + [(MSG_HEADER, msg.encode())],
            timestamp_ms=timestamp_ms,
        )
        entry["sent"] += 1
        future.add_callback(self._appended, producer, topic, msg, shown_key, reason, entry["acks"])
        future.add_errback(self._failed, producer, topic, msg, partition)
        return msg

    def _appended(self, producer, topic, msg, key, reason, acks, meta) -> None:
        p, offset = meta.partition, meta.offset
        emit = self.sink.emit
        emit(
            ev.Sent,
            producer=producer,
            topic=topic,
            partition=p,
            msgs=[msg],
            attempt=1,
            producer_id=None,
            sequence=None,
        )
        emit(
            ev.Appended,
            producer=producer,
            topic=topic,
            partition=p,
            offset=offset,
            last_offset=offset,
            msgs=[msg],
            keys=[key],
            reasons=[reason],
            leader=self.leaders.get((topic, p), 1),
        )
        if acks != 0:
            emit(
                ev.ProduceAcked,
                producer=producer,
                topic=topic,
                partition=p,
                offset=offset,
                msgs=[msg],
                acks=acks,
            )

    def _failed(self, producer, topic, msg, partition, exc) -> None:
        self.sink.emit(
            ev.ProduceFailed,
            producer=producer,
            topic=topic,
            partition=-1 if partition is None else partition,
            msgs=[msg],
            error=type(exc).__name__,
            reason=str(exc),
            retrying=False,
        )

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every producer's sends are acknowledged (their events are queued)."""
        for entry in self.producers.values():
            entry["client"].flush(timeout=timeout)
