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
from brokers.kafka import topics as kafka_topics
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
    assert values(forms.OffsetResetForm.base_fields["to"]) == list(
        typing.get_args(kafka_api.ResetTo)
    )
    topic = forms.TopicForm.base_fields
    assert values(topic["cleanup_policy"]) == list(kafka_topics.CLEANUP_POLICIES)


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


# -- the fields a form once capped differently from the runtime --------------------------
# Each value sits at a limit or one past it; the form, a raw command (as the WebSocket
# sends it) and, where it checks the field, the engine give one answer.

GROUP_FORM = {"group_id": "g", "topics": "t", "members": 1, "commit_policy": "after",
              "auto_offset_reset": "earliest",
              "partition_assignment_strategy": "range"}  # fmt: skip
GROUP_COMMAND = {"op": "group.add", "group_id": "g", "topics": ["t"], "members": 1}


def engine_member_ok(**settings) -> bool:
    sim = Simulator(1)
    sim.kafka.create_topic("t", 1)
    try:
        sim.kafka.add_member("g", ["t"], **settings)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


def around(lo: int, hi: int) -> list[int]:
    return [lo - 1, lo, hi, hi + 1]


CONSUMER_LIMITS = [
    ("auto_commit_interval_ms", kafka_api.AUTO_COMMIT_INTERVAL_MS),
    ("max_poll_records", kafka_api.MAX_POLL_RECORDS),
    ("session_timeout_ms", kafka_api.SESSION_TIMEOUT_MS),
]


@pytest.mark.parametrize(
    ("field", "value", "within"),
    [(f, v, lo <= v <= hi) for f, (lo, hi) in CONSUMER_LIMITS for v in around(lo, hi)],
)
def test_a_consumer_setting_at_the_ends_of_its_range_gets_one_answer(field, value, within):
    by_form = form(forms.GroupForm, "group", **GROUP_FORM, **{field: str(value)}).is_valid()
    by_runtime = runtime_ok(TOPIC, {**GROUP_COMMAND, field: value})
    assert by_form == by_runtime == engine_member_ok(**{field: value}) == within


@pytest.mark.parametrize("members", around(1, protocol.MAX_GROUP_MEMBERS))
def test_a_groups_member_count_gets_one_answer(members):
    by_form = form(forms.GroupForm, "group", **{**GROUP_FORM, "members": str(members)}).is_valid()
    by_runtime = runtime_ok(TOPIC, {**GROUP_COMMAND, "members": members})
    assert by_form == by_runtime == (1 <= members <= protocol.MAX_GROUP_MEMBERS)


def test_a_member_past_the_groups_limit_is_refused():
    full = {**GROUP_COMMAND, "members": protocol.MAX_GROUP_MEMBERS}
    assert not runtime_ok(TOPIC, full, {"op": "member.add", "group_id": "g"})


def engine_topic_ok(**kwargs) -> bool:
    try:
        Simulator(1).kafka.create_topic("t", 1, **kwargs)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


@pytest.mark.parametrize("rf", around(1, kafka_topics.MAX_REPLICATION_FACTOR))
def test_a_replication_factor_gets_one_answer(rf):
    data = {
        "name": "t",
        "partitions": "1",
        "replication_factor": str(rf),
        "cleanup_policy": "delete",
    }
    by_form = form(forms.TopicForm, "topic", **data).is_valid()
    by_runtime = runtime_ok({**TOPIC, "replication_factor": rf})
    by_engine = engine_topic_ok(replication_factor=rf)
    assert by_form == by_runtime == by_engine == (1 <= rf <= kafka_topics.MAX_REPLICATION_FACTOR)


@pytest.mark.parametrize("policy", [*kafka_topics.CLEANUP_POLICIES, "compact,compact", "none"])
def test_a_cleanup_policy_gets_one_answer(policy):
    data = {"name": "t", "partitions": "1", "replication_factor": "1", "cleanup_policy": policy}
    by_form = form(forms.TopicForm, "topic", **data).is_valid()
    by_runtime = runtime_ok({**TOPIC, "configs": {"cleanup.policy": policy}})
    by_engine = engine_topic_ok(configs={"cleanup.policy": policy})
    assert by_form == by_runtime == by_engine == (policy in kafka_topics.CLEANUP_POLICIES)


BURSTS = [
    (forms.PublishForm, "publish", {"routing_key": "k", "body": "b"}, ()),
    (forms.SendForm, "send", {"topic": "t", "value": "v"}, (TOPIC,)),
]


