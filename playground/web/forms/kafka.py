"""The Kafka build forms: topic, consumer group, an offset reset, and a send.

Leaves out Kafka producer settings.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from brokers.errors import BrokerError
from brokers.kafka import api as kafka_api
from brokers.kafka import topics as kafka_topics
from playground.web.forms.base import (
    ASSIGNORS,
    CLEANUP_POLICIES,
    COMMIT_POLICIES,
    MAX_PAYLOAD,
    OFFSET_RESETS,
    RESET_TO,
    CommandForm,
    JSONTableField,
    KeyField,
    NameField,
    RateField,
    _drop_none,
    _float,
    _int,
    _range,
    check_name,
)
from sandbox import protocol


class TopicForm(CommandForm):
    op = "topic.create"
    name = NameField(help_text="e.g. orders")
    partitions = _int(
        "Partitions", minimum=1, maximum=kafka_topics.MAX_PARTITIONS, initial=3, required=True
    )
    replication_factor = _int(
        "Replication factor",
        minimum=1,
        maximum=kafka_topics.MAX_REPLICATION_FACTOR,
        initial=1,
        required=True,
    )
    retention_ms = _int("retention.ms", minimum=-1, maximum=2**62)
    retention_bytes = _int("retention.bytes", minimum=-1, maximum=2**62)
    cleanup_policy = forms.ChoiceField(
        choices=CLEANUP_POLICIES, initial="delete", label="cleanup.policy"
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        try:
            kafka_topics.validate_topic_name(name)  # the engine's rule, Kafka's
        except BrokerError:
            raise ValidationError(
                f"Kafka topic names are 1 to {kafka_topics.MAX_TOPIC_NAME} letters, digits, "
                "'.', '_' or '-', and not '.' or '..'."
            ) from None
        return name

    def configs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return _drop_none(
            {
                "retention.ms": d["retention_ms"],
                "retention.bytes": d["retention_bytes"],
                "cleanup.policy": d["cleanup_policy"],
            }
        )

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "op": self.op,
            "name": d["name"],
            "partitions": d["partitions"],
            "replication_factor": d["replication_factor"],
            "configs": self.configs(),
        }

    @classmethod
    def initial_from(cls, topic: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a described topic."""
        configs = topic.get("configs") or {}
        return {
            "name": topic["name"],
            "partitions": len(topic.get("partitions") or []) or 1,
            "replication_factor": topic.get("replication_factor", 1),
            "retention_ms": configs.get("retention.ms"),
            "retention_bytes": configs.get("retention.bytes"),
            "cleanup_policy": configs.get("cleanup.policy", "delete"),
        }


class TopicsField(forms.CharField):
    """Comma-separated topic names."""

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        names = [n.strip() for n in text.split(",") if n.strip()]
        if not names:
            raise ValidationError("Name at least one topic.")
        for name in names:
            check_name(name)
        return list(dict.fromkeys(names))


class GroupForm(CommandForm):
    op = "group.add"
    group_id = NameField(label="Group id", help_text="e.g. billing")
    topics = TopicsField(max_length=2048, help_text="comma-separated")
    members = _int(
        "Members", minimum=1, maximum=protocol.MAX_GROUP_MEMBERS, initial=2, required=True
    )
    partition_assignment_strategy = forms.ChoiceField(choices=ASSIGNORS, label="Assignor")
    commit_policy = forms.ChoiceField(
        choices=COMMIT_POLICIES, initial="after", label="Commit policy"
    )
    auto_commit_interval_ms = _range(
        "auto.commit.interval.ms", kafka_api.AUTO_COMMIT_INTERVAL_MS, initial=5000
    )
    max_poll_records = _range("max.poll.records", kafka_api.MAX_POLL_RECORDS, initial=500)
    processing_time = _float("Processing time (s)", maximum=3600, initial=0.2)
    session_timeout_ms = _range("session.timeout.ms", kafka_api.SESSION_TIMEOUT_MS, initial=45000)
    auto_offset_reset = forms.ChoiceField(
        choices=OFFSET_RESETS, initial="earliest", label="auto.offset.reset"
    )

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "op": self.op,
            "group_id": d["group_id"],
            "topics": d["topics"],
            "members": d["members"],
            "partition_assignment_strategy": d["partition_assignment_strategy"],
            "commit_policy": d["commit_policy"],
            "auto_commit_interval_ms": d["auto_commit_interval_ms"] or 5000,
            "auto_offset_reset": d["auto_offset_reset"],
            "max_poll_records": d["max_poll_records"] or 500,
            "processing_time": d["processing_time"] or 0.0,
            "session_timeout_ms": d["session_timeout_ms"] or 45000,
        }

    @classmethod
    def initial_from(cls, group: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a described group and its stored settings."""
        initial = {k: v for k, v in settings.items() if k in cls.base_fields}
        initial["group_id"] = group["group_id"]
        topics = settings.get("topics") or sorted({o["topic"] for o in group.get("offsets", [])})
        initial["topics"] = ", ".join(topics)
        initial.setdefault("partition_assignment_strategy", group.get("assignor", "range"))
        initial["members"] = len(group.get("members") or [])
        return initial


class OffsetResetForm(CommandForm):
    op = "group.reset"
    topic = NameField()
    to = forms.ChoiceField(choices=RESET_TO, initial="earliest")
    value = _int("Offset or timestamp (ms)", minimum=0, maximum=2**62)

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("to") in ("offset", "timestamp") and d.get("value") is None:
            self.add_error("value", f"Give the {d['to']} to reset to.")
        return d

    def to_command(self, group_id: str) -> dict[str, Any]:  # type: ignore[override]
        d = self.cleaned_data
        cmd = {"op": self.op, "group_id": group_id, "topic": d["topic"], "to": d["to"]}
        if d["to"] in ("offset", "timestamp"):
            cmd["value"] = d["value"]
        return cmd


class SendForm(CommandForm):
    """One record, or a burst, to a topic."""

    op = "send"
    submit_label = "Send"
    topic = NameField()
    key = KeyField(label="Key", help_text="blank: no key (sticky partitioner)")
    key_pattern = KeyField(
        label="Key pattern (burst)", help_text="{n} = 1, 2, 3…; {choice:a|b}; {int:1-9}"
    )
    partition = _int("Partition (blank: partitioner)", maximum=kafka_topics.MAX_PARTITIONS - 1)
    headers = JSONTableField(label="Headers (JSON)")
    value = forms.CharField(
        required=False,
        max_length=MAX_PAYLOAD,
        label="Value",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    count = _int("Count", minimum=1, maximum=protocol.MAX_BURST, initial=1)
    rate = RateField("Rate (msg/s, 0 = at once)", initial=0)

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        cmd = {
            "op": self.op,
            "topic": d["topic"],
            "key": d["key"] or None,
            "value": d["value"],
            "headers": d["headers"],
            "count": d["count"] or 1,
            "rate": d["rate"] or 0.0,
        }
        if d["key_pattern"]:
            cmd["key_pattern"] = d["key_pattern"]
        if d["partition"] is not None:
            cmd["partition"] = d["partition"]
        return cmd
