"""The log cleaner's jobs for one cluster: retention by time and bytes, and compaction.

Runs after a segment rolls, after a config change, on a timer when the oldest segment
of a partition (the active one included) will pass `retention.ms`, and when the high
watermark moves past a segment that was waiting for it, so an idle cluster schedules
nothing it does not need. Emits `RetentionDeleted` and `Compacted`. Leaves out the cleaner's
dirty ratio, its threads and throttling, and `log.retention.check.interval.ms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from brokers.kafka import events as ev

if TYPE_CHECKING:
    from brokers.clock import Clock
    from brokers.events import Emit
    from brokers.kafka.replication import Partition


class CleanerHost(Protocol):
    """What the cleaner asks of its cluster (`KafkaCluster` is one)."""

    clock: Clock
    emit: Emit

    @property
    def topics(self) -> Mapping[str, object]: ...


class Cleaner:
    """Retention and compaction for the partitions of one cluster."""

    def __init__(self, cluster: CleanerHost) -> None:
        self.cluster = cluster
        self.clock = cluster.clock
        self.emit = cluster.emit
        self.topics = cluster.topics

    def enforce_retention(self, partition: Partition) -> None:
        cfg = partition.config
        partition.retention_waits_for_hw = False
        if not cfg.deletes:
            return
        log = partition.log
        done = log.delete_retained(
            self.clock.now * 1000, cfg.retention_ms, cfg.retention_bytes, partition.hw
        )
        if done.rolled:
            self.emit(
                ev.SegmentRolled(
                    t=self.clock.now,
                    topic=partition.topic,
                    partition=partition.index,
                    base_offset=log.active.base_offset,
                    reason="retention deletes the active segment, so a new one is rolled first",
                )
            )
        if done.segments:
            self.emit(
                ev.RetentionDeleted(
                    t=self.clock.now,
                    topic=partition.topic,
                    partition=partition.index,
                    segments=[s.base_offset for s in done.segments],
                    records=sum(len(s.records) for s in done.segments),
                    log_start=log.log_start,
                    reason=done.reason,
                )
            )
        # Kafka only deletes below the high watermark; try again when it moves.
        partition.retention_waits_for_hw = done.blocked
        if not done.blocked:
            self.schedule_retention(partition)

    def schedule_retention(self, partition: Partition) -> None:
        cfg = partition.config
        oldest = partition.log.oldest_timestamp()
        if oldest is None or cfg.retention_ms < 0 or not cfg.deletes:
            return
        due = (oldest + cfg.retention_ms) / 1000 + 0.001
        timer = partition.retention_timer
        if timer is not None and not timer.cancelled and timer.time <= due:
            return
        if timer is not None:
            timer.cancel()
        partition.retention_timer = self.clock.at(due, self._retention_due, partition)

    def _retention_due(self, partition: Partition) -> None:
        partition.retention_timer = None
        if self.topics.get(partition.topic) is not None:
            self.enforce_retention(partition)

    def compact(self, partition: Partition) -> None:
        removed, tombstones = partition.log.compact(
            self.clock.now * 1000, partition.config.delete_retention_ms
        )
        if removed:
            self.emit(
                ev.Compacted(
                    t=self.clock.now,
                    topic=partition.topic,
                    partition=partition.index,
                    removed_offsets=[r.offset for r in removed],
                    removed_msgs=[r.msg for r in removed],
                    tombstones_removed=tombstones,
                    reason="cleanup.policy=compact: a later record has the same key"
                    + (" (and expired tombstones)" if tombstones else ""),
                )
            )