@pytest.mark.parametrize("count", around(1, protocol.MAX_BURST))
@pytest.mark.parametrize(("cls", "op", "fields", "stage"), BURSTS, ids=["publish", "send"])
def test_a_burst_count_gets_one_answer(cls, op, fields, stage, count):
    by_form = form(cls, op, **fields, count=str(count), rate="1").is_valid()
    by_runtime = runtime_ok(*stage, {"op": op, **fields, "count": count, "rate": 1})
    assert by_form == by_runtime == (1 <= count <= protocol.MAX_BURST)


CAP = protocol.MAX_PUBLISH_RATE


@pytest.mark.parametrize("rate", [0, CAP, CAP + 1])
@pytest.mark.parametrize(("cls", "op", "fields", "stage"), BURSTS, ids=["publish", "send"])
def test_a_burst_rate_gets_one_answer(cls, op, fields, stage, rate):
    by_form = form(cls, op, **fields, count="2", rate=str(rate)).is_valid()
    by_runtime = runtime_ok(*stage, {"op": op, **fields, "count": 2, "rate": rate})
    assert by_form == by_runtime == (rate <= CAP)


PRODUCER = {"name": "p", "broker": "amqp", "routing_key": "k", "payload": "x"}


@pytest.mark.parametrize("rate", [0, CAP, CAP + 1])
def test_a_producer_rate_gets_one_answer(rate):
    by_form = form(forms.ProducerForm, "producer", **PRODUCER, mode="rate", rate=str(rate))
    by_runtime = runtime_ok({"op": "producer.add", **PRODUCER, "rate": rate})
    assert by_form.is_valid() == by_runtime == (0 < rate <= CAP)


@pytest.mark.parametrize("count", around(1, protocol.MAX_PRODUCER_COUNT))
def test_a_one_shot_producers_count_gets_one_answer(count):
    data = {**PRODUCER, "mode": "once", "rate": "1", "count": str(count)}
    by_form = form(forms.ProducerForm, "producer", **data).is_valid()
    by_runtime = runtime_ok({"op": "producer.add", **PRODUCER, "rate": 1, "count": count})
    # count 0 is a producer that runs forever; the form asks for it as mode "rate"
    assert by_form == (1 <= count <= protocol.MAX_PRODUCER_COUNT)
    assert by_runtime == (0 <= count <= protocol.MAX_PRODUCER_COUNT)


def test_the_forms_rate_follows_the_configured_cap(settings):
    settings.BP_MAX_PUBLISH_RATE = 50
    assert form(forms.PublishForm, "publish", routing_key="k", rate="50").is_valid()
    assert not form(forms.PublishForm, "publish", routing_key="k", rate="51").is_valid()


@pytest.mark.parametrize("to", [*typing.get_args(kafka_api.ResetTo), "beginning"])
def test_an_offset_reset_target_gets_one_answer(to):
    by_form = form(forms.OffsetResetForm, "reset", topic="t", to=to, value="0").is_valid()
    command = {"op": "group.reset", "group_id": "g", "topic": "t", "to": to, "value": 0}
    by_runtime = runtime_ok(TOPIC, command)
    sim = Simulator(1)
    sim.kafka.create_topic("t", 1)
    try:
        sim.kafka.reset_offsets("g", "t", to, 0)
        by_engine = True
    except Exception:  # noqa: BLE001 - any refusal counts
        by_engine = False
    assert by_form == by_runtime == by_engine == (to in typing.get_args(kafka_api.ResetTo))


TOPIC_NAMES = [
    "t" * kafka_topics.MAX_TOPIC_NAME,
    "t" * (kafka_topics.MAX_TOPIC_NAME + 1),
    ".",
    "a b",
]


@pytest.mark.parametrize("name", TOPIC_NAMES, ids=["max", "max+1", "dot", "space"])
def test_a_topic_name_gets_one_answer(name):
    data = {"name": name, "partitions": "1", "replication_factor": "1", "cleanup_policy": "delete"}
    by_form = form(forms.TopicForm, "topic", **data).is_valid()
    by_runtime = runtime_ok({**TOPIC, "name": name})
    try:
        Simulator(1).kafka.create_topic(name, 1)
        by_engine = True
    except Exception:  # noqa: BLE001 - any refusal counts
        by_engine = False
    assert by_form == by_runtime == by_engine == (name == TOPIC_NAMES[0])
