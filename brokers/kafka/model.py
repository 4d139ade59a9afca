"""The simulated Kafka cluster: brokers, topics, producers and consumer groups on one clock.

`KafkaCluster` implements `KafkaApi`: it validates every command first (raising
`brokers.errors` subclasses and changing nothing), then delegates to the parts:
`replication.Partition` (leader, ISR, high watermark, the log), `producer.Producer`,
`group.Group` and `consumer.Member`. It also runs retention and the cleaner, samples
each group's lag every `lag_sample_interval` virtual seconds into a bounded history,
and numbers messages "k1", "k2", ... in send order. Time comes only from the injected
clock and randomness only from the injected RNG, so a seed and a command list replay
exactly. Leaves out ACLs, quotas, transactions, KRaft controller details and
everything the parts leave out.
"""

from __future__ import annotations

import random
from typing import Any, Literal, get_args

from brokers.clock import Clock
from brokers.errors import NotFound, ResourceLocked, ValidationError
from brokers.events import Emit
from brokers.kafka import events as ev
from brokers.kafka import validate as check
from brokers.kafka.api import (
    AUTO_COMMIT_INTERVAL_MS,
    MAX_POLL_RECORDS,
    SESSION_TIMEOUT_MS,
    CommitPolicy,
    KafkaApi,
    OffsetReset,
    ResetTo,
)
from brokers.kafka.assignors import ASSIGNORS
from brokers.kafka.cleaner import Cleaner
from brokers.kafka.consumer import Member
from brokers.kafka.group import Group
from brokers.kafka.log import Record
from brokers.kafka.partitioner import partition_for_key
from brokers.kafka.producer import Producer
from brokers.kafka.replication import Partition
from brokers.kafka.topics import (
    DEFAULT_BROKERS,
    MAX_PARTITIONS,
    TopicConfig,
    parse_configs,
    place_replicas,
    validate_topic_name,
)

TP = tuple[str, int]


class Topic:
    """A topic's configs and partitions."""

    def __init__(self, name: str, config: TopicConfig, replication_factor: int) -> None:
        self.name = name
        self.config = config
        self.replication_factor = replication_factor
        self.partitions: list[Partition] = []


