"""A consumer group as its coordinator sees it: members, generations, assignment, offsets.

A join, a leave, a missed session timeout or a change of subscribed topics starts a
rebalance: the group waits until every member has rejoined (a member rejoins from its
next poll, after the batch it is processing; a crashed member never does, so the group
waits for its session timeout), then the assignor runs and a new generation begins.
Eager assignors (`range`, `roundrobin`) take every partition away first, committing if
auto-commit is on; `cooperative-sticky` lets members keep what they own and hands moving
partitions over in a second round. The group also keeps committed offsets, which offsets
each partition's records were processed at (to flag duplicates), and a bounded history
of its total lag. Lag = log end offset - committed offset, as
`kafka-consumer-groups --describe` shows it; a partition with no commit has no lag
(the tool prints "-") and does not count in the group total.

Leaves out static membership, `max.poll.interval.ms`, the rebalance timeout, the
initial rebalance delay, offset expiry and the consumer protocol of KIP-848.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from brokers.kafka import events as ev
from brokers.kafka.assignors import assign, cooperative_sticky_assign

if TYPE_CHECKING:
    from brokers.clock import Clock
    from brokers.events import Emit
    from brokers.kafka.consumer import Member
    from brokers.kafka.replication import Partition

TP = tuple[str, int]
MAX_COOPERATIVE_ROUNDS = 4


class GroupHost(Protocol):
    """What a group asks of its cluster (`KafkaCluster` is one)."""

    clock: Clock
    emit: Emit
    lag_history_size: int

    def has_topic(self, topic: str) -> bool: ...

    def partition_counts(self, topics: set[str]) -> dict[str, int]: ...

    def partition_or_none(self, topic: str, partition: int) -> Partition | None: ...

    def maybe_sample_lag(self) -> None: ...


class Group:
    """One consumer group."""

    def __init__(self, cluster: GroupHost, group_id: str, assignor: str) -> None:
        self.cluster = cluster
        self.group_id = group_id
        self.assignor = assignor
        self.members: dict[str, Member] = {}
        self.generation = 0
        self.state = "Empty"
        self.awaiting: dict[str, None] = {}
        self.reasons: list[str] = []
        self.committed: dict[TP, int] = {}
        self.processed: dict[TP, list[list[int]]] = {}  # disjoint [start, end) runs
        self.lag_history: deque[tuple[float, int]] = deque(maxlen=cluster.lag_history_size)
        self._coop_round = 0

    # -- membership ----------------------------------------------------------------
    def join(self, member: Member) -> None:
        self.members[member.member_id] = member
        if not self.awaiting and self.state != "PreparingRebalance":
            self.assignor = member.assignor
        self.trigger_rebalance(f"{member.member_id} joined", joined=member.member_id)

    def remove(self, member: Member, reason: str) -> None:
        del self.members[member.member_id]
        self.awaiting.pop(member.member_id, None)
        self.cluster.emit(
            ev.MemberLeft(
                t=self.cluster.clock.now,
                group=self.group_id,
                member=member.member_id,
                reason=reason,
            )
        )
        if self.members:
            self.trigger_rebalance(f"{member.member_id}: {reason}")
            return
        self.generation += 1
        self.state, self.awaiting, self.reasons = "Empty", {}, []
        self._emit_rebalanced({}, {}, {}, f"{member.member_id}: {reason}; the group is empty")

    def trigger_rebalance(self, reason: str, joined: str | None = None) -> None:
        """Ask every member to rejoin; complete once all have."""
        if self.state != "PreparingRebalance":
            self.state = "PreparingRebalance"
            self.awaiting = {m: None for m in self.members if m != joined}
            self.reasons = [reason]
            self.cluster.emit(
                ev.RebalanceStarted(
                    t=self.cluster.clock.now,
                    group=self.group_id,
                    reason=reason,
                    waiting_for=list(self.awaiting),
                )
            )
            for member_id in list(self.awaiting):
                self.members[member_id].request_rejoin()
        else:
            self.reasons.append(reason)
        self._maybe_complete()

    def rejoin(self, member: Member) -> None:
        """A member rejoins from poll: eager assignors revoke everything first."""
        if self.assignor != "cooperative-sticky":
            member.revoke(list(member.assignment), "eager rebalance")
        self.awaiting.pop(member.member_id, None)
        self._maybe_complete()

    def _maybe_complete(self) -> None:
        if self.state == "PreparingRebalance" and not self.awaiting:
            self._complete()

    def _complete(self) -> None:
        subs = {m: sorted(member.topics) for m, member in self.members.items()}
        partitions = self.cluster.partition_counts({t for ts in subs.values() for t in ts})
        inputs: dict[str, Any] = {"subscriptions": subs, "partitions": partitions}
        owned = {m: sorted(member.assignment) for m, member in self.members.items()}
        withheld = False
        if self.assignor == "cooperative-sticky":
            inputs["owned"] = {m: [list(tp) for tp in tps] for m, tps in owned.items() if tps}
            target, result = cooperative_sticky_assign(subs, partitions, owned)
            withheld = result != target and self._coop_round < MAX_COOPERATIVE_ROUNDS
            if not withheld:
                result = target
        else:
            result = assign(self.assignor, subs, partitions)
        revoked = {m: [tp for tp in owned[m] if tp not in set(result[m])] for m in result}
        self.generation += 1
        self.state = "Stable"
        reason = "; ".join(self.reasons)
        if withheld:
            self._coop_round += 1
            reason += f"; cooperative round {self._coop_round}: moving partitions withheld"
        else:
            self._coop_round = 0
        self._emit_rebalanced(result, {m: tps for m, tps in revoked.items() if tps}, inputs, reason)
        for member_id, tps in result.items():
            member = self.members[member_id]
            if revoked[member_id]:
                member.revoke(revoked[member_id], "cooperative revocation")
            member.assigned(tps)
        if withheld:
            self.trigger_rebalance("cooperative-sticky: hand over the revoked partitions")

    def _emit_rebalanced(self, result, revoked, inputs, reason: str) -> None:
        self.cluster.emit(
            ev.Rebalanced(
                t=self.cluster.clock.now,
                group=self.group_id,
                generation=self.generation,
                assignor=self.assignor,
                members=list(self.members),
                assignment={m: [list(tp) for tp in tps] for m, tps in result.items()},
                revoked={m: [list(tp) for tp in tps] for m, tps in revoked.items()},
                inputs=inputs,
                reason=reason,
            )
        )

    # -- offsets ---------------------------------------------------------------------
    def commit(self, tp: TP, offset: int, member: str | None, reason: str) -> None:
        """Store a committed offset; unchanged offsets are not re-announced."""
        if self.committed.get(tp) == offset or not self.cluster.has_topic(tp[0]):
            return
        self.committed[tp] = offset
        self.cluster.emit(
            ev.Committed(
                t=self.cluster.clock.now,
                group=self.group_id,
                member=member,
                topic=tp[0],
                partition=tp[1],
                offset=offset,
                reason=reason,
            )
        )
        self.cluster.maybe_sample_lag()

    def mark_processed(self, tp: TP, offsets: list[int]) -> list[int]:
        """Record offsets as processed by this group; return those it had processed before."""
        runs = self.processed.setdefault(tp, [])
        first, last = offsets[0], offsets[-1]
        if runs and runs[-1][1] <= first:
            if runs[-1][1] == first:
                runs[-1][1] = last + 1
            else:
                runs.append([first, last + 1])
            return []
        if not runs:
            runs.append([first, last + 1])
            return []
        seen = [o for o in offsets if any(a <= o < b for a, b in runs)]
        merged = sorted([*runs, [first, last + 1]])
        runs[:] = []
        for a, b in merged:
            if runs and a <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        return seen

    def lag(self) -> tuple[list[dict[str, Any]], int]:
        """Per-partition offsets and lag, and the group's total lag."""
        rows, total = [], 0
        tps = set(self.committed)
        for member in self.members.values():
            tps.update(member.assignment)
        for tp in sorted(tps):
            partition = self.cluster.partition_or_none(*tp)
            if partition is None:
                continue
            committed = self.committed.get(tp)
            lag = None if committed is None else partition.log.log_end - committed
            total += lag or 0
            rows.append(
                {
                    "topic": tp[0],
                    "partition": tp[1],
                    "committed": committed,
                    "log_start": partition.log.log_start,
                    "high_watermark": partition.hw,
                    "log_end": partition.log.log_end,
                    "lag": lag,
                }
            )
        return rows, total

    def forget_topic(self, topic: str) -> None:
        for tp in [tp for tp in self.committed if tp[0] == topic]:
            del self.committed[tp]
        for tp in [tp for tp in self.processed if tp[0] == topic]:
            del self.processed[tp]

    def describe(self) -> dict[str, Any]:
        rows, total = self.lag()
        return {
            "group_id": self.group_id,
            "state": self.state,
            "generation": self.generation,
            "assignor": self.assignor,
            "members": [m.describe() for m in self.members.values()],
            "offsets": rows,
            "lag": total,
            "lag_history": [list(point) for point in self.lag_history],
        }
