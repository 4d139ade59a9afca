"""Django forms for every command a user sends from the page.

Each form validates what a person typed (names, numbers in range, JSON tables) and
turns it into one protocol command (`to_command()`, see sandbox.protocol). The
runtime checks every command again with the same rules (names and keys from
`sandbox.runtime.fields`, JSON from `sandbox.runtime.json_values`, the payload
limit from the protocol), and the engine with the brokers' own; its errors are shown
beside these. Leaves out consumer arguments other than `x-stream-offset` and Kafka
producer settings.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from sandbox import protocol
from sandbox.runtime import json_values
from sandbox.runtime.fields import MAX_NAME_BYTES, key_problem, name_problem

MAX_NAME = MAX_NAME_BYTES
MAX_TABLE_KEYS = 32
MAX_PAYLOAD = protocol.MAX_PAYLOAD

EXCHANGE_TYPES = [(t, t) for t in ("direct", "fanout", "topic", "headers")]
QUEUE_TYPES = [(t, t) for t in ("classic", "quorum", "stream")]
OVERFLOWS = [("", "(default: drop-head)")] + [
    (t, t) for t in ("drop-head", "reject-publish", "reject-publish-dlx")
]
X_MATCH = [(t, t) for t in ("all", "any", "all-with-x", "any-with-x")]
ASSIGNORS = [(t, t) for t in ("range", "roundrobin", "cooperative-sticky")]
COMMIT_POLICIES = [
    ("auto", "auto-commit on an interval"),
    ("after", "commit after processing (at-least-once)"),
    ("before", "commit before processing (at-most-once)"),
]
OFFSET_RESETS = [(t, t) for t in ("earliest", "latest", "none")]
RESET_TO = [(t, t) for t in ("earliest", "latest", "offset", "timestamp")]
CLEANUP_POLICIES = [(t, t) for t in ("delete", "compact", "compact,delete")]
ACK_MODES = [("manual", "manual ack"), ("auto", "auto-ack (no ack)")]
BROKERS = [("amqp", "RabbitMQ"), ("kafka", "Kafka")]
PRODUCER_MODES = [("rate", "steady rate, forever"), ("once", "one-shot: count messages, then stop")]


def check_name(value: str, *, reserved_prefix: str | None = None) -> str:
    """A broker entity name: 1–255 bytes, no control characters, no reserved prefix."""
    if not value:
        raise ValidationError("Give it a name.")
    problem = name_problem(value)
    if problem:
        raise ValidationError(f"This name {problem}.")
    if reserved_prefix and value.startswith(reserved_prefix):
        raise ValidationError(f"Names starting with '{reserved_prefix}' are reserved.")
    return value


def check_key(value: str) -> str:
    """A routing key, binding pattern or Kafka key: at most 255 bytes, no control chars."""
    problem = key_problem(value)
    if problem:
        raise ValidationError(f"This key {problem}.")
    return value


class NameField(forms.CharField):
    """An entity name, checked by `check_name`."""

    def __init__(self, *, reserved_prefix: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_NAME)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)
        self.reserved_prefix = reserved_prefix

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value and not self.required:
            return value
        return check_name(value, reserved_prefix=self.reserved_prefix)


class KeyField(forms.CharField):
    """A routing key or pattern: may be empty, checked by `check_key`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        kwargs.setdefault("max_length", MAX_NAME)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        return check_key(super().clean(value) or "")


