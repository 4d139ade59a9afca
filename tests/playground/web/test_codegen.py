"""The code panel: runnable pika and kafka-python scripts from the spec, with safe quoting."""

from __future__ import annotations

import ast
import math

import pytest

from playground.web.codegen import generate, kafka_script, pika_script, pyrepr
from sandbox.runtime import SandboxRuntime, empty_spec

HOSTILE = [
    "'); import os #",
    '"""; import os; """',
    "{{ x }}{% load static %}",
    "back\\slash'\"",
    "<b>&amp;</b>",
]


def build(*commands) -> dict:
    rt = SandboxRuntime(seed=1)
    for cmd in commands:
        assert rt.apply(cmd)["ok"], cmd
    return rt.spec


def full_spec(name: str = "orders", topic: str = "", text: str = "") -> dict:
    """Every kind of entity named after `name`; Kafka topics and templates allow fewer
    characters, so hostile tests pass plain ones."""
    topic, text = topic or name + "-t", text or name
    return build(
        {"op": "exchange.declare", "name": name, "type": "topic"},
        {"op": "queue.declare", "name": name + "-q", "arguments": {"x-dead-letter-exchange": name}},
        {"op": "bind", "source": name, "destination": name + "-q", "routing_key": name + ".#"},
        {"op": "consumer.add", "queue": name + "-q", "tag": name + "-c", "prefetch_count": 3},
        {"op": "producer.add", "name": name + "-p", "broker": "amqp", "target": name,
         "routing_key": text + ".x", "payload": text + " {n}", "rate": 1,
         "headers": {name: name}},
        {"op": "topic.create", "name": topic, "partitions": 2,
         "configs": {"retention.ms": 1000}},
        {"op": "group.add", "group_id": topic + "-g", "topics": [topic], "members": 2},
        {"op": "producer.add", "name": topic + "-kp", "broker": "kafka", "target": topic,
         "key_pattern": text, "payload": text, "rate": 1, "headers": {name: name}},
    )  # fmt: skip


def constants(source: str) -> set:
    return {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)}


def imported(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def test_both_scripts_are_valid_python_for_an_empty_and_a_full_sandbox():
    for spec in (empty_spec(), full_spec()):
        scripts = generate(spec)
        assert set(scripts) == {"pika", "kafka"}
        for source in scripts.values():
            ast.parse(source)


def test_the_pika_script_declares_the_topology_and_runs_the_agents():
    source = pika_script(full_spec())
    assert "('orders', 'topic', True, False, False, {})," in source
    assert "('orders-q', True, False, False, {'x-dead-letter-exchange': 'orders'})," in source
    assert "('orders', 'orders-q', 'queue', 'orders.#', {})," in source
    assert "'orders-c': ('orders-q', 3, False, 0.0, 0.0, True, {})," in source
    assert "'orders-p': ('orders', 'orders.x', 'orders {n}', {'orders': 'orders'}" in source
    for option in ("--url", "--seconds", "--prefix", "--cleanup"):
        assert option in source
    assert imported(source) == {"argparse", "json", "random", "re", "time", "pika"}


def test_the_kafka_script_creates_topics_and_runs_groups_and_producers():
    source = kafka_script(full_spec())
    assert "'orders-t': (2, 1, {'retention.ms': 1000})," in source
    assert '"members": 2,' in source and "\"topics\": ['orders-t']," in source
    assert (
        "'orders-t-kp': ('orders-t', 'orders', 'orders', {'orders': 'orders'}, None, 1.0, 0, "
        "'all', True, 0)," in source
    )
    for option in ("--bootstrap", "--seconds", "--prefix", "--cleanup"):
        assert option in source


def test_the_scripts_follow_the_topology_as_it_changes():
    spec = full_spec()
    before = pika_script(spec)
    spec["queues"]["late"] = {"durable": False, "exclusive": False, "auto_delete": True,
                              "arguments": {}}  # fmt: skip
    after = pika_script(spec)
    assert "'late'" not in before and "('late', False, False, True, {})," in after


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_inside_its_string(name):
    text = '\'); import os #"""'
    spec = full_spec(name, topic="t", text=text)
    pika, kafka = pika_script(spec), kafka_script(spec)
    assert {name, name + "-q", name + "-c", name + "-p", name + ".#"} <= constants(pika)
    assert {name, text} <= constants(kafka)
    assert text + " {n}" in constants(pika)
    assert "os" not in imported(pika) | imported(kafka)


def test_a_name_with_a_newline_is_refused_and_would_stay_inside_its_string():
    """Keys and names hold no control characters at any door; the quoting copes anyway."""
    name = "a\nimport os\n#"
    assert SandboxRuntime(seed=1).apply({"op": "queue.declare", "name": name})["ok"] is False
    spec = full_spec()
    spec["queues"] = {name: spec["queues"]["orders-q"]}
    source = pika_script(spec)
    assert name in constants(source) and "os" not in imported(source)


def test_crashed_consumers_are_not_started():
    spec = full_spec()
    spec["consumers"]["orders-c"]["running"] = False
    assert "'orders-c'" not in pika_script(spec)


def test_the_scripts_expand_producer_templates_like_the_playground():
    namespace: dict = {}
    exec(compile(pika_script(empty_spec()), "pika_script", "exec"), namespace)
    render = namespace["render"]
    assert render("order-{n} for {key} {{literal}}", 7, "eu") == "order-7 for eu {literal}"
    assert render("{choice:a|a}-{int:3-3}", 1) == "a-3"


@pytest.mark.parametrize(
    "value, literal",
    [
        ("it's", '"it\'s"'),
        ({"a": [1, 2.5, None, True]}, "{'a': [1, 2.5, None, True]}"),
        (math.inf, "'inf'"),
        (object, "\"<class 'object'>\""),
    ],
)
def test_pyrepr_writes_python_literals_only(value, literal):
    assert pyrepr(value) == literal