class KafkaCluster(KafkaApi):
    """A cluster of 1-5 simulated brokers."""

    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        emit: Emit,
        brokers: int = DEFAULT_BROKERS,
        replica_fetch_delay: float = 0.01,
        lag_sample_interval: float = 1.0,
        lag_history_size: int = 300,
    ) -> None:
        if not 1 <= brokers <= 5:
            raise ValidationError(f"a cluster has 1 to 5 brokers, not {brokers}")
        self.clock = clock
        self.rng = rng
        self.emit = emit
        self.broker_up = {b: True for b in range(1, brokers + 1)}
        self.replica_fetch_delay = replica_fetch_delay
        self.lag_sample_interval = lag_sample_interval
        self.lag_history_size = lag_history_size
        self.topics: dict[str, Topic] = {}
        self.producers: dict[str, Producer] = {}
        self.groups: dict[str, Group] = {}
        self.members: dict[str, Member] = {}
        self._msg_seq = 0
        self._member_seq = 0
        self._pid_seq = 999
        self._next_sample = 0.0
        self.cleaner = Cleaner(self)

    # -- helpers the parts call ----------------------------------------------------------
    def next_producer_id(self) -> int:
        self._pid_seq += 1
        return self._pid_seq

    def partition_or_none(self, topic: str, partition: int) -> Partition | None:
        t = self.topics.get(topic)
        return t.partitions[partition] if t and 0 <= partition < len(t.partitions) else None

    def has_topic(self, topic: str) -> bool:
        return topic in self.topics

    def partition_counts(self, topics: set[str]) -> dict[str, int]:
        return {t: len(self.topics[t].partitions) for t in sorted(topics) if t in self.topics}

    def appended(self, topic: str) -> None:
        """After a write: check retention by bytes, sample lag."""
        self.maybe_sample_lag()

    def maybe_sample_lag(self) -> None:
        """Append each group's total lag to its history once per sample interval."""
        now = self.clock.now
        if now < self._next_sample:
            return
        step = self.lag_sample_interval
        self._next_sample = (now // step + 1) * step
        for group in self.groups.values():
            group.lag_history.append((now, group.lag()[1]))

    def after_roll(self, partition: Partition) -> None:
        """A segment closed: enforce retention and run the cleaner on this partition."""
        self.cleaner.enforce_retention(partition)
        if partition.config.compacts:
            self.cleaner.compact(partition)

    # -- cluster and topics ----------------------------------------------------------------
    def create_topic(
        self,
        name: str,
        num_partitions: int = 1,
        replication_factor: int = 1,
        configs: dict[str, Any] | None = None,
    ) -> None:
        validate_topic_name(name)
        if name in self.topics:
            raise ValidationError(f"topic {name!r} already exists (TOPIC_ALREADY_EXISTS)")
        check.int_in("num_partitions", num_partitions, 1, MAX_PARTITIONS)
        up = [b for b, ok in self.broker_up.items() if ok]
        check.int_in("replication_factor", replication_factor, 1, len(self.broker_up))
        if replication_factor > len(up):
            raise ValidationError(
                f"replication factor {replication_factor} is larger than the {len(up)} "
                "live brokers (INVALID_REPLICATION_FACTOR)"
            )
        config = parse_configs(configs)
        check.check_min_insync(config, replication_factor)
        topic = Topic(name, config, replication_factor)
        self.topics[name] = topic
        placement = place_replicas(num_partitions, replication_factor, up, self.rng)
        topic.partitions = [Partition(self, name, i, r) for i, r in enumerate(placement)]
        self.emit(
            ev.TopicCreated(
                t=self.clock.now,
                topic=name,
                partitions=num_partitions,
                replication_factor=replication_factor,
                replicas=placement,
                configs=config.to_dict(),
            )
        )
        self._topics_changed(name, f"topic {name} created")

    def delete_topic(self, name: str) -> None:
        topic = self._topic(name)
        for partition in topic.partitions:
            partition.cancel_timers()
            pending, partition.pending_acks = partition.pending_acks, []
            for _, callback in pending:
                callback("UNKNOWN_TOPIC_OR_PARTITION")
        del self.topics[name]
        for group in self.groups.values():
            group.forget_topic(name)
        self.emit(ev.TopicDeleted(t=self.clock.now, topic=name))
        self._topics_changed(name, f"topic {name} deleted")

    def alter_topic_configs(self, name: str, configs: dict[str, Any]) -> None:
        topic = self._topic(name)
        config = parse_configs(configs, topic.config)
        check.check_min_insync(config, topic.replication_factor)
        topic.config = config
        self.emit(ev.TopicConfigChanged(t=self.clock.now, topic=name, configs=config.to_dict()))
        for partition in topic.partitions:
            self.cleaner.enforce_retention(partition)
            if config.compacts:
                self.cleaner.compact(partition)

    def create_partitions(self, name: str, total: int) -> None:
        topic = self._topic(name)
        current = len(topic.partitions)
        check.int_in("total", total, 1, MAX_PARTITIONS)
        if total <= current:
            raise ValidationError(
                f"topic {name!r} has {current} partitions; it can only grow (INVALID_PARTITIONS)"
            )
        up = [b for b, ok in self.broker_up.items() if ok]
        if topic.replication_factor > len(up):
            raise ValidationError(
                f"only {len(up)} live brokers for replication factor {topic.replication_factor}"
            )
        placement = place_replicas(total - current, topic.replication_factor, up, self.rng, current)
        for i, replicas in enumerate(placement, start=current):
            topic.partitions.append(Partition(self, name, i, replicas))
        reason = f"{name} grew from {current} to {total} partitions; keys may now map elsewhere"
        self.emit(
            ev.PartitionsCreated(t=self.clock.now, topic=name, partitions=total, reason=reason)
        )
        self._topics_changed(name, reason)

    def stop_broker(self, broker_id: int) -> None:
        self._broker(broker_id, must_be=True)
        self.broker_up[broker_id] = False
        self.emit(ev.BrokerStopped(t=self.clock.now, broker_id=broker_id))
        for topic in self.topics.values():
            for partition in topic.partitions:
                partition.broker_stopped(broker_id)

    def start_broker(self, broker_id: int) -> None:
        self._broker(broker_id, must_be=False)
        self.broker_up[broker_id] = True
        self.emit(ev.BrokerStarted(t=self.clock.now, broker_id=broker_id))
        for topic in self.topics.values():
            for partition in topic.partitions:
                partition.broker_started(broker_id)

    # -- producers -----------------------------------------------------------------------
    def add_producer(
        self,
        producer: str,
        acks: Any = "all",
        enable_idempotence: bool = True,
        linger_ms: int = 0,
        retries: int = 5,
        null_key_strategy: str = "sticky",
        batch_size: int = 16384,
        request_timeout_ms: int = 30000,
        retry_backoff_ms: int = 100,
    ) -> None:
        check.name("producer", producer)
        if producer in self.producers:
            raise ValidationError(f"producer {producer!r} already exists")
        if acks not in (0, 1, "all", -1):
            raise ValidationError(f"acks must be 0, 1 or 'all', got {acks!r}")
        acks = "all" if acks == -1 else acks
        if enable_idempotence and acks != "all":
            raise ValidationError("enable_idempotence requires acks='all' (as kafka-python)")
        if null_key_strategy not in ("sticky", "round_robin"):
            raise ValidationError("null_key_strategy must be 'sticky' or 'round_robin'")
        check.int_in("linger_ms", linger_ms, 0, 600_000)
        check.int_in("retries", retries, 0, 1_000_000)
        check.int_in("batch_size", batch_size, 1, 64 * 1024 * 1024)
        check.int_in("request_timeout_ms", request_timeout_ms, 1, 3_600_000)
        check.int_in("retry_backoff_ms", retry_backoff_ms, 0, 600_000)
        self.producers[producer] = Producer(
            self,
            producer,
            acks=acks,
            enable_idempotence=bool(enable_idempotence),
            linger_ms=linger_ms,
            retries=retries,
            null_key_strategy=null_key_strategy,
            batch_size=batch_size,
            request_timeout_ms=request_timeout_ms,
            retry_backoff_ms=retry_backoff_ms,
        )

    def remove_producer(self, producer: str) -> None:
        self._producer(producer).flush()
        del self.producers[producer]

    def lose_next_acks(self, producer: str, count: int = 1) -> None:
        """Fault injection: the next `count` produce responses to this producer are lost."""
        check.int_in("count", count, 0, 1000)
        self._producer(producer).lost_acks = count

    def flush(self, producer: str) -> None:
        """Send the producer's lingering batches now (KafkaProducer.flush)."""
        self._producer(producer).flush()

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
        t = self._topic(topic)
        if producer != "default":
            self._producer(producer)
        key_b = None if key is None else check.as_bytes("key", key)
        value_b = None if value is None else check.as_bytes("value", value)
        header_list = check.headers(headers)
        if timestamp_ms is not None:
            check.int_in("timestamp_ms", timestamp_ms, 0, 2**63 - 1)
        if key_b is None and t.config.compacts and not t.config.deletes:
            raise ValidationError(f"topic {topic!r} is compacted: records need a key")
        count = len(t.partitions)
        if partition is not None:
            check.int_in("partition", partition, 0, count - 1)
        if producer not in self.producers:
            self.add_producer("default")  # kafka-python's defaults, made on first use
        prod = self.producers[producer]
        self._msg_seq += 1
        msg = f"k{self._msg_seq}"
        timestamp = int(self.clock.now * 1000) if timestamp_ms is None else timestamp_ms
        record = Record(key_b, value_b, header_list, timestamp, msg)
        if partition is not None:
            chosen, reason = partition, f"explicit partition {partition}"
        elif key_b is not None:
            chosen, reason = partition_for_key(key if isinstance(key, str) else key_b, count)
        else:
            available = [p.index for p in t.partitions if p.leader is not None]
            chosen, reason = prod.partitioner.choose(topic, available, count, record.size)
        prod.add(topic, chosen, record, reason)
        return msg

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
        behaviour: Literal["auto", "manual"] = "auto",
    ) -> str:
        if group_id is not None:
            check.name("group_id", group_id)
        if not topics or not isinstance(topics, list | tuple):
            raise ValidationError("subscribe to at least one topic")
        for topic in topics:
            self._topic(topic)
        if member is None:
            member = self._new_member_id()
        else:
            check.name("member", member)
            if member in self.members:
                raise ValidationError(f"member id {member!r} is in use")
        check.choice("partition_assignment_strategy", partition_assignment_strategy, ASSIGNORS)
        check.choice("commit_policy", commit_policy, get_args(CommitPolicy))
        check.choice("auto_offset_reset", auto_offset_reset, get_args(OffsetReset))
        check.choice("behaviour", behaviour, ("auto", "manual"))
        check.int_in("auto_commit_interval_ms", auto_commit_interval_ms, *AUTO_COMMIT_INTERVAL_MS)
        check.int_in("max_poll_records", max_poll_records, *MAX_POLL_RECORDS)
        check.int_in("session_timeout_ms", session_timeout_ms, *SESSION_TIMEOUT_MS)
        if not isinstance(processing_time, int | float) or not 0 <= processing_time <= 3600:
            raise ValidationError("processing_time must be between 0 and 3600 seconds")
        group = self.groups.get(group_id) if group_id is not None else None
        if group is not None and group.members and group.assignor != partition_assignment_strategy:
            raise ValidationError(
                f"group {group_id!r} uses {group.assignor!r}; a member with "
                f"{partition_assignment_strategy!r} cannot join (INCONSISTENT_GROUP_PROTOCOL)"
            )
        if group is None and group_id is not None:
            group = self.groups[group_id] = Group(self, group_id, partition_assignment_strategy)
        m = Member(
            self,
            member,
            group,
            topics=sorted(set(topics)),
            partition_assignment_strategy=partition_assignment_strategy,
            commit_policy=commit_policy,
            auto_commit_interval_ms=auto_commit_interval_ms,
            auto_offset_reset=auto_offset_reset,
            max_poll_records=max_poll_records,
            processing_time=float(processing_time),
            session_timeout_ms=session_timeout_ms,
            behaviour=behaviour,
        )
        self.members[member] = m
        self.emit(
            ev.MemberJoined(
                t=self.clock.now,
                group=group_id,
                member=member,
                topics=m.topics,
                assignor=partition_assignment_strategy,
            )
        )
        if group is None:
            m.assigned(self._standalone_assignment(m))
        else:
            group.join(m)
        return member

    def leave_member(self, member: str) -> None:
        m = self._member(member)
        m.stop("left")
        del self.members[member]
        if m.group is not None:
            m.group.remove(m, "leave group")
        else:
            self.emit(ev.MemberLeft(t=self.clock.now, group=None, member=member, reason="close"))

    def crash_member(self, member: str) -> None:
        m = self._member(member)
        m.stop("crashed")
        del self.members[member]
        self.emit(
            ev.MemberCrashed(
                t=self.clock.now,
                group=m.group_id,
                member=member,
                session_timeout_ms=m.session_timeout_ms,
            )
        )
        if m.group is not None:
            self.clock.schedule(m.session_timeout_ms / 1000, self._session_expired, m)

    def _session_expired(self, m: Member) -> None:
        if m.group is not None and m.group.members.get(m.member_id) is m:
            why = f"session timeout ({m.session_timeout_ms} ms without a heartbeat)"
            m.group.remove(m, why)

    def seek(self, member: str, topic: str, partition: int, offset: int) -> None:
        m = self._member(member)
        tp = (topic, partition)
        if tp not in m.assignment:
            raise ValidationError(f"{topic}-{partition} is not assigned to {member}")
        check.int_in("offset", offset, 0, 2**63 - 1)
        m.positions[tp] = offset
        m.unread.pop(tp, None)
        m.emit_reset(tp, offset, f"seek({topic}-{partition}, {offset}) by the application")
        m.wake()

    def reset_offsets(
        self,
        group_id: str,
        topic: str,
        to: ResetTo,
        value: int | None = None,
    ) -> dict[int, int]:
        t = self._topic(topic)
        check.choice("to", to, get_args(ResetTo))
        if to in ("offset", "timestamp"):
            check.int_in("value", value, 0 if to == "offset" else -(2**63), 2**63 - 1)
        group = self.groups.get(group_id)
        if group is not None and group.members:
            raise ResourceLocked(
                f"group {group_id!r} is not empty ({len(group.members)} members, state "
                f"{group.state}); stop its consumers (or wait for their session timeout) first"
            )
        if group is None:
            check.name("group_id", group_id)
            group = self.groups[group_id] = Group(self, group_id, "range")
        result = {}
        for p in t.partitions:
            log = p.log
            if to == "earliest":
                offset = log.log_start
            elif to == "latest":
                offset = log.log_end
            elif to == "offset":
                offset = min(max(value, log.log_start), log.log_end)
            else:
                offset = log.offset_for_timestamp(value)
            result[p.index] = offset
            group.committed[(topic, p.index)] = offset
            self.emit(
                ev.OffsetReset(
                    t=self.clock.now,
                    group=group_id,
                    member=None,
                    topic=topic,
                    partition=p.index,
                    offset=offset,
                    reason=f"kafka-consumer-groups --reset-offsets --to-{to}"
                    + ("" if value is None else f" {value}"),
                )
            )
        return result

    def poll(self, member: str, max_records: int | None = None) -> list[dict[str, Any]]:
        m = self._member(member)
        if not m.manual:
            raise ValidationError(f"{member} polls by itself; poll() is for manual members")
        if max_records is not None:
            check.int_in("max_records", max_records, *MAX_POLL_RECORDS)
        if m.poll_prelude():
            return []
        fetched = m.fetch(max_records or m.max_poll_records)
        return [r.to_dict(tp[0], tp[1]) for tp, records in fetched for r in records]

    def commit(self, member: str, offsets: dict[tuple[str, int], int] | None = None) -> None:
        m = self._member(member)
        if m.group is None:
            raise ValidationError(f"{member} has no group_id, so it cannot commit")
        if offsets is None:
            offsets = {tp: m.positions[tp] for tp in m.assignment if tp in m.positions}
        for tp, offset in offsets.items():
            if tp not in m.assignment:
                raise ValidationError(f"{tp[0]}-{tp[1]} is not assigned to {member}")
            check.int_in("offset", offset, 0, 2**63 - 1)
        m.commit(dict(offsets), "commit() by the application")

    # -- state -----------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "brokers": [{"id": b, "up": up} for b, up in self.broker_up.items()],
            "topics": [
                {
                    "name": t.name,
                    "configs": t.config.to_dict(),
                    "replication_factor": t.replication_factor,
                    "partitions": [p.describe() for p in t.partitions],
                }
                for t in self.topics.values()
            ],
            "groups": [g.describe() for g in self.groups.values()],
            "consumers": [m.describe() for m in self.members.values() if m.group is None],
            "producers": [p.describe() for p in self.producers.values()],
        }

    # -- internals ---------------------------------------------------------------------------
    def _topics_changed(self, topic: str, reason: str) -> None:
        for group in self.groups.values():
            if any(topic in m.topics for m in group.members.values()):
                group.trigger_rebalance(reason)
        for m in self.members.values():
            if m.group is None and topic in m.topics:
                m.assigned(self._standalone_assignment(m))

    def _standalone_assignment(self, m: Member) -> list[TP]:
        return [
            (t, p)
            for t in m.topics
            if t in self.topics
            for p in range(len(self.topics[t].partitions))
        ]

    def _new_member_id(self) -> str:
        while True:
            self._member_seq += 1
            candidate = f"c{self._member_seq}"
            if candidate not in self.members:
                return candidate

    def _topic(self, name: str) -> Topic:
        topic = self.topics.get(name) if isinstance(name, str) else None
        if topic is None:
            raise NotFound(f"no topic {name!r} (UNKNOWN_TOPIC_OR_PARTITION)")
        return topic

    def _producer(self, name: str) -> Producer:
        producer = self.producers.get(name) if isinstance(name, str) else None
        if producer is None:
            raise NotFound(f"no producer {name!r}")
        return producer

    def _member(self, name: str) -> Member:
        member = self.members.get(name) if isinstance(name, str) else None
        if member is None:
            raise NotFound(f"no live consumer {name!r}")
        return member

    def _broker(self, broker_id: int, must_be: bool) -> None:
        if broker_id not in self.broker_up:
            raise NotFound(f"no broker {broker_id!r} (brokers are {list(self.broker_up)})")
        if self.broker_up[broker_id] != must_be:
            raise ValidationError(f"broker {broker_id} is already {'down' if must_be else 'up'}")
