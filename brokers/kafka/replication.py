"""A replicated partition: leader, followers, ISR, high watermark, elections, idempotence.

All replicas share one `PartitionLog` (the leader's); each replica is represented by its
log end offset (LEO). A follower on a live broker fetches everything the leader has
`replica_fetch_delay` virtual seconds after an append; the high watermark is the lowest
LEO in the ISR, and consumers read only below it. Stopping a broker drops it from every
ISR (keeping the last member, as Kafka does) and moves leadership to the first live ISR
replica in assignment order; with no live ISR replica the partition goes offline unless
`unclean.leader.election.enable`, which elects any live replica and truncates what it
lacks. A restarted follower truncates to the high watermark, catches up and rejoins the
ISR. The leader remembers the last five batches per producer id so a retried batch of an
idempotent producer is recognised and not written twice.

Leaves out leader epochs, `replica.lag.time.max.ms` (live followers never fall behind for
long), preferred-leader rebalancing, reassignment and fetch sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from brokers.kafka import events as ev
from brokers.kafka.log import PartitionLog, Record

if TYPE_CHECKING:
    from brokers.clock import Clock
    from brokers.events import Emit
    from brokers.kafka.topics import TopicConfig

DEDUP_WINDOW = 5  # batches remembered per producer id, as Kafka


class ProduceError(Exception):
    """A produce request the leader refused; `name` is Kafka's error code name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


class Retention(Protocol):
    """The cleaner's jobs a partition sets off (`Cleaner` is one)."""

    def schedule_retention(self, partition: Partition) -> None: ...

    def enforce_retention(self, partition: Partition) -> None: ...


class Configured(Protocol):
    """A topic as a partition sees it: only its configs."""

    @property
    def config(self) -> TopicConfig: ...


class PartitionHost(Protocol):
    """What a partition asks of its cluster (`KafkaCluster` is one)."""

    clock: Clock
    emit: Emit
    broker_up: dict[int, bool]
    replica_fetch_delay: float

    @property
    def topics(self) -> Mapping[str, Configured]: ...

    @property
    def cleaner(self) -> Retention: ...

    def after_roll(self, partition: Partition) -> None: ...


