"""The RabbitMQ build forms: exchange, queue, binding, consumer, and a publish.

Leaves out consumer arguments other than `x-stream-offset`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

import sandbox.runtime.ops.amqp as amqp_ops
from playground.web.forms.base import (
    ACK_MODES,
    EXCHANGE_TYPES,
    MAX_NAME,
    MAX_PAYLOAD,
    OVERFLOWS,
    QUEUE_TYPES,
    X_MATCH,
    CommandForm,
    JSONTableField,
    KeyField,
    NameField,
    RateField,
    _ascii_digits,
    _float,
    _int,
    check_name,
)
from sandbox import protocol


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
    expiration = _int("Expiration (ms)", maximum=amqp_ops.MAX_EXPIRATION_MS)
    mandatory = forms.BooleanField(required=False)
    body = forms.CharField(
        required=False,
        max_length=MAX_PAYLOAD,
        label="Payload",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    count = _int("Count", minimum=1, maximum=protocol.MAX_BURST, initial=1)
    rate = RateField("Rate (msg/s, 0 = at once)", initial=0)

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
