"""The Kafka event vocabulary: what the cluster, producers and consumer groups did, and why.

Record events carry the engine's message ids (`msg` for one record, `msgs` for a batch,
"k1", "k2", ...) so the inspector can follow a record from send to commit. Batches are
one event with a list of ids rather than one event per record. Offsets in a batch event
are `offset` (first) and `last_offset`, or an explicit `offsets` list where compaction
leaves gaps. Leaves out per-request network events (metadata, heartbeats, fetch sessions).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from brokers.events import Event, _plain

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, kw_only=True)
class KafkaEvent(Event):
    """Base of every Kafka event (no kind of its own)."""

    broker = "kafka"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with `kind` and `broker` added (field names cached per class)."""
        cls = type(self)
        names = cls.__dict__.get("_field_names")
        if names is None:  # static metadata of the class, computed once
            names = tuple(f.name for f in dataclasses.fields(self))
            cls._field_names = names
        data = {}
        for name in names:
            value = getattr(self, name)
            data[name] = value if type(value) in _SCALARS else _plain_fast(value)
        data["kind"] = self.kind
        data["broker"] = "kafka"
        return data


def _plain_fast(value: Any) -> Any:
    """`brokers.events._plain`, with lists of scalars (msg ids, offsets) copied directly."""
    kind = type(value)
    if kind is list or kind is tuple:
        return [v if type(v) in _SCALARS else _plain_fast(v) for v in value]
    if kind is dict:
        return {str(k): v if type(v) in _SCALARS else _plain_fast(v) for k, v in value.items()}
    return _plain(value)


# -- cluster and topics ------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class TopicCreated(KafkaEvent):
    kind = "topic_created"
    topic: str
    partitions: int
    replication_factor: int
    replicas: list[list[int]]  # per partition, leader first
    configs: dict


@dataclass(frozen=True, kw_only=True)
class TopicDeleted(KafkaEvent):
    kind = "topic_deleted"
    topic: str


@dataclass(frozen=True, kw_only=True)
class TopicConfigChanged(KafkaEvent):
    kind = "topic_config_changed"
    topic: str
    configs: dict


@dataclass(frozen=True, kw_only=True)
class PartitionsCreated(KafkaEvent):
    kind = "partitions_created"
    topic: str
    partitions: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class BrokerStopped(KafkaEvent):
    kind = "broker_stopped"
    broker_id: int


@dataclass(frozen=True, kw_only=True)
class BrokerStarted(KafkaEvent):
    kind = "broker_started"
    broker_id: int


@dataclass(frozen=True, kw_only=True)
class LeaderChanged(KafkaEvent):
    kind = "leader_changed"
    topic: str
    partition: int
    leader: int | None  # None: offline, no eligible replica
    previous: int | None
    reason: str
    lost_offsets: list[int] = field(default_factory=list)  # unclean election truncation


@dataclass(frozen=True, kw_only=True)
class IsrChanged(KafkaEvent):
    kind = "isr_changed"
    topic: str
    partition: int
    isr: list[int]
    reason: str


@dataclass(frozen=True, kw_only=True)
class HighWatermarkAdvanced(KafkaEvent):
    kind = "high_watermark_advanced"
    topic: str
    partition: int
    high_watermark: int
    reason: str


# -- producing ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Sent(KafkaEvent):
    """A producer batch left the producer (first try or retry)."""

    kind = "sent"
    producer: str
    topic: str
    partition: int
    msgs: list[str]
    attempt: int
    producer_id: int | None  # None unless idempotent
    sequence: int | None


@dataclass(frozen=True, kw_only=True)
class Appended(KafkaEvent):
    """The leader wrote a batch; record i is at offset + i, placed for reasons[i]."""

    kind = "appended"
    producer: str
    topic: str
    partition: int
    offset: int
    last_offset: int
    msgs: list[str]
    keys: list[str | None]
    reasons: list[str]
    leader: int


