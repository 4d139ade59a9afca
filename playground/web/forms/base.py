"""What every build form shares: the limits and choices it offers, the field types (a
broker name, a routing key, a JSON table) and `CommandForm`, a form that becomes one
protocol command.

Each form validates what a person typed (names, numbers in range, JSON tables) and
turns it into one protocol command (`to_command()`, see sandbox.protocol). The
runtime checks every command again with the same rules (names and keys from
`sandbox.runtime.fields`, JSON from `sandbox.runtime.json_values`, the payload
limit from the protocol), and the engine with the brokers' own; its errors are shown
beside these.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator

import sandbox.runtime.ops.kafka as kafka_ops
from brokers.amqp import validation as amqp_rules
from brokers.kafka import topics as kafka_topics
from brokers.kafka.api import CommitPolicy, OffsetReset
from brokers.kafka.assignors import ASSIGNORS as ENGINE_ASSIGNORS
from sandbox import protocol
from sandbox.runtime import json_values
from sandbox.runtime.fields import MAX_NAME_BYTES, key_problem, name_problem

MAX_NAME = MAX_NAME_BYTES
MAX_TABLE_KEYS = 32
MAX_PAYLOAD = protocol.MAX_PAYLOAD

# The choices come from their owners (the engine's rules, the runtime's); only labels here.
EXCHANGE_TYPES = [(t, t) for t in amqp_rules.EXCHANGE_TYPES]
QUEUE_TYPES = [(t, t) for t in amqp_rules.QUEUE_TYPES]
OVERFLOWS = [("", "(default: drop-head)")] + [(t, t) for t in amqp_rules.OVERFLOWS]
X_MATCH = [(t, t) for t in amqp_rules.X_MATCH]
ASSIGNORS = [(t, t) for t in ENGINE_ASSIGNORS]
COMMIT_LABELS = {
    "auto": "auto-commit on an interval",
    "after": "commit after processing (at-least-once)",
    "before": "commit before processing (at-most-once)",
}
COMMIT_POLICIES = [(t, COMMIT_LABELS[t]) for t in get_args(CommitPolicy)]
OFFSET_RESETS = [(t, t) for t in get_args(OffsetReset)]
RESET_TO = [(t, t) for t in kafka_ops.RESET_TO]
CLEANUP_LABELS = {"delete,compact": "delete,compact (the same as compact,delete)"}
CLEANUP_POLICIES = [(t, CLEANUP_LABELS.get(t, t)) for t in kafka_topics.CLEANUP_POLICIES]
ACK_MODES = [("manual", "manual ack"), ("auto", "auto-ack (no ack)")]
BROKERS = [("amqp", "RabbitMQ"), ("kafka", "Kafka")]
PRODUCER_MODES = [("rate", "steady rate, forever"), ("once", "one-shot: count messages, then stop")]


def check_name(value: str, *, reserved_prefix: str | None = None) -> str:
    """A broker entity name: 1 to MAX_NAME bytes, no control characters, no reserved prefix."""
    if not value:
        raise ValidationError("Give it a name.")
    problem = name_problem(value)
    if problem:
        raise ValidationError(f"This name {problem}.")
    if reserved_prefix and value.startswith(reserved_prefix):
        raise ValidationError(f"Names starting with '{reserved_prefix}' are reserved.")
    return value


def check_key(value: str) -> str:
    """A routing key, binding pattern or Kafka key: at most MAX_NAME bytes, no control chars."""
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


def _range(label: str, limits: tuple[int, int], **kw: Any):
    """A whole number within an owner's (lowest, highest), e.g. `kafka_api.MAX_POLL_RECORDS`."""
    return _int(label, minimum=limits[0], maximum=limits[1], **kw)


class RateField(forms.FloatField):
    """msg/s from 0 to the sandbox's publish-rate cap, read when the form is made.

    The cap is a setting (`BP_MAX_PUBLISH_RATE`, default `protocol.MAX_PUBLISH_RATE`)
    that the runtime host hands every runtime as `Caps.max_publish_rate`.
    """

    def __init__(self, label: str, **kw: Any) -> None:
        kw.setdefault("required", False)
        super().__init__(label=label, min_value=0.0, **kw)

    def follow_cap(self) -> None:
        self.max_value = settings.BP_MAX_PUBLISH_RATE
        self.validators = [*self.validators, MaxValueValidator(self.max_value)]
        self.widget.attrs["max"] = self.max_value


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != ""}


class CommandForm(forms.Form):
    """A form that becomes one protocol command; `submit_label` is its button's verb."""

    op = ""
    submit_label = "Add"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, RateField):
                field.follow_cap()

    def to_command(self) -> dict[str, Any]:
        raise NotImplementedError
