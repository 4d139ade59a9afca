"""Kafka topics on a real cluster: create (with configs), delete, alter, grow, redeclare.

Part of `KafkaAdapter` (see `brokers.real.kafka.adapter`): topics go through the admin client
with the sandbox prefix; leaders are read back for the live view. A topic this sandbox
made earlier (its runtime was unloaded, the cluster kept it) is taken back as it is, its
records and the groups' committed offsets with it: grown to the partitions asked for,
never shrunk, with the configs asked for set on it. Leaves out broker stop/start (the
playground does not own a real cluster's brokers).
"""

from __future__ import annotations

from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError

from brokers.errors import BrokerError, NotFound, ValidationError
from brokers.kafka import events as ev


class TopicOps:
    """The topic half of `KafkaApi` (mixed into `KafkaAdapter`)."""

    def redeclare(self) -> None:
        """Create again the topics this sandbox had that the cluster lost."""
        existing = set(self._call(lambda a: a.list_topics()))
        missing = [t for t in self.topics if self.names.real(t) not in existing]
        for name in missing:
            spec = self.topics[name]
            self._create(name, spec["partitions"], spec["replication_factor"], spec["configs"])

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
        num_partitions = self._create(name, num_partitions, replication_factor, configs)
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

    def _create(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> int:
        """Create the topic, or take back the one the cluster kept; its partition count."""
        real = self.names.real(name)
        topic = NewTopic(real, partitions, rf, topic_configs=configs)

        def create(admin: Any) -> bool:
            try:
                admin.create_topics([topic])
            except TopicAlreadyExistsError:
                return True
            return False

        if self._call(create):
            partitions = self._reattach(name, partitions, configs)
        self._call(lambda a: a.wait_for_topics([real], timeout_ms=10000))
        self._refresh_leaders([name])
        return partitions

    def _reattach(self, name: str, partitions: int, configs: dict[str, str]) -> int:
        real = self.names.real(name)
        described = self._call(lambda a: a.describe_topics([real]))
        held = max((len(t.get("partitions") or []) for t in described), default=0)
        if held < partitions:
            self._call(lambda a: a.create_partitions({real: NewPartitions(partitions)}))
            held = partitions
        if configs:
            resource = ConfigResource(ConfigResourceType.TOPIC, real, configs)
            self._call(lambda a: a.alter_configs([resource], incremental=True))
        return held

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


def _check_topic_name(name: Any) -> None:
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ValidationError(f"topic name must be 1 to 200 characters, got {name!r}")
    if name in (".", "..") or not all(c.isalnum() or c in "._-" for c in name):
        raise ValidationError(
            f"INVALID_TOPIC_EXCEPTION - topic name '{name}' is illegal: use letters, digits, "
            "'.', '_' and '-'"
        )