def _ascii_digits(text: str) -> bool:
    """Digits 0-9 only ("²".isdigit() is true, and int("²") fails)."""
    return text.isascii() and text.isdigit()


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class JSONTableField(forms.CharField):
    """A JSON object of typed values (string, number, boolean, null or a list of those)."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "json"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 8192)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value) if value else ""
        return value

    def clean(self, value: Any) -> dict[str, Any]:
        text = (super().clean(value) or "").strip()
        if not text:
            return {}
        try:
            data = json_values.loads(text, "This field")
        except json_values.ValueRefused as exc:
            raise ValidationError(exc.message) from None
        if not isinstance(data, dict):
            raise ValidationError('Must be a JSON object, like {"format": "pdf", "level": 3}.')
        if len(data) > MAX_TABLE_KEYS:
            raise ValidationError(f"At most {MAX_TABLE_KEYS} keys.")
        for key, item in data.items():
            check_name(key)
            ok = _scalar(item) or (isinstance(item, list) and all(_scalar(v) for v in item))
            if not ok:
                raise ValidationError(f"'{key}': values are strings, numbers, booleans or lists.")
        return data


def _int(label: str = "", *, minimum: int = 0, maximum: int | None = None, **kw: Any):
    kw.setdefault("required", False)
    return forms.IntegerField(label=label or None, min_value=minimum, max_value=maximum, **kw)


def _float(label: str = "", *, minimum: float = 0.0, maximum: float | None = None, **kw: Any):
    kw.setdefault("required", False)
    return forms.FloatField(label=label or None, min_value=minimum, max_value=maximum, **kw)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != ""}


class CommandForm(forms.Form):
    """A form that becomes one protocol command; `submit_label` is its button's verb."""

    op = ""
    submit_label = "Add"

    def to_command(self) -> dict[str, Any]:
        raise NotImplementedError


# -- RabbitMQ ----------------------------------------------------------------------