class Partition:
    """One partition of a topic across its replicas."""

    def __init__(self, cluster: PartitionHost, topic: str, index: int, replicas: list[int]) -> None:
        self.cluster = cluster
        self.topic = topic
        self.index = index
        self.replicas = replicas
        self.log = PartitionLog(cluster.clock.now)
        self.leo = dict.fromkeys(replicas, 0)
        self.hw = 0
        self.isr = [r for r in replicas if cluster.broker_up[r]]
        self.leader: int | None = self.isr[0] if self.isr else None
        self.producers: dict[int, dict[int, tuple[int, int]]] = {}  # pid -> seq -> (off, n)
        self.pending_acks: list[tuple[int, Callable[[str | None], None]]] = []
        self.waiters: dict[Any, None] = {}  # consumers blocked in poll, in arrival order
        self._fetch_timer: Any = None
        self.retention_timer: Any = None
        self.retention_waits_for_hw = False  # an expired segment reaches above the HW

    @property
    def config(self) -> TopicConfig:
        return self.cluster.topics[self.topic].config

    # -- produce -------------------------------------------------------------------
    def produce(
        self, records: list[Record], acks: Any, pid: int | None, seq: int | None
    ) -> tuple[int, bool]:
        """Append a batch on the leader; returns (base offset, was a duplicate) or raises."""
        if self.leader is None:
            raise ProduceError("LEADER_NOT_AVAILABLE", f"{self._name()} has no leader")
        if acks == "all" and len(self.isr) < self.config.min_insync_replicas:
            raise ProduceError(
                "NOT_ENOUGH_REPLICAS",
                f"ISR {self.isr} has {len(self.isr)} < min.insync.replicas="
                f"{self.config.min_insync_replicas}",
            )
        if pid is not None and seq is not None:
            seen = self.producers.get(pid, {}).get(seq)
            if seen is not None:
                return seen[0], True
        cfg = self.config
        rolled = self.log.append(records, self.cluster.clock.now, cfg.segment_bytes, cfg.segment_ms)
        base = records[0].offset
        if pid is not None and seq is not None:
            window = self.producers.setdefault(pid, {})
            window[seq] = (base, len(records))
            if len(window) > DEDUP_WINDOW:
                del window[next(iter(window))]
        self.leo[self.leader] = self.log.log_end
        self._advance_hw()  # at once when the leader is alone in the ISR
        if rolled:
            self.cluster.emit(
                ev.SegmentRolled(
                    t=self.cluster.clock.now,
                    topic=self.topic,
                    partition=self.index,
                    base_offset=self.log.active.base_offset,
                    reason=rolled,
                )
            )
            self.cluster.after_roll(self)
        else:
            self.cluster.cleaner.schedule_retention(self)  # the active segment may expire
        self._replicate()
        return base, False

    def wait_for_hw(self, last_offset: int, callback: Callable[[str | None], None]) -> None:
        """Call back (None) once the high watermark passes `last_offset`, or with an error."""
        if self.hw > last_offset:
            callback(None)
        else:
            self.pending_acks.append((last_offset, callback))

    # -- replication -----------------------------------------------------------------
    def _followers(self) -> list[int]:
        up = self.cluster.broker_up
        return [r for r in self.replicas if r != self.leader and up[r]]

    def _replicate(self) -> None:
        if not self._followers():
            return
        if self.cluster.replica_fetch_delay <= 0:
            self.follower_fetch()
        elif self._fetch_timer is None:
            delay = self.cluster.replica_fetch_delay
            self._fetch_timer = self.cluster.clock.schedule(delay, self.follower_fetch)

    def follower_fetch(self) -> None:
        """Live followers copy the leader's log, rejoin the ISR when caught up; HW moves."""
        self._fetch_timer = None
        if self.leader is None:
            return
        joined = []
        for r in self._followers():
            self.leo[r] = self.log.log_end
            if r not in self.isr and self.leo[r] >= self.hw:
                joined.append(r)
        if joined:
            self.isr = [r for r in self.replicas if r in self.isr or r in joined]
            self._emit_isr(f"broker {', '.join(map(str, joined))} caught up")
        self._advance_hw()

    def _advance_hw(self) -> None:
        hw = min(self.leo[r] for r in self.isr) if self.leader is not None else self.hw
        if hw <= self.hw:
            return
        self.hw = hw
        if len(self.isr) > 1:
            self.cluster.emit(
                ev.HighWatermarkAdvanced(
                    t=self.cluster.clock.now,
                    topic=self.topic,
                    partition=self.index,
                    high_watermark=hw,
                    reason=f"every ISR replica {self.isr} has offsets below {hw}",
                )
            )
        if self.retention_waits_for_hw:
            self.cluster.cleaner.enforce_retention(self)
        if self.pending_acks:
            done = [cb for last, cb in self.pending_acks if last < hw]
            self.pending_acks = [(last, cb) for last, cb in self.pending_acks if last >= hw]
            for cb in done:
                cb(None)
        self.wake()

    def wake(self) -> None:
        """Let every consumer blocked on this partition poll again."""
        if self.waiters:
            waiters, self.waiters = self.waiters, {}
            for member in waiters:
                member.wake()

    # -- brokers going and coming --------------------------------------------------------
    def broker_stopped(self, broker: int) -> None:
        if broker not in self.replicas:
            return
        if broker in self.isr and len(self.isr) > 1:
            self.isr = [r for r in self.isr if r != broker]
            self._emit_isr(f"broker {broker} stopped")
        if self.leader == broker:
            self._elect(f"leader broker {broker} stopped")
        else:
            self._advance_hw()

    def broker_started(self, broker: int) -> None:
        if broker not in self.replicas:
            return
        if self.leader is None:
            self._elect(f"broker {broker} started")
            return
        self.leo[broker] = min(self.leo[broker], self.hw)
        self._replicate()

    def _elect(self, why: str) -> None:
        previous, up = self.leader, self.cluster.broker_up
        clean = [r for r in self.replicas if r in self.isr and up[r]]
        lost: list[Record] = []
        if clean:
            leader, reason = clean[0], f"{why}; clean election of ISR member {clean[0]}"
        else:
            unclean = [r for r in self.replicas if up[r]]
            if not unclean or not self.config.unclean_leader_election_enable:
                self.leader = None
                self._fail_pending(f"{why}; no live ISR replica")
                self._emit_leader(previous, f"{why}; no live ISR replica: partition offline", [])
                return
            leader = unclean[0]
            reason = f"{why}; UNCLEAN election of out-of-sync broker {leader}"
            self.isr = [leader]
            self._emit_isr("unclean leader election")
        self.leader = leader
        if self.leo[leader] < self.log.log_end:
            lost = self.log.truncate(self.leo[leader])
            self._forget_producer_state(self.leo[leader])
        for r in self.replicas:
            self.leo[r] = min(self.leo[r], self.log.log_end)
        self.hw = min(self.hw, self.log.log_end)
        self._fail_pending(reason)
        self._emit_leader(previous, reason, [r.offset for r in lost])
        self._advance_hw()
        self.wake()

    def _fail_pending(self, reason: str) -> None:
        pending, self.pending_acks = self.pending_acks, []
        for _, cb in pending:
            cb("NOT_LEADER_OR_FOLLOWER")

    def _forget_producer_state(self, end: int) -> None:
        for window in self.producers.values():
            for seq in [s for s, (off, _) in window.items() if off >= end]:
                del window[seq]

    # -- events and description ----------------------------------------------------------
    def _emit_isr(self, reason: str) -> None:
        self.cluster.emit(
            ev.IsrChanged(
                t=self.cluster.clock.now,
                topic=self.topic,
                partition=self.index,
                isr=list(self.isr),
                reason=reason,
            )
        )

    def _emit_leader(self, previous: int | None, reason: str, lost: list[int]) -> None:
        self.cluster.emit(
            ev.LeaderChanged(
                t=self.cluster.clock.now,
                topic=self.topic,
                partition=self.index,
                leader=self.leader,
                previous=previous,
                reason=reason,
                lost_offsets=lost,
            )
        )

    def _name(self) -> str:
        return f"{self.topic}-{self.index}"

    def cancel_timers(self) -> None:
        for timer in (self._fetch_timer, self.retention_timer):
            if timer is not None:
                timer.cancel()

    def describe(self) -> dict[str, Any]:
        return {
            "partition": self.index,
            "leader": self.leader,
            "replicas": list(self.replicas),
            "isr": list(self.isr),
            "log_start": self.log.log_start,
            "high_watermark": self.hw,
            "log_end": self.log.log_end,
            "replica_log_end": {str(r): self.leo[r] for r in self.replicas},
            "follower_lag": {
                str(r): self.log.log_end - self.leo[r] for r in self.replicas if r != self.leader
            },
            "segments": len(self.log.segments),
            "size": self.log.size,
        }
