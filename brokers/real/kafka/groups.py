"""Kafka consumer groups on a real cluster: members, commits, seeks and offset resets.

Part of `KafkaAdapter` (see `brokers.real.kafka.adapter`). Each member is a real `KafkaConsumer`
on its own thread (`brokers.real.kafka.member`); the members' reports become one
`Rebalanced` per generation. Leaving waits until the broker no longer lists the member,
and an offset reset checks every partition's answer, so a reset right after a leave
cannot be lost to a group that had not emptied yet. Leaves out static membership.
"""

from __future__ import annotations

import time
from typing import Any, get_args

from kafka import TopicPartition
from kafka.admin import OffsetSpec, OffsetTimestamp

from brokers.errors import BrokerError, NotFound, ResourceLocked, ValidationError
from brokers.kafka import events as ev
from brokers.kafka import validate as check
from brokers.kafka.api import (
    AUTO_COMMIT_INTERVAL_MS,
    MAX_POLL_RECORDS,
    SESSION_TIMEOUT_MS,
    CommitPolicy,
    OffsetReset,
    ResetTo,
)
from brokers.kafka.assignors import ASSIGNORS
from brokers.real.kafka.member import Member

LEAVE_JOIN = 30.0  # seconds for a member's thread to close its consumer
DEPARTURE_GRACE = 5.0  # seconds past the session timeout to wait for the broker to drop it
RESET_RETRY = 10.0  # seconds to retry a reset the coordinator answered "not yet" to
RETRIABLE_RESET = {
    "RebalanceInProgressError",
    "UnknownMemberIdError",
    "CoordinatorLoadInProgressError",
    "NotCoordinatorError",
    "CoordinatorNotAvailableError",
}


