"""The Kafka operations of `KafkaApi` on a real cluster, through kafka-python 3.x.

Topics and group offsets go through `KafkaAdminClient`; each producer is a
`KafkaProducer` whose send futures report the partition and offset the broker gave
(`Sent`, `Appended`, `ProduceAcked`, with the partitioner's reason computed by
`brokers.kafka.partitioner`, the simulator's own); each group member is a real
`KafkaConsumer` in its own thread (`brokers.real.kafka_member`). Topics and group ids
carry the sandbox prefix on the broker. Offsets, committed offsets and lag are polled.
Leaves out broker stop/start (the playground does not own a real cluster's brokers),
replication events, retention and compaction events (the log start offset shows them).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.admin import (
    ConfigResource,
    ConfigResourceType,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    OffsetTimestamp,
)
from kafka.errors import KafkaError, TopicAlreadyExistsError

from brokers.errors import BrokerError, Disconnected, NotFound, ResourceLocked, ValidationError
from brokers.kafka import events as ev
from brokers.kafka.api import KafkaApi
from brokers.kafka.partitioner import key_bytes, partition_for_key
from brokers.real.common import EventSink, Names
from brokers.real.kafka_member import MSG_HEADER, Member

POLL_INTERVAL = 0.5  # seconds between offset and lag polls
NULL_KEY_REASON = "null key: kafka-python's default partitioner picks a random available partition"


class KafkaAdapter(KafkaApi):
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

    def redeclare(self) -> None:
        """Create again the topics this sandbox had that the cluster lost."""
        existing = set(self._call(lambda a: a.list_topics()))
        missing = [t for t in self.topics if self.names.real(t) not in existing]
        for name in missing:
            spec = self.topics[name]
            self._create(name, spec["partitions"], spec["replication_factor"], spec["configs"])

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

    # -- topics ------------------------------------------------------------------------
    def create_topic(
        self,
        name: str,
        num_partitions: int = 1,
        replication_factor: int = 1,
        configs: dict[str, Any] | None = None,
    ) -> None:
        _check_topic_name(name)
        if not isinstance(num_partitions, int) or num_partitions < 1:
            raise ValidationError(f"num_partitions must be an integer >= 1, got {num_partitions!r}")
        if name in self.topics:
            raise ValidationError(f"TOPIC_ALREADY_EXISTS - Topic '{name}' already exists.")
        configs = {k: str(v) for k, v in (configs or {}).items()}
        self._create(name, num_partitions, replication_factor, configs)
        self.topics[name] = {
            "partitions": num_partitions,
            "replication_factor": replication_factor,
            "configs": configs,
        }
        self.sink.emit(
            ev.TopicCreated,
            topic=name,
            partitions=num_partitions,
            replication_factor=replication_factor,
            replicas=[[self.leaders.get((name, p), 1)] for p in range(num_partitions)],
            configs=dict(configs),
        )

    def _create(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        real = self.names.real(name)
        topic = NewTopic(real, partitions, rf, topic_configs=configs)
        self._call(lambda a: a.create_topics([topic]))
        self._call(lambda a: a.wait_for_topics([real], timeout_ms=10000))
        self._refresh_leaders([name])

    def _refresh_leaders(self, topics: list[str]) -> None:
        try:
            described = self._call(
                lambda a: a.describe_topics([self.names.real(t) for t in topics])
            )
        except BrokerError:
            return
        for t in described:
            for p in t.get("partitions") or []:
                key = (self.names.user(t["name"]), p["partition_index"])
                self.leaders[key] = p.get("leader_id", 1)

    def _topic(self, name: str) -> dict[str, Any]:
        if name not in self.topics:
            raise NotFound(f"UNKNOWN_TOPIC_OR_PARTITION - topic '{name}' does not exist")
        return self.topics[name]

    def delete_topic(self, name: str) -> None:
        self._topic(name)
        self._call(lambda a: a.delete_topics([self.names.real(name)]))
        del self.topics[name]
        for key in [k for k in self.offsets if k[0] == name]:
            del self.offsets[key]
        for group in self.groups.values():
            for key in [k for k in group["committed"] if k[0] == name]:
                del group["committed"][key]
        self.sink.emit(ev.TopicDeleted, topic=name)

    def alter_topic_configs(self, name: str, configs: dict[str, Any]) -> None:
        spec = self._topic(name)
        configs = {k: str(v) for k, v in configs.items()}
        resource = ConfigResource(ConfigResourceType.TOPIC, self.names.real(name), configs)
        self._call(lambda a: a.alter_configs([resource], incremental=True))
        spec["configs"].update(configs)
        self.sink.emit(ev.TopicConfigChanged, topic=name, configs=dict(configs))

    def create_partitions(self, name: str, total: int) -> None:
        spec = self._topic(name)
        if not isinstance(total, int) or total <= spec["partitions"]:
            raise ValidationError(
                f"INVALID_PARTITIONS - topic '{name}' has {spec['partitions']} partitions; "
                f"the new count must be larger, got {total!r}"
            )
        real = self.names.real(name)
        self._call(lambda a: a.create_partitions({real: NewPartitions(total)}))
        before, spec["partitions"] = spec["partitions"], total
        self._refresh_leaders([name])
        self.sink.emit(
            ev.PartitionsCreated,
            topic=name,
            partitions=total,
            reason=f"grown from {before} to {total} partitions",
        )

    def stop_broker(self, broker_id: int) -> None:
        raise ValidationError("a real cluster's brokers are not stopped from the playground")

    def start_broker(self, broker_id: int) -> None:
        raise ValidationError("a real cluster's brokers are not started from the playground")

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
        if partition_assignment_strategy not in ("range", "roundrobin", "cooperative-sticky"):
            raise ValidationError(f"unknown assignor {partition_assignment_strategy!r}")
        if commit_policy not in ("auto", "after", "before"):
            raise ValidationError(f"unknown commit policy {commit_policy!r}")
        if auto_offset_reset not in ("earliest", "latest", "none"):
            raise ValidationError(f"unknown auto_offset_reset {auto_offset_reset!r}")
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
        m.join(15)
        self.sink.emit(ev.MemberLeft, group=m.group_id, member=member, reason="leave group")

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
        if to not in ("earliest", "latest", "offset", "timestamp"):
            raise ValidationError(f"unknown reset target {to!r}")
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
        result = self._call(lambda a: a.reset_group_offsets(self.names.real(group_id), specs))
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

    # -- shutdown --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Stop members and producers, delete this sandbox's topics and groups."""
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
        if self.connected and self.admin is not None:
            self._delete_leftovers()
        self.topics.clear()
        self.groups.clear()
        self.offsets.clear()

    def _delete_leftovers(self) -> None:
        ours = self.names.ours
        try:
            topics = [t for t in self.admin.list_topics() if ours(t)]
            if topics:
                self.admin.delete_topics(topics, raise_errors=False)
            groups = [self.names.real(g) for g in self.groups]
            if groups:
                self.admin.delete_groups(groups)
        except Exception:  # noqa: BLE001, S110 - best effort on the way out
            pass

    def close(self) -> None:
        """Delete this sandbox's resources and close the admin client."""
        try:
            self.reset()
        finally:
            if self.admin is not None:
                try:
                    self.admin.close()
                except Exception:  # noqa: BLE001, S110
                    pass
                self.admin = None
            self.connected = False


def _check_topic_name(name: Any) -> None:
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ValidationError(f"topic name must be 1 to 200 characters, got {name!r}")
    if name in (".", "..") or not all(c.isalnum() or c in "._-" for c in name):
        raise ValidationError(
            f"INVALID_TOPIC_EXCEPTION - topic name '{name}' is illegal: use letters, digits, "
            "'.', '_' and '-'"
        )


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
