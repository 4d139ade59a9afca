"""`KafkaAdapter`: the Kafka operations of `KafkaApi` on a real cluster, via kafka-python 3.x.

This module holds the connection (one `KafkaAdminClient`), the polled state (offsets,
committed offsets and lag) for the live view, and shutdown: `close()` disconnects and
leaves topics, records and committed offsets on the cluster, `destroy()` deletes the
sandbox's topics and groups. The operations live by job in `topics`,
`producers` and `groups` (consumer groups, whose members are real
`KafkaConsumer`s on their own threads, `member`, whose group joins `join_fix`
keeps from being lost between polls). Topics and group ids carry the
sandbox prefix on the broker. Leaves out broker stop/start (the playground does not own
a real cluster's brokers), replication events, retention and compaction events (the log
start offset shows them).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError, TopicAlreadyExistsError

from brokers.errors import BrokerError, Disconnected, ValidationError
from brokers.kafka.api import KafkaApi
from brokers.real.common import EventSink, Names
from brokers.real.kafka.groups import GroupOps
from brokers.real.kafka.member import BOOTSTRAP_TIMEOUT_MS, RECONNECT_BACKOFF_MAX_MS, Member
from brokers.real.kafka.producers import NULL_KEY_REASON, ProduceBatches, ProducerOps
from brokers.real.kafka.topics import TopicOps, _check_topic_name

__all__ = ["NULL_KEY_REASON", "KafkaAdapter", "_check_topic_name", "probe_kafka"]

POLL_INTERVAL = 0.5  # seconds between offset and lag polls


class KafkaAdapter(TopicOps, ProducerOps, GroupOps, KafkaApi):
    """One sandbox's view of a real Kafka cluster."""

    def __init__(self, bootstrap: str, prefix: str, seed: int, sink: EventSink) -> None:
        self.bootstrap = bootstrap
        self.names = Names(prefix)
        self.seed = seed
        self.sink = sink
        self.admin: KafkaAdminClient | None = None
        self.topics: dict[str, dict[str, Any]] = {}
        self.producers: dict[str, dict[str, Any]] = {}
        self.members: dict[str, Member] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.offsets: dict[tuple[str, int], tuple[int, int]] = {}  # (log start, log end)
        self.leaders: dict[tuple[str, int], int] = {}
        self.connected = False
        self.lost_reason = "not connected"
        self._seq = 0
        self._batches = ProduceBatches(sink, self.leaders)
        self._member_seq = 0
        self._lock = threading.Lock()
        self._last_poll = 0.0

    # -- connection ------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the admin client (raises `Disconnected` with the reason)."""
        ok, reason = probe_kafka(self.bootstrap)
        if not ok:
            self.lost_reason = reason
            raise Disconnected(reason)
        if self.admin is not None:
            try:
                self.admin.close()
            except Exception:  # noqa: BLE001, S110 - replacing a broken client
                pass
        try:
            self.admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                client_id=self.names.real("admin"),
                request_timeout_ms=10000,
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            )
        except KafkaError as exc:
            raise Disconnected(f"Kafka not reachable at {self.bootstrap}: {exc}") from None
        self.connected = True

    def _admin(self) -> KafkaAdminClient:
        if not self.connected or self.admin is None:
            raise Disconnected(f"Kafka is disconnected ({self.lost_reason}); retrying")
        return self.admin

    def _call(self, fn: Any) -> Any:
        """Run an admin call; Kafka errors become BrokerErrors with Kafka's words."""
        admin = self._admin()
        try:
            return fn(admin)
        except TopicAlreadyExistsError as exc:
            raise ValidationError(f"TOPIC_ALREADY_EXISTS - {self.names.scrub(str(exc))}") from None
        except KafkaError as exc:
            if not exc.retriable:
                raise BrokerError(self.names.scrub(f"{type(exc).__name__}: {exc}")) from None
            raise Disconnected(f"Kafka did not answer: {exc}") from None

    def _poll_offsets(self) -> None:
        tps = [
            TopicPartition(self.names.real(t), p)
            for t, spec in self.topics.items()
            for p in range(spec["partitions"])
        ]
        if not tps:
            return
        admin = self._admin()
        start = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps})
        end = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
        for tp in tps:
            key = (self.names.user(tp.topic), tp.partition)
            self.offsets[key] = (start[tp].offset, end[tp].offset)
        groups = [self.names.real(g) for g in self.groups]
        if groups:
            found = admin.list_group_offsets({g: None for g in groups})
            for real_group, offsets in found.items():
                group = self.groups[self.names.user(real_group)]
                for tp, meta in offsets.items():
                    if meta.offset >= 0:
                        group["committed"][(self.names.user(tp.topic), tp.partition)] = meta.offset

    # -- state ---------------------------------------------------------------------------------
    def poll_state(self) -> None:
        """Rate-limited offset and lag refresh; never raises."""
        now = time.monotonic()
        if not self.connected or now - self._last_poll < POLL_INTERVAL:
            return
        self._last_poll = now
        for group_id in list(self.groups):
            self._maybe_rebalanced(group_id)  # in case the last report raced a rejoin
        try:
            self._poll_offsets()
        except Exception as exc:  # noqa: BLE001 - shown as the backend's status
            self.connected = False
            self.lost_reason = str(exc) or type(exc).__name__

    def describe(self) -> dict[str, Any]:
        topics = []
        for name, spec in self.topics.items():
            parts = []
            for p in range(spec["partitions"]):
                start, end = self.offsets.get((name, p), (0, 0))
                leader = self.leaders.get((name, p), 1)
                parts.append(
                    {
                        "partition": p,
                        "leader": leader,
                        "replicas": [leader],
                        "isr": [leader],
                        "log_start": start,
                        "high_watermark": end,
                        "log_end": end,
                    }
                )
            topics.append(
                {
                    "name": name,
                    "configs": dict(spec["configs"]),
                    "replication_factor": spec["replication_factor"],
                    "partitions": parts,
                }
            )
        return {
            "brokers": [
                {"id": b, "up": self.connected} for b in sorted(set(self.leaders.values()) or {1})
            ],
            "topics": topics,
            "groups": [self._describe_group(g) for g in self.groups],
            "producers": [
                {
                    "producer": n,
                    "acks": e["acks"],
                    "enable_idempotence": e["enable_idempotence"],
                    "sent": e["sent"],
                }
                for n, e in self.producers.items()
            ],
        }

    # -- shutdown --------------------------------------------------------------------------------
    def _stop_clients(self) -> None:
        """Members leave their groups (committing per policy), producers flush and close."""
        for m in list(self.members.values()):
            if m.state == "active":
                try:
                    m.call("leave", timeout=5)
                except BrokerError:
                    pass
        for m in self.members.values():
            m.join(10)
        self.members.clear()
        for entry in self.producers.values():
            try:
                entry["client"].close(timeout=2)
            except Exception:  # noqa: BLE001, S110 - closing anyway
                pass
        self.producers.clear()

    def destroy(self) -> bool:
        """Stop members and producers and delete every topic and group with this
        sandbox's prefix, also those an earlier adapter left; the admin client stays
        open. False when not connected (nothing deleted)."""
        self._stop_clients()
        deleted = self.connected and self.admin is not None and self._delete_leftovers()
        self.topics.clear()
        self.groups.clear()
        self.offsets.clear()
        return deleted

    def _delete_leftovers(self) -> bool:
        ours = self.names.ours
        try:
            topics = [t for t in self.admin.list_topics() if ours(t)]
            if topics:
                self.admin.delete_topics(topics, raise_errors=False)
            groups = {self.names.real(g) for g in self.groups}
            groups |= {g["group_id"] for g in self.admin.list_groups() if ours(g["group_id"])}
            if groups:
                self.admin.delete_groups(sorted(groups))
        except Exception:  # noqa: BLE001 - best effort on the way out
            return False
        return True

    def close(self) -> None:
        """Close every client; topics, records and committed offsets stay on the cluster."""
        try:
            self._stop_clients()
        finally:
            if self.admin is not None:
                try:
                    self.admin.close()
                except Exception:  # noqa: BLE001, S110
                    pass
                self.admin = None
            self.connected = False


def probe_kafka(bootstrap: str, timeout: float = 1.0) -> tuple[bool, str]:
    """Whether a TCP connect to the first bootstrap server succeeds, and why not."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 9092)), timeout=timeout):
            return True, ""
    except ConnectionRefusedError:
        return False, f"Kafka not reachable at {host}:{port}: connection refused"
    except OSError as exc:
        return False, f"Kafka not reachable at {host}:{port}: {exc.strerror or exc}"