class ExchangeForm(CommandForm):
    op = "exchange.declare"
    name = NameField(reserved_prefix="amq.", help_text="e.g. orders")
    type = forms.ChoiceField(choices=EXCHANGE_TYPES, initial="topic")
    durable = forms.BooleanField(required=False, initial=True)
    auto_delete = forms.BooleanField(required=False, label="Auto-delete")
    internal = forms.BooleanField(required=False)
    alternate_exchange = NameField(required=False, help_text="takes unroutable messages")
    arguments = JSONTableField(label="Extra arguments (JSON)")

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        arguments = dict(d["arguments"])
        if d["alternate_exchange"]:
            arguments["alternate-exchange"] = d["alternate_exchange"]
        return {
            "op": self.op,
            "name": d["name"],
            "type": d["type"],
            "durable": d["durable"],
            "auto_delete": d["auto_delete"],
            "internal": d["internal"],
            "arguments": arguments,
        }

    @classmethod
    def initial_from(cls, exchange: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a described exchange."""
        arguments = dict(exchange.get("arguments") or {})
        return {
            "name": exchange["name"],
            "type": exchange.get("type", "direct"),
            "durable": exchange.get("durable", True),
            "auto_delete": exchange.get("auto_delete", False),
            "internal": exchange.get("internal", False),
            "alternate_exchange": arguments.pop("alternate-exchange", ""),
            "arguments": arguments,
        }


# queue form field -> x- argument
QUEUE_ARGUMENTS = {
    "message_ttl": "x-message-ttl",
    "max_length": "x-max-length",
    "max_length_bytes": "x-max-length-bytes",
    "overflow": "x-overflow",
    "dead_letter_exchange": "x-dead-letter-exchange",
    "dead_letter_routing_key": "x-dead-letter-routing-key",
    "max_priority": "x-max-priority",
    "delivery_limit": "x-delivery-limit",
}


class QueueForm(CommandForm):
    op = "queue.declare"
    name = NameField(reserved_prefix="amq.", help_text="e.g. invoices")
    queue_type = forms.ChoiceField(choices=QUEUE_TYPES, initial="classic", label="Type")
    message_ttl = _int("TTL (ms)", maximum=2**32 - 1)
    max_length = _int("Max length", maximum=10**9)
    max_length_bytes = _int("Max length bytes", maximum=2**40)
    overflow = forms.ChoiceField(choices=OVERFLOWS, required=False)
    dead_letter_exchange = NameField(required=False, label="Dead-letter exchange")
    dead_letter_routing_key = KeyField(label="Dead-letter routing key")
    max_priority = _int("Max priority", minimum=1, maximum=255)
    delivery_limit = _int("Delivery limit (quorum)", maximum=10**6)
    single_active_consumer = forms.BooleanField(required=False, label="Single active consumer")
    durable = forms.BooleanField(required=False, initial=True)
    exclusive = forms.BooleanField(required=False)
    auto_delete = forms.BooleanField(required=False, label="Auto-delete")
    arguments = JSONTableField(label="Extra arguments (JSON)")

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        qtype = d.get("queue_type")
        if qtype and qtype != "classic":
            for flag in ("exclusive", "auto_delete"):
                if d.get(flag):
                    self.add_error(flag, f"{qtype} queues cannot be {flag.replace('_', '-')}.")
            if d.get("max_priority"):
                self.add_error("max_priority", "Only classic queues have priorities.")
        if qtype != "quorum" and d.get("delivery_limit") is not None:
            self.add_error("delivery_limit", "Only quorum queues have a delivery limit.")
        if d.get("dead_letter_routing_key") and not d.get("dead_letter_exchange"):
            self.add_error("dead_letter_routing_key", "Set a dead-letter exchange first.")
        return d

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        arguments = dict(d["arguments"])
        arguments["x-queue-type"] = d["queue_type"]
        for field, key in QUEUE_ARGUMENTS.items():
            if d.get(field) not in (None, ""):
                arguments[key] = d[field]
        if d["single_active_consumer"]:
            arguments["x-single-active-consumer"] = True
        durable = d["durable"] or d["queue_type"] != "classic"
        return {
            "op": self.op,
            "name": d["name"],
            "durable": durable,
            "exclusive": d["exclusive"],
            "auto_delete": d["auto_delete"],
            "arguments": arguments,
        }

    @classmethod
    def initial_from(cls, queue: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a described queue."""
        arguments = dict(queue.get("arguments") or {})
        initial: dict[str, Any] = {
            "name": queue["name"],
            "queue_type": arguments.pop("x-queue-type", queue.get("type", "classic")),
            "durable": queue.get("durable", True),
            "exclusive": queue.get("exclusive", False),
            "auto_delete": queue.get("auto_delete", False),
            "single_active_consumer": bool(arguments.pop("x-single-active-consumer", False)),
        }
        for field, key in QUEUE_ARGUMENTS.items():
            if key in arguments:
                initial[field] = arguments.pop(key)
        initial["arguments"] = arguments
        return initial


class BindingForm(CommandForm):
    op = "bind"
    submit_label = "Bind"
    source = NameField(label="From exchange")
    destination_type = forms.ChoiceField(
        choices=[("queue", "queue"), ("exchange", "exchange")], initial="queue", label="To a"
    )
    destination = NameField(label="To (name)")
    routing_key = KeyField(label="Routing key / pattern", help_text="topic: * one word, # any")
    x_match = forms.ChoiceField(choices=X_MATCH, required=False, label="x-match (headers)")
    headers = JSONTableField(label="Header table (headers exchanges)")

    def __init__(self, *args: Any, exchange_types: dict[str, str] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.exchange_types = exchange_types or {}

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        source = d.get("source")
        is_headers = self.exchange_types.get(source or "") == "headers"
        if is_headers and not d.get("headers"):
            self.add_error(
                "headers", 'A headers exchange matches on a table, e.g. {"format": "pdf"}.'
            )
        return d

    @classmethod
    def initial_from(cls, binding: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a described binding."""
        headers = dict(binding.get("arguments") or {})
        return {
            "source": binding["source"],
            "destination_type": binding.get("destination_type", "queue"),
            "destination": binding["destination"],
            "routing_key": binding.get("routing_key", ""),
            "x_match": headers.pop("x-match", "all"),
            "headers": headers,
        }

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        arguments = dict(d["headers"])
        if arguments or self.exchange_types.get(d["source"]) == "headers":
            arguments["x-match"] = d["x_match"] or "all"
        return {
            "op": self.op,
            "source": d["source"],
            "destination": d["destination"],
            "destination_type": d["destination_type"],
            "routing_key": d["routing_key"],
            "arguments": arguments,
        }


class ConsumerForm(CommandForm):
    op = "consumer.add"
    queue = NameField()
    tag = NameField(required=False, label="Consumer tag", help_text="blank: one is made up")
    prefetch_count = _int("Prefetch", maximum=65535, initial=1)
    ack_mode = forms.ChoiceField(choices=ACK_MODES, initial="manual", label="Ack mode")
    processing_time = _float("Processing time (s)", maximum=3600, initial=0.5)
    failure_rate = _float("Failure rate (0–1)", maximum=1.0, initial=0.0)
    requeue_on_failure = forms.BooleanField(required=False, initial=True, label="Requeue failures")
    stream_offset = forms.CharField(
        required=False,
        max_length=32,
        label="Stream offset",
        help_text="first, last, next or a number",
    )

    def clean_stream_offset(self) -> str:
        value = self.cleaned_data["stream_offset"].strip()
        if value and value not in ("first", "last", "next") and not _ascii_digits(value):
            raise ValidationError("first, last, next or an offset number (digits 0-9).")
        return value

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        arguments: dict[str, Any] = {}
        if d["stream_offset"]:
            offset = d["stream_offset"]
            arguments["x-stream-offset"] = int(offset) if _ascii_digits(offset) else offset
        cmd = {
            "op": self.op,
            "queue": d["queue"],
            "prefetch_count": d["prefetch_count"] or 0,
            "auto_ack": d["ack_mode"] == "auto",
            "processing_time": d["processing_time"] or 0.0,
            "failure_rate": d["failure_rate"] or 0.0,
            "requeue_on_failure": d["requeue_on_failure"],
            "arguments": arguments,
        }
        if d["tag"]:
            cmd["tag"] = d["tag"]
        return cmd

    @classmethod
    def initial_from(cls, consumer: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a described consumer."""
        return {
            "queue": consumer.get("queue", ""),
            "tag": consumer.get("tag", ""),
            "prefetch_count": consumer.get("prefetch", 0),
            "ack_mode": "auto" if consumer.get("auto_ack") else "manual",
            "processing_time": consumer.get("processing_time", 0.0),
            "failure_rate": consumer.get("failure_rate", 0.0),
            "requeue_on_failure": consumer.get("requeue_on_failure", True),
        }


class PublishForm(CommandForm):
    """One message, or a burst, to an exchange."""

    op = "publish"
    submit_label = "Publish"
    exchange = forms.CharField(required=False, max_length=MAX_NAME, label="Exchange")
    routing_key = KeyField(label="Routing key")
    key_pattern = KeyField(
        label="Key pattern (burst)", help_text="{n} = 1, 2, 3…; {choice:a|b}; {int:1-9}"
    )
    headers = JSONTableField(label="Headers (JSON)")
    priority = _int("Priority", maximum=255)
    expiration = _int("Expiration (ms)", maximum=2**32 - 1)
    mandatory = forms.BooleanField(required=False)
    body = forms.CharField(
        required=False,
        max_length=MAX_PAYLOAD,
        label="Payload",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    count = _int("Count", minimum=1, maximum=10_000, initial=1)
    rate = _float("Rate (msg/s, 0 = at once)", maximum=2_000, initial=0)

    def clean_exchange(self) -> str:
        value = self.cleaned_data["exchange"]
        return check_name(value) if value else ""

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        cmd = {
            "op": self.op,
            "exchange": d["exchange"],
            "routing_key": d["routing_key"],
            "body": d["body"],
            "headers": d["headers"],
            "mandatory": d["mandatory"],
            "count": d["count"] or 1,
            "rate": d["rate"] or 0.0,
        }
        if d["key_pattern"]:
            cmd["key_pattern"] = d["key_pattern"]
        if d["priority"] is not None:
            cmd["priority"] = d["priority"]
        if d["expiration"] is not None:
            cmd["expiration"] = d["expiration"]
        return cmd


# -- Kafka -------------------------------------------------------------------------


class TopicForm(CommandForm):
    op = "topic.create"
    name = NameField(help_text="e.g. orders")
    partitions = _int("Partitions", minimum=1, maximum=64, initial=3, required=True)
    replication_factor = _int("Replication factor", minimum=1, maximum=3, initial=1, required=True)
    retention_ms = _int("retention.ms", minimum=-1, maximum=2**62)
    retention_bytes = _int("retention.bytes", minimum=-1, maximum=2**62)
    cleanup_policy = forms.ChoiceField(
        choices=CLEANUP_POLICIES, initial="delete", label="cleanup.policy"
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in (".", "..") or len(name) > 249:
            raise ValidationError("Kafka topic names are at most 249 characters, not '.' or '..'.")
        if not all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in name):
            raise ValidationError("Kafka topic names use letters, digits, '.', '_' and '-'.")
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
    members = _int("Members", minimum=1, maximum=16, initial=2, required=True)
    partition_assignment_strategy = forms.ChoiceField(choices=ASSIGNORS, label="Assignor")
    commit_policy = forms.ChoiceField(
        choices=COMMIT_POLICIES, initial="after", label="Commit policy"
    )
    auto_commit_interval_ms = _int(
        "auto.commit.interval.ms", minimum=1, maximum=600_000, initial=5000
    )
    max_poll_records = _int("max.poll.records", minimum=1, maximum=10_000, initial=500)
    processing_time = _float("Processing time (s)", maximum=3600, initial=0.2)
    session_timeout_ms = _int("session.timeout.ms", minimum=1000, maximum=600_000, initial=45000)
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
    partition = _int("Partition (blank: partitioner)", maximum=63)
    headers = JSONTableField(label="Headers (JSON)")
    value = forms.CharField(
        required=False,
        max_length=MAX_PAYLOAD,
        label="Value",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    count = _int("Count", minimum=1, maximum=10_000, initial=1)
    rate = _float("Rate (msg/s, 0 = at once)", maximum=2_000, initial=0)

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


# -- Producers (either broker) ------------------------------------------------------


class ProducerForm(CommandForm):
    op = "producer.add"
    name = NameField(help_text="e.g. web-shop")
    broker = forms.ChoiceField(choices=BROKERS, initial="amqp")
    target = forms.CharField(
        required=False,
        max_length=MAX_NAME,
        label="Exchange or topic",
        help_text="blank: default exchange",
    )
    routing_key = KeyField(label="Routing key / key")
    key_pattern = KeyField(label="Key pattern", help_text="{n} = 1, 2, 3…; {choice:a|b}; {int:1-9}")
    headers = JSONTableField(label="Headers (JSON)")
    payload = forms.CharField(
        required=False,
        max_length=MAX_PAYLOAD,
        label="Payload template",
        help_text="{n} = message number; {key}; {choice:a|b}; {int:1-9}",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    priority = _int("Priority", maximum=255)
    mode = forms.ChoiceField(choices=PRODUCER_MODES, initial="rate", label="Mode")
    rate = _float("Rate (msg/s)", maximum=2_000, initial=1.0)
    count = _int("Count (one-shot)", maximum=1_000_000, initial=10)

    def clean_target(self) -> str:
        value = self.cleaned_data["target"]
        return check_name(value) if value else ""

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("broker") == "kafka" and not d.get("target"):
            self.add_error("target", "Name the topic to send to.")
        if not d.get("rate") and "rate" not in self.errors:
            self.add_error("rate", "A producer needs a rate above 0 msg/s.")
        if d.get("mode") == "once" and not d.get("count"):
            self.add_error("count", "A one-shot producer sends at least one message.")
        return d

    def to_command(self) -> dict[str, Any]:
        d = self.cleaned_data
        cmd = {
            "op": self.op,
            "name": d["name"],
            "broker": d["broker"],
            "target": d["target"],
            "routing_key": d["routing_key"],
            "key_pattern": d["key_pattern"],
            "headers": d["headers"],
            "payload": d["payload"],
            "rate": d["rate"],
            "count": d["count"] if d["mode"] == "once" else 0,
        }
        if d["priority"] is not None:
            cmd["priority"] = d["priority"]
        return cmd

    @classmethod
    def initial_from(cls, producer: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from a stored producer."""
        initial = {k: v for k, v in producer.items() if k in cls.base_fields}
        initial["mode"] = "once" if producer.get("count") else "rate"
        return initial


class SpeedForm(forms.Form):
    speed = forms.FloatField(min_value=0.1, max_value=20.0)


MAX_SEED = 2**63 - 1  # what a sandbox file and the runtime accept
SEED_RANGE = f"The seed is a whole number from 0 to {MAX_SEED}."


class SeedForm(forms.Form):
    """An optional seed for Reset or New sandbox; empty keeps (Reset) or draws one (New)."""

    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        error_messages={k: SEED_RANGE for k in ("invalid", "min_value", "max_value")},
    )

    def error(self) -> str:
        """The first error, as one sentence."""
        return next((e for field in self.errors.values() for e in field), SEED_RANGE)