@dataclass(frozen=True, kw_only=True)
class Deduplicated(KafkaEvent):
    """The leader recognised a retried batch by producer id and sequence and did not write it."""

    kind = "deduplicated"
    producer: str
    topic: str
    partition: int
    msgs: list[str]
    producer_id: int
    sequence: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class ProduceAcked(KafkaEvent):
    """The producer got its acknowledgement (never for acks=0)."""

    kind = "produce_acked"
    producer: str
    topic: str
    partition: int
    offset: int
    msgs: list[str]
    acks: int | str


@dataclass(frozen=True, kw_only=True)
class AckLost(KafkaEvent):
    """A produce response never reached the producer (injected fault)."""

    kind = "ack_lost"
    producer: str
    topic: str
    partition: int
    msgs: list[str]


@dataclass(frozen=True, kw_only=True)
class ProduceFailed(KafkaEvent):
    kind = "produce_failed"
    producer: str
    topic: str
    partition: int
    msgs: list[str]
    error: str  # Kafka's error name, e.g. NOT_ENOUGH_REPLICAS
    reason: str
    retrying: bool


# -- consuming ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class MemberJoined(KafkaEvent):
    kind = "member_joined"
    group: str | None
    member: str
    topics: list[str]
    assignor: str


@dataclass(frozen=True, kw_only=True)
class MemberLeft(KafkaEvent):
    kind = "member_left"
    group: str | None
    member: str
    reason: str  # "leave group", "session timeout", ...


@dataclass(frozen=True, kw_only=True)
class MemberCrashed(KafkaEvent):
    kind = "member_crashed"
    group: str | None
    member: str
    session_timeout_ms: int


@dataclass(frozen=True, kw_only=True)
class RebalanceStarted(KafkaEvent):
    kind = "rebalance_started"
    group: str
    reason: str
    waiting_for: list[str]


@dataclass(frozen=True, kw_only=True)
class Rebalanced(KafkaEvent):
    """A generation began; `inputs` are what the assignor saw."""

    kind = "rebalanced"
    group: str
    generation: int
    assignor: str
    members: list[str]
    assignment: dict[str, list[list]]  # member -> [[topic, partition], ...]
    revoked: dict[str, list[list]]
    inputs: dict
    reason: str


@dataclass(frozen=True, kw_only=True)
class Fetched(KafkaEvent):
    kind = "fetched"
    group: str | None
    member: str
    topic: str
    partition: int
    from_offset: int
    to_offset: int  # last offset fetched
    msgs: list[str]


@dataclass(frozen=True, kw_only=True)
class Processed(KafkaEvent):
    """The member's code handled these records; `duplicates` lists msgs the group had processed."""

    kind = "processed"
    group: str | None
    member: str
    topic: str
    partition: int
    offsets: list[int]
    msgs: list[str]
    duplicates: list[str]


@dataclass(frozen=True, kw_only=True)
class Committed(KafkaEvent):
    kind = "committed"
    group: str
    member: str | None
    topic: str
    partition: int
    offset: int
    reason: str  # the commit policy or tool that committed


@dataclass(frozen=True, kw_only=True)
class OffsetReset(KafkaEvent):
    kind = "offset_reset"
    group: str | None
    member: str | None
    topic: str
    partition: int
    offset: int | None  # None: auto.offset.reset=none, the partition is not consumed
    reason: str


# -- the log -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SegmentRolled(KafkaEvent):
    kind = "segment_rolled"
    topic: str
    partition: int
    base_offset: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class RetentionDeleted(KafkaEvent):
    kind = "retention_deleted"
    topic: str
    partition: int
    segments: list[int]  # base offsets of the deleted segments
    records: int
    log_start: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class Compacted(KafkaEvent):
    kind = "compacted"
    topic: str
    partition: int
    removed_offsets: list[int]
    removed_msgs: list[str]
    tombstones_removed: int
    reason: str