class GroupOps:
    """The consumer-group half of `KafkaApi` (mixed into `KafkaAdapter`)."""

    # -- consumers -----------------------------------------------------------------------
    def add_member(
        self,
        group_id: str | None,
        topics: list[str],
        member: str | None = None,
        partition_assignment_strategy: str = "range",
        commit_policy: str = "auto",
        auto_commit_interval_ms: int = 5000,
        auto_offset_reset: str = "latest",
        max_poll_records: int = 500,
        processing_time: float = 0.0,
        session_timeout_ms: int = 45000,
        behaviour: str = "auto",
    ) -> str:
        for t in topics:
            self._topic(t)
        # the simulator's checks, from the same owners (brokers.kafka.api, .assignors)
        check.choice("partition_assignment_strategy", partition_assignment_strategy, ASSIGNORS)
        check.choice("commit_policy", commit_policy, get_args(CommitPolicy))
        check.choice("auto_offset_reset", auto_offset_reset, get_args(OffsetReset))
        check.int_in("auto_commit_interval_ms", auto_commit_interval_ms, *AUTO_COMMIT_INTERVAL_MS)
        check.int_in("max_poll_records", max_poll_records, *MAX_POLL_RECORDS)
        check.int_in("session_timeout_ms", session_timeout_ms, *SESSION_TIMEOUT_MS)
        if member is None:
            self._member_seq += 1
            member = f"consumer-{self._member_seq}"
        if member in self.members and self.members[member].state == "active":
            raise ValidationError(f"member '{member}' already exists")
        self._admin()
        if group_id is not None:
            self.groups.setdefault(
                group_id,
                {
                    "assignor": partition_assignment_strategy,
                    "committed": {},
                    "processed": {},
                    "generation": -1,
                },
            )
        settings = {
            "topics": list(topics),
            "partition_assignment_strategy": partition_assignment_strategy,
            "commit_policy": commit_policy,
            "auto_commit_interval_ms": auto_commit_interval_ms,
            "auto_offset_reset": auto_offset_reset,
            "max_poll_records": max_poll_records,
            "processing_time": processing_time,
            "session_timeout_ms": session_timeout_ms,
            "behaviour": behaviour,
        }
        thread = Member(self, member, group_id, **settings)
        self.members[member] = thread
        self.sink.emit(
            ev.MemberJoined,
            group=group_id,
            member=member,
            topics=list(topics),
            assignor=partition_assignment_strategy,
        )
        thread.start_and_wait()
        return member

    def _member(self, member: str) -> Member:
        if member not in self.members:
            raise NotFound(f"no member '{member}'")
        return self.members[member]

    def leave_member(self, member: str) -> None:
        m = self._member(member)
        m.call("leave")
        self._await_departure(m)
        self.sink.emit(ev.MemberLeft, group=m.group_id, member=member, reason="leave group")

    def _await_departure(self, m: Member) -> None:
        """Wait (bounded) until the member's thread closed and the broker no longer lists it.

        Its close sends LeaveGroup, but only when the consumer holds a generation: one
        caught mid-rejoin stays listed until its session times out. Until it is gone the
        group is not empty, and a reset-offsets sent then is refused per partition.
        """
        m.join(LEAVE_JOIN)
        if m.group_id is None:
            return
        client_id, group = self.names.real(m.member), self.names.real(m.group_id)
        deadline = time.monotonic() + m.settings["session_timeout_ms"] / 1000 + DEPARTURE_GRACE
        while time.monotonic() < deadline:
            try:
                described = self._call(lambda a: a.describe_groups([group]))
            except BrokerError:
                return  # no coordinator for the group: nobody is listed
            listed = {
                x.get("client_id") for g in described.values() for x in g.get("members") or []
            }
            if client_id not in listed:
                return
            time.sleep(0.2)

    def crash_member(self, member: str) -> None:
        m = self._member(member)
        m.call("crash")
        m.join(15)
        self.sink.emit(
            ev.MemberCrashed,
            group=m.group_id,
            member=member,
            session_timeout_ms=m.settings["session_timeout_ms"],
        )

    def seek(self, member: str, topic: str, partition: int, offset: int) -> None:
        self._topic(topic)
        self._member(member).call("seek", topic, partition, offset)

    def poll(self, member: str, max_records: int | None = None) -> list[dict[str, Any]]:
        m = self._member(member)
        if m.settings["behaviour"] != "manual":
            raise ValidationError(f"member '{member}' polls on its own (behaviour='auto')")
        return m.call("poll", max_records)

    def commit(self, member: str, offsets: dict[tuple[str, int], int] | None = None) -> None:
        self._member(member).call("commit", offsets)

    def reset_offsets(
        self, group_id: str, topic: str, to: str, value: int | None = None
    ) -> dict[int, int]:
        spec = self._topic(topic)
        check.choice("to", to, get_args(ResetTo))
        if to in ("offset", "timestamp") and not isinstance(value, int):
            raise ValidationError(f"--to-{to} needs an integer value, got {value!r}")
        self._check_inactive(group_id)
        target = {
            "earliest": OffsetSpec.EARLIEST,
            "latest": OffsetSpec.LATEST,
            "offset": value,
            "timestamp": OffsetTimestamp(value) if to == "timestamp" else None,
        }[to]
        real = self.names.real(topic)
        specs = {TopicPartition(real, p): target for p in range(spec["partitions"])}
        result = self._reset_checked(self.names.real(group_id), specs)
        group = self.groups.setdefault(
            group_id, {"assignor": "range", "committed": {}, "processed": {}, "generation": -1}
        )
        out = {}
        for tp, r in sorted(result.items(), key=lambda kv: kv[0].partition):
            offset = r["offset"]
            out[tp.partition] = offset
            self.sink.emit(
                ev.OffsetReset,
                group=group_id,
                member=None,
                topic=topic,
                partition=tp.partition,
                offset=offset,
                reason=f"reset-offsets --to-{to}",
            )
            group["committed"][(topic, tp.partition)] = offset
        return out

    def _reset_checked(self, group: str, specs: dict[TopicPartition, Any]) -> dict[Any, Any]:
        """reset_group_offsets, with every partition's answer checked (kafka-python hands
        errors back per partition instead of raising); retried while the coordinator says
        "not yet", refused with Kafka's words otherwise."""
        deadline = time.monotonic() + RESET_RETRY
        while True:
            result = self._call(lambda a: a.reset_group_offsets(group, dict(specs)))
            errors = {r["error"].__name__ for r in result.values() if r["error"].errno != 0}
            if not errors:
                return result
            if errors - RETRIABLE_RESET or time.monotonic() > deadline:
                raise ResourceLocked(
                    f"Kafka refused to reset the offsets of group '{self.names.user(group)}': "
                    f"{', '.join(sorted(errors))}"
                )
            time.sleep(0.3)

    def _check_inactive(self, group_id: str) -> None:
        live = [m for m in self.members.values() if m.group_id == group_id and m.state == "active"]
        state = "Stable" if live else None
        if state is None:
            try:
                described = self._call(lambda a: a.describe_groups([self.names.real(group_id)]))
            except BrokerError:  # no coordinator yet: the group never existed
                described = {}
            for g in described.values():
                found = g.get("group_state") or g.get("state") or ""
                if found not in ("Empty", "Dead", ""):
                    state = found
        if state:
            raise ResourceLocked(
                f"Assignments can only be reset if the group '{group_id}' is inactive, "
                f"but the current state is {state}."
            )

    # -- called from member threads ----------------------------------------------------------
    def member_assigned(self, member: Member) -> None:
        """A member got its partitions; once every live member has, emit one Rebalanced."""
        if member.group_id is not None:
            self._maybe_rebalanced(member.group_id)

    def _maybe_rebalanced(self, group_id: str) -> None:
        """Emit `Rebalanced` once all live members report the same, newer generation."""
        with self._lock:
            group = self.groups[group_id]
            live = [
                m for m in self.members.values() if m.group_id == group_id and m.state == "active"
            ]
            if not live or any(m.generation != live[0].generation for m in live):
                return
            member = live[0]
            if group["generation"] >= member.generation:
                return
            group["generation"] = member.generation
            subs = {m.member: sorted(m.topics) for m in live}
            wanted = {t for ts in subs.values() for t in ts}
            self.sink.emit(
                ev.Rebalanced,
                group=group_id,
                generation=member.generation,
                assignor=member.settings["partition_assignment_strategy"],
                members=sorted(subs),
                assignment={m.member: [list(tp) for tp in m.assignment] for m in live},
                revoked={},
                inputs={
                    "subscriptions": subs,
                    "partitions": {t: self.topics[t]["partitions"] for t in sorted(wanted)},
                },
                reason=f"generation {member.generation} with {len(live)} member(s)",
            )

    def committed(
        self, group_id: str, member: str, topic: str, partition: int, offset: int, reason: str
    ) -> None:
        """A member committed; announce it unless the offset did not change."""
        with self._lock:
            committed = self.groups[group_id]["committed"]
            if committed.get((topic, partition)) == offset:
                return
            committed[(topic, partition)] = offset
        self.sink.emit(
            ev.Committed,
            group=group_id,
            member=member,
            topic=topic,
            partition=partition,
            offset=offset,
            reason=reason,
        )

    def mark_processed(self, group_id: str | None, tp: tuple[str, int], msgs: list[str]):
        """Record msgs as processed by the group; return those it had processed before."""
        if group_id is None:
            return []
        with self._lock:
            seen = self.groups[group_id]["processed"].setdefault(tp, set())
            dups = [m for m in msgs if m in seen]
            seen.update(msgs)
        return dups

    def _describe_group(self, group_id: str) -> dict[str, Any]:
        group = self.groups[group_id]
        members = [m for m in self.members.values() if m.group_id == group_id]
        live = [m for m in members if m.state == "active"]
        offsets = []
        for (topic, p), committed in sorted(group["committed"].items()):
            end = self.offsets.get((topic, p), (0, 0))[1]
            offsets.append(
                {
                    "topic": topic,
                    "partition": p,
                    "committed": committed,
                    "log_end": end,
                    "lag": max(0, end - committed),
                }
            )
        return {
            "group_id": group_id,
            "state": "Stable" if live else "Empty",
            "generation": group["generation"],
            "assignor": group["assignor"],
            "members": [m.describe() for m in members],
            "offsets": offsets,
            "lag": sum(o["lag"] for o in offsets),
        }

    def lag(self, group_id: str, topic: str) -> int:
        """Total lag of a group on a topic, fresh from the broker (end minus committed)."""
        self._last_poll = 0.0
        self._poll_offsets()
        described = self._describe_group(group_id)
        return sum(o["lag"] for o in described["offsets"] if o["topic"] == topic)
