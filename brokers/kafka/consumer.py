"""A simulated consumer: the poll loop of one group member (or of a consumer without a group).

An automatic member repeats: poll (auto-commit if due; rejoin if the group asked;
fetch up to `max_poll_records` below the high watermark), then process each record for
`processing_time` virtual seconds, committing per its policy: `before` commits the
batch's end positions right after the fetch (a crash mid-batch loses the rest), `after`
commits what was processed at the end of the batch (a crash redoes it: duplicates),
`auto` commits the positions of earlier polls every `auto_commit_interval_ms`, from
poll, as kafka-python does. With nothing to fetch it waits until a partition's high
watermark moves. A position with no committed offset, or out of the log's range (below
the log start after retention), follows `auto.offset.reset`; `none` leaves the
partition unread. Manual members fetch only when `poll()` is called. Leaves out fetch
sizes and latency, pause/resume, rebalance listeners and consumer interceptors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from brokers.kafka import events as ev

if TYPE_CHECKING:
    from brokers.clock import Clock
    from brokers.events import Emit
    from brokers.kafka.log import Record
    from brokers.kafka.replication import Partition

TP = tuple[str, int]


class MemberHost(Protocol):
    """What a member asks of its cluster (`KafkaCluster` is one)."""

    clock: Clock
    emit: Emit

    def partition_or_none(self, topic: str, partition: int) -> Partition | None: ...


class MemberGroup(Protocol):
    """What a member asks of its group (`brokers.kafka.group.Group` is one)."""

    group_id: str
    state: str
    committed: dict[TP, int]

    def rejoin(self, member: Member) -> None: ...

    def mark_processed(self, tp: TP, offsets: list[int]) -> list[int]: ...

    def commit(self, tp: TP, offset: int, member: str | None, reason: str) -> None: ...


class Member:
    """One consumer with its settings, assignment, positions and loop state."""

    def __init__(
        self, cluster: MemberHost, member_id: str, group: MemberGroup | None, **settings: Any
    ) -> None:
        self.cluster = cluster
        self.member_id = member_id
        self.group = group
        self.group_id = group.group_id if group else None
        self.topics: list[str] = settings["topics"]
        self.assignor: str = settings["partition_assignment_strategy"]
        self.commit_policy: str = settings["commit_policy"]
        self.auto_commit_interval = settings["auto_commit_interval_ms"] / 1000
        self.auto_offset_reset: str = settings["auto_offset_reset"]
        self.max_poll_records: int = settings["max_poll_records"]
        self.processing_time: float = settings["processing_time"]
        self.session_timeout_ms: int = settings["session_timeout_ms"]
        self.manual = settings["behaviour"] == "manual"
        self.state = "active"  # active, crashed, left
        self.assignment: list[TP] = []
        self.positions: dict[TP, int] = {}
        self.processed_upto: dict[TP, int] = {}
        self.unread: dict[TP, None] = {}  # auto.offset.reset=none with nothing to start from
        self.next_auto_commit = cluster.clock.now + self.auto_commit_interval
        self.fetched = self.processed = 0
        self._timer: Any = None
        self._batch: list[tuple[TP, Record]] = []
        self._rotation = 0
        self._rejoin = False

    # -- the loop ------------------------------------------------------------------
    def wake(self) -> None:
        """Poll again soon (data arrived, an assignment came, a seek happened)."""
        if self.state != "active" or self.manual or self._batch:
            return
        if self._timer is not None:
            if self._timer.time <= self.cluster.clock.now:
                return
            self._timer.cancel()  # an auto-commit wake-up later on; poll now instead
        self._timer = self.cluster.clock.schedule(0, self._poll)

    def request_rejoin(self) -> None:
        self._rejoin = True
        if self.manual and self.state == "active":
            self._do_rejoin()
        else:
            self.wake()

    def _poll(self) -> None:
        self._timer = None
        if self.state != "active":
            return
        if self.poll_prelude():
            return
        fetched = self.fetch(self.max_poll_records)
        if not fetched:
            self._wait()
            return
        if self.commit_policy == "before":
            self._commit_positions([tp for tp, _ in fetched], "commit before processing")
        self._batch = [(tp, r) for tp, records in fetched for r in records]
        self._process_batch()

    def poll_prelude(self) -> bool:
        """Auto-commit and rejoin as poll does; True when the member must not fetch now."""
        if self.group is None:
            return False
        if self.commit_policy == "auto" and self.cluster.clock.now >= self.next_auto_commit:
            self.next_auto_commit = self.cluster.clock.now + self.auto_commit_interval
            self._commit_positions(self.assignment, "auto-commit")
        if self._rejoin:
            self._do_rejoin()
            return True  # the new assignment wakes the member
        return self.group.state != "Stable"

    def _do_rejoin(self) -> None:
        self._rejoin = False
        self.group.rejoin(self)

    def _wait(self) -> None:
        if self._uncommitted_auto():
            delay = max(0.0, self.next_auto_commit - self.cluster.clock.now)
            self._timer = self.cluster.clock.schedule(delay, self._poll)  # poll(timeout) returns
        for tp in self.assignment:
            partition = self.cluster.partition_or_none(*tp)
            if partition is not None:
                partition.waiters[self] = None

    def _uncommitted_auto(self) -> bool:
        if self.group is None or self.commit_policy != "auto":
            return False
        committed = self.group.committed
        return any(committed.get(tp) != off for tp, off in self.positions.items())

    def _process_batch(self) -> None:
        if self.processing_time <= 0:
            by_tp: dict[TP, list[Record]] = {}
            for tp, record in self._batch:
                by_tp.setdefault(tp, []).append(record)
            self._batch = []
            for tp, records in by_tp.items():
                self._processed(tp, records)
            self._end_of_batch(list(by_tp))
        else:
            self._timer = self.cluster.clock.schedule(self.processing_time, self._process_one)

    def _process_one(self) -> None:
        self._timer = None
        tp, record = self._batch.pop(0)
        self._processed(tp, [record])
        if self._batch:
            self._timer = self.cluster.clock.schedule(self.processing_time, self._process_one)
        else:
            self._end_of_batch([])

    def _end_of_batch(self, tps: list[TP]) -> None:
        if self.commit_policy == "after":
            self._commit_processed("commit after processing")
        self._timer = self.cluster.clock.schedule(0, self._poll)

    def _processed(self, tp: TP, records: list[Record]) -> None:
        offsets = [r.offset for r in records]
        seen = self.group.mark_processed(tp, offsets) if self.group else []
        dup = set(seen)
        self.processed_upto[tp] = offsets[-1] + 1
        self.processed += len(records)
        self.cluster.emit(
            ev.Processed(
                t=self.cluster.clock.now,
                group=self.group_id,
                member=self.member_id,
                topic=tp[0],
                partition=tp[1],
                offsets=offsets,
                msgs=[r.msg for r in records],
                duplicates=[r.msg for r in records if r.offset in dup] if dup else [],
            )
        )

    # -- fetching ------------------------------------------------------------------
    def fetch(self, max_records: int) -> list[tuple[TP, list[Record]]]:
        """Read from assigned partitions in rotating order; positions advance."""
        out: list[tuple[TP, list[Record]]] = []
        n = len(self.assignment)
        left = max_records
        for i in range(n):
            tp = self.assignment[(self._rotation + i) % n]
            partition = self.cluster.partition_or_none(*tp)
            if partition is None or partition.leader is None or left <= 0:
                continue
            position = self._position(tp, partition)
            if position is None or position >= partition.hw:
                continue
            records = partition.log.read(position, left, partition.hw)
            if not records:
                self.positions[tp] = partition.hw  # a compacted gap up to the high watermark
                continue
            self.positions[tp] = records[-1].offset + 1
            left -= len(records)
            out.append((tp, records))
            self.cluster.emit(
                ev.Fetched(
                    t=self.cluster.clock.now,
                    group=self.group_id,
                    member=self.member_id,
                    topic=tp[0],
                    partition=tp[1],
                    from_offset=records[0].offset,
                    to_offset=records[-1].offset,
                    msgs=[r.msg for r in records],
                )
            )
        self._rotation += 1
        self.fetched += max_records - left
        return out

    def _position(self, tp: TP, partition: Partition) -> int | None:
        position = self.positions.get(tp)
        log = partition.log
        if position is not None and log.log_start <= position <= log.log_end:
            return position
        if tp in self.unread:
            return None
        if position is not None:
            why = f"position {position} is out of range [{log.log_start}, {log.log_end}]"
        else:
            committed = self.group.committed.get(tp) if self.group else None
            if committed is not None and log.log_start <= committed <= log.log_end:
                self.positions[tp] = committed
                return committed
            if committed is None:
                why = "no committed offset"
            else:
                why = (
                    f"committed offset {committed} is out of range [{log.log_start}, {log.log_end}]"
                )
        return self._reset(tp, partition, why)

    def _reset(self, tp: TP, partition: Partition, why: str) -> int | None:
        policy = self.auto_offset_reset
        if policy == "earliest":
            offset = partition.log.log_start
        elif policy == "latest":
            offset = partition.hw
        else:
            offset = None
            self.unread[tp] = None
        if offset is not None:
            self.positions[tp] = offset
        reason = f"{why}: auto.offset.reset={policy}"
        if offset is None:
            reason += " raises NoOffsetForPartitionError; the partition is not read"
        self.emit_reset(tp, offset, reason)
        return offset

    def emit_reset(self, tp: TP, offset: int | None, reason: str) -> None:
        self.cluster.emit(
            ev.OffsetReset(
                t=self.cluster.clock.now,
                group=self.group_id,
                member=self.member_id,
                topic=tp[0],
                partition=tp[1],
                offset=offset,
                reason=reason,
            )
        )

    # -- commits and assignment ----------------------------------------------------------
    def _commit_positions(self, tps: list[TP], reason: str) -> None:
        if self.group is None:
            return
        for tp in tps:
            if tp in self.positions and tp in self.assignment:
                self.group.commit(tp, self.positions[tp], self.member_id, reason)

    def _commit_processed(self, reason: str) -> None:
        if self.group is None:
            return
        for tp, offset in self.processed_upto.items():
            if tp in self.assignment:
                self.group.commit(tp, offset, self.member_id, reason)

    def commit(self, offsets: dict[TP, int], reason: str) -> None:
        """An explicit commit (manual members)."""
        for tp, offset in offsets.items():
            self.group.commit(tp, offset, self.member_id, reason)

    def revoke(self, tps: list[TP], why: str) -> None:
        """Give partitions up; auto-commit commits their positions first, as kafka-python does."""
        if self.commit_policy == "auto":
            self._commit_positions(tps, f"auto-commit on {why}")
        for tp in tps:
            self.positions.pop(tp, None)
            self.processed_upto.pop(tp, None)
            self.unread.pop(tp, None)
        self.assignment = [tp for tp in self.assignment if tp not in tps]

    def assigned(self, tps: list[TP]) -> None:
        self.assignment = list(tps)
        self._rotation = 0
        self.wake()

    def stop(self, state: str) -> None:
        """Crash or leave: no more polls or processing."""
        if state == "left" and self.commit_policy in ("auto", "after"):
            self._commit_processed(f"close() after {self.commit_policy} policy")
        self.state = state
        self._batch = []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def describe(self) -> dict[str, Any]:
        return {
            "member": self.member_id,
            "state": self.state,
            "topics": list(self.topics),
            "assignment": [list(tp) for tp in self.assignment],
            "positions": [[tp[0], tp[1], off] for tp, off in sorted(self.positions.items())],
            "commit_policy": self.commit_policy,
            "processing": len(self._batch),
            "fetched": self.fetched,
            "processed": self.processed,
        }
