"""The forms that are not one broker's: a producer (either broker), the speed, the seed."""

from __future__ import annotations

from typing import Any

from django import forms

from playground.web.forms.base import (
    BROKERS,
    MAX_NAME,
    MAX_PAYLOAD,
    PRODUCER_MODES,
    CommandForm,
    JSONTableField,
    KeyField,
    NameField,
    RateField,
    _int,
    check_name,
)
from sandbox import protocol


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
    rate = RateField("Rate (msg/s)", initial=1.0)
    count = _int("Count (one-shot)", maximum=protocol.MAX_PRODUCER_COUNT, initial=10)

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
    speed = forms.FloatField(min_value=protocol.SPEED_MIN, max_value=protocol.SPEED_MAX)


SEED_RANGE = f"The seed is a whole number from 0 to {protocol.MAX_SEED}."


class SeedForm(forms.Form):
    """An optional seed for Reset or New sandbox; empty keeps (Reset) or draws one (New)."""

    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=protocol.MAX_SEED,
        error_messages={k: SEED_RANGE for k in ("invalid", "min_value", "max_value")},
    )

    def error(self) -> str:
        """The first error, as one sentence."""
        return next((e for field in self.errors.values() for e in field), SEED_RANGE)
