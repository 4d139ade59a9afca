"""The Kafka operations every backend offers: the simulator and the kafka-python adapter.

Names follow kafka-python (`KafkaProducer`, `KafkaConsumer`, `KafkaAdminClient`
settings: `acks`, `linger_ms`, `enable_idempotence`, `group_id`,
`auto_offset_reset`, `enable_auto_commit`, `max_poll_records`,
`session_timeout_ms`, `partition_assignment_strategy`). Producers and group members
are *simulated agents*: a member polls, processes each record for `processing_time`
seconds and commits per its commit policy. Every method validates first and raises
`brokers.errors.BrokerError` subclasses before changing anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal

Acks = Literal[0, 1, "all"]
Assignor = Literal["range", "roundrobin", "cooperative-sticky"]
CommitPolicy = Literal[
    "auto", "after", "before"
]  # auto-commit interval / after processing / before
OffsetReset = Literal["earliest", "latest", "none"]
NullKeyStrategy = Literal["sticky", "round_robin"]
ResetTo = Literal["earliest", "latest", "offset", "timestamp"]

# A group member's settings, (lowest, highest) in ms or records. Every backend, the
# runtime and the forms read these; nothing else states them.
#: auto.commit.interval.ms: Kafka takes any int from 0 (0 commits on every poll); here
#: from 1 ms, to an hour (a longer interval shows nothing more in a sandbox)
AUTO_COMMIT_INTERVAL_MS = (1, 3_600_000)
#: max.poll.records: Kafka takes any int from 1 and has no maximum; one poll here returns
#: at most 10 000 records (a sandbox retains 10 000 messages by default), so a single
#: poll cannot do unbounded work on a shared server
MAX_POLL_RECORDS = (1, 10_000)
#: session.timeout.ms: Kafka's brokers accept group.min.session.timeout.ms (6 000 by
#: default) to group.max.session.timeout.ms (1 800 000 by default). The upper end is
#: Kafka's; the simulator lets a session be as short as 1 s so a crash shows quickly
#: (a real broker with its default minimum refuses below 6 000, in its own words)
SESSION_TIMEOUT_MS = (1_000, 1_800_000)


class KafkaApi(ABC):
    """Kafka operations; one instance is one cluster of one sandbox."""

    # -- cluster and topics --------------------------------------------------------
    @abstractmethod
    def create_topic(
        self,
        name: str,
        num_partitions: int = 1,
        replication_factor: int = 1,
        configs: dict[str, Any] | None = None,
    ) -> None:
        """Create a topic (configs: retention.ms, retention.bytes, segment.ms, segment.bytes,
        cleanup.policy, min.insync.replicas, unclean.leader.election.enable)."""

    @abstractmethod
    def delete_topic(self, name: str) -> None:
        """Delete a topic and every committed offset on it."""

    @abstractmethod
    def alter_topic_configs(self, name: str, configs: dict[str, Any]) -> None:
        """Change topic configs (retention and the like)."""

    @abstractmethod
    def create_partitions(self, name: str, total: int) -> None:
        """Grow a topic to `total` partitions (never shrink, as Kafka)."""

    @abstractmethod
    def stop_broker(self, broker_id: int) -> None:
        """Take a broker down: leaders move, ISRs shrink."""

    @abstractmethod
    def start_broker(self, broker_id: int) -> None:
        """Bring a broker back: it catches up and rejoins ISRs."""

    # -- producers -----------------------------------------------------------------
    @abstractmethod
    def add_producer(
        self,
        producer: str,
        acks: Acks = "all",
        enable_idempotence: bool = True,
        linger_ms: int = 0,
        retries: int = 5,
        null_key_strategy: NullKeyStrategy = "sticky",
    ) -> None:
        """Register a producer with its settings (kafka-python's defaults)."""

    @abstractmethod
    def remove_producer(self, producer: str) -> None:
        """Forget a producer (its pending batches are flushed first)."""

    @abstractmethod
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
        """Send one record; returns its message id (partition and offset arrive as events)."""

    # -- consumers -----------------------------------------------------------------
    @abstractmethod
    def add_member(
        self,
        group_id: str | None,
        topics: list[str],
        member: str | None = None,
        partition_assignment_strategy: Assignor = "range",
        commit_policy: CommitPolicy = "auto",
        auto_commit_interval_ms: int = 5000,
        auto_offset_reset: OffsetReset = "latest",
        max_poll_records: int = 500,
        processing_time: float = 0.0,
        session_timeout_ms: int = 45000,
        behaviour: Literal["auto", "manual"] = "auto",
    ) -> str:
        """Start a consumer (a group member, or a standalone reader when group_id is None)
        subscribed to `topics`; returns its member id. A join triggers a rebalance."""

    @abstractmethod
    def leave_member(self, member: str) -> None:
        """Close the consumer cleanly: commit per policy, leave, rebalance at once."""

    @abstractmethod
    def crash_member(self, member: str) -> None:
        """Kill the consumer: no commit, no leave; the group notices after the session timeout."""

    @abstractmethod
    def seek(self, member: str, topic: str, partition: int, offset: int) -> None:
        """Move a live member's position on an assigned partition."""

    @abstractmethod
    def reset_offsets(
        self,
        group_id: str,
        topic: str,
        to: ResetTo,
        value: int | None = None,
    ) -> dict[int, int]:
        """Reset a group's committed offsets (only while it has no live members)."""

    @abstractmethod
    def poll(self, member: str, max_records: int | None = None) -> list[dict[str, Any]]:
        """For `behaviour="manual"` members: fetch records now (positions advance)."""

    @abstractmethod
    def commit(self, member: str, offsets: dict[tuple[str, int], int] | None = None) -> None:
        """For manual members: commit the given offsets, or the current positions."""

    # -- state ---------------------------------------------------------------------
    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Everything the live view draws, as plain data:

        {"brokers": [{"id", "up"}],
         "topics": [{"name", "configs", "replication_factor",
                     "partitions": [{"partition", "leader", "replicas", "isr",
                                     "log_start", "high_watermark", "log_end"}]}],
         "groups": [{"group_id", "state", "generation", "assignor", "members":
                     [{"member", "state", "assignment": [[topic, partition], ...]}],
                     "offsets": [{"topic", "partition", "committed", "log_end", "lag"}],
                     "lag": total}],
         "producers": [{"producer", "acks", "enable_idempotence", "sent"}]}
        """
