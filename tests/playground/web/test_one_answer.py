"""A boundary value gets one answer: the form, the runtime and the engine agree.

Each limit and enum has one owner (the engine's `brokers.amqp.validation`,
`brokers.kafka.assignors` and `brokers.kafka.api`, or `sandbox.protocol`); the forms
derive their choices and limits from it. For each value on either side of a boundary,
the form's verdict is the runtime's (the raw command sent straight to a
`SandboxRuntime`, as a WebSocket or a file would) and, for names, the engine's.
"""

from __future__ import annotations

import typing

import pytest

from brokers.amqp.validation import EXCHANGE_TYPES, MAX_NAME_BYTES, QUEUE_TYPES, X_MATCH
from brokers.kafka import api as kafka_api
from brokers.kafka.assignors import ASSIGNORS
from brokers.sim import Simulator
from playground.web import forms
from sandbox import protocol
from sandbox.runtime import SandboxRuntime
from sandbox.runtime.ops.amqp import MAX_EXPIRATION_MS


def form(cls, prefix: str, **data):
    return cls({f"{prefix}-{k}": v for k, v in data.items()}, prefix=prefix)


def runtime_ok(*commands: dict) -> bool:
    """Whether a fresh runtime accepts the last command (the ones before set the stage)."""
    rt = SandboxRuntime(seed=1)
    for cmd in commands[:-1]:
        assert rt.apply(cmd)["ok"], cmd
    return bool(rt.apply(commands[-1])["ok"])


def engine_ok(name: str) -> bool:
    try:
        Simulator(1).amqp.queue_declare(name)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


NAMES = [
    "q" * MAX_NAME_BYTES,
    "q" * (MAX_NAME_BYTES + 1),
    "é" * (MAX_NAME_BYTES // 2) + "q",  # MAX_NAME_BYTES bytes in fewer characters
    "é" * (MAX_NAME_BYTES // 2 + 1),  # one byte over
]


@pytest.mark.parametrize("name", NAMES, ids=["max", "max+1", "max-bytes-utf8", "utf8+1"])
def test_a_queue_name_at_the_byte_limit_gets_one_answer(name):
    by_form = form(forms.QueueForm, "queue", name=name, queue_type="classic").is_valid()
    by_runtime = runtime_ok({"op": "queue.declare", "name": name})
    assert by_form == by_runtime == engine_ok(name) == (len(name.encode()) <= MAX_NAME_BYTES)


@pytest.mark.parametrize("kind", [*EXCHANGE_TYPES, "x-consistent-hash"])
def test_an_exchange_type_gets_one_answer(kind):
    by_form = form(forms.ExchangeForm, "exchange", name="ex", type=kind).is_valid()
    by_runtime = runtime_ok({"op": "exchange.declare", "name": "ex", "type": kind})
    assert by_form == by_runtime == (kind in EXCHANGE_TYPES)


@pytest.mark.parametrize("kind", [*QUEUE_TYPES, "lazy"])
def test_a_queue_type_gets_one_answer(kind):
    by_form = form(forms.QueueForm, "queue", name="q", queue_type=kind).is_valid()
    by_runtime = runtime_ok(
        {"op": "queue.declare", "name": "q", "arguments": {"x-queue-type": kind}}
    )
    assert by_form == by_runtime == (kind in QUEUE_TYPES)


def test_the_forms_offer_exactly_the_engines_choices():
    def values(field):
        return [v for v, _ in field.choices if v != ""]

    amqp, kafka = forms.ExchangeForm.base_fields, forms.GroupForm.base_fields
    assert values(amqp["type"]) == list(EXCHANGE_TYPES)
    assert values(forms.QueueForm.base_fields["queue_type"]) == list(QUEUE_TYPES)
    assert values(forms.BindingForm.base_fields["x_match"]) == list(X_MATCH)
    assert values(kafka["partition_assignment_strategy"]) == list(ASSIGNORS)
    assert values(kafka["commit_policy"]) == list(typing.get_args(kafka_api.CommitPolicy))
    assert values(kafka["auto_offset_reset"]) == list(typing.get_args(kafka_api.OffsetReset))


TOPIC = {"op": "topic.create", "name": "t", "partitions": 1}


@pytest.mark.parametrize("assignor", [*ASSIGNORS, "sticky"])
def test_an_assignor_gets_one_answer(assignor):
    data = {"group_id": "g", "topics": "t", "members": 1, "commit_policy": "after",
            "auto_offset_reset": "earliest", "partition_assignment_strategy": assignor}  # fmt: skip
    by_form = form(forms.GroupForm, "group", **data).is_valid()
    command = {"op": "group.add", "group_id": "g", "topics": ["t"], "members": 1,
               "partition_assignment_strategy": assignor}  # fmt: skip
    assert by_form == runtime_ok(TOPIC, command) == (assignor in ASSIGNORS)


SPEEDS = [
    protocol.SPEED_MIN,
    protocol.SPEED_MAX,
    protocol.SPEED_MIN / 2,
    protocol.SPEED_MAX + 1,
]


@pytest.mark.parametrize("speed", SPEEDS)
def test_a_speed_at_the_ends_of_the_slider_gets_one_answer(speed):
    by_form = forms.SpeedForm({"speed": str(speed)}).is_valid()
    by_runtime = runtime_ok({"op": "time.speed", "speed": speed})
    assert by_form == by_runtime == (protocol.SPEED_MIN <= speed <= protocol.SPEED_MAX)


@pytest.mark.parametrize("seed", [0, protocol.MAX_SEED, protocol.MAX_SEED + 1, -1])
def test_a_seed_at_the_ends_of_its_range_gets_one_answer(seed):
    by_form = forms.SeedForm({"seed": str(seed)}).is_valid()
    by_runtime = runtime_ok({"op": "sandbox.reset", "seed": seed})
    assert by_form == by_runtime == (0 <= seed <= protocol.MAX_SEED)


@pytest.mark.parametrize("ms", [0, MAX_EXPIRATION_MS, MAX_EXPIRATION_MS + 1, 2**32 - 1])
def test_a_message_expiration_gets_one_answer(ms):
    by_form = form(forms.PublishForm, "publish", routing_key="k", body="b", count=1,
                   expiration=str(ms)).is_valid()  # fmt: skip
    by_runtime = runtime_ok({"op": "publish", "routing_key": "k", "body": "b", "expiration": ms})
    assert by_form == by_runtime == (ms <= MAX_EXPIRATION_MS)
