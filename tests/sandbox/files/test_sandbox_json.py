"""Sandbox files: export, import elsewhere, and refusals that change nothing."""

from __future__ import annotations

import json

import pytest

from sandbox.files.sandbox_json import FileRefused, dumps, export_sandbox, load_sandbox
from sandbox.runtime import Caps, SandboxRuntime

BUILD = [
    {"op": "exchange.declare", "name": "orders", "type": "headers"},
    {"op": "queue.declare", "name": "eu", "arguments": {"x-max-length": 5}},
    {"op": "bind", "source": "orders", "destination": "eu",
     "arguments": {"x-match": "any", "region": "eu"}},
    {"op": "consumer.add", "queue": "eu", "tag": "w1", "prefetch_count": 2},
    {"op": "consumer.add", "queue": "eu", "tag": "w2"},
    {"op": "consumer.crash", "tag": "w2"},
    {"op": "topic.create", "name": "clicks", "partitions": 3},
    {"op": "group.add", "group_id": "g", "topics": ["clicks"], "members": 2,
     "commit_policy": "after"},
    {"op": "producer.add", "name": "p1", "broker": "amqp", "target": "orders", "rate": 2,
     "headers": {"region": "eu"}, "payload": "order {n}"},
    {"op": "producer.add", "name": "p2", "broker": "kafka", "target": "clicks", "rate": 1,
     "key_pattern": "user-{int:1-9}", "running": False},
    {"op": "time.speed", "speed": 2.5},
]  # fmt: skip


def built() -> SandboxRuntime:
    rt = SandboxRuntime(seed=42)
    for cmd in BUILD:
        assert rt.apply(cmd)["ok"], cmd
    return rt


def test_an_exported_sandbox_imports_to_the_same_seed_and_spec():
    rt = built()
    loaded = load_sandbox(dumps(rt.seed, rt.spec))
    assert loaded.seed == 42
    assert loaded.spec == rt.spec
    again = SandboxRuntime(loaded.seed, loaded.spec)
    assert again.backend.describe()["amqp"]["bindings"] == rt.backend.describe()["amqp"]["bindings"]


def test_the_export_names_its_format_and_version():
    doc = export_sandbox(7, {})
    assert (doc["format"], doc["version"], doc["seed"]) == ("broker-playground-sandbox", 1, 7)
    assert set(doc["spec"]) >= {"exchanges", "queues", "bindings", "topics", "groups"}


def doc_with(**changes):
    doc = export_sandbox(1, built().spec)
    doc.update(changes)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "data, message",
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("[]", "not a sandbox file"),
        (doc_with(format="other"), "not a sandbox file"),
        (doc_with(version=2), "version 2"),
        (doc_with(seed=-1), "seed"),
        (doc_with(seed="1"), "seed"),
        (doc_with(spec=[]), "no spec"),
        (doc_with(spec={"widgets": {}}), "unknown section 'widgets'"),
        (doc_with(spec={"queues": []}), "'queues' must be an object"),
        (doc_with(spec={"queues": {"q": 5}}), "must be an object"),
        (
            doc_with(spec={"bindings": [{"source": "nope", "destination": "q",
                                         "destination_type": "queue", "routing_key": "",
                                         "arguments": {}}]}),
            "bind 'q'",
        ),
        (doc_with(spec={"queues": {"q": {"arguments": {"x-max-length": -3}}}}), "declare 'q'"),
        (doc_with(spec={"time": {"speed": 1e9}}), "speed"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_with_a_clear_message(data, message):
    with pytest.raises(FileRefused) as exc:
        load_sandbox(data)
    assert message in exc.value.message


def test_an_oversized_file_is_refused_before_parsing():
    with pytest.raises(FileRefused, match="limit is 1,000,000 bytes"):
        load_sandbox(" " * 1_000_001)


def test_a_file_cannot_smuggle_another_command_through_an_entity():
    spec = {"queues": {"q": {"op": "sandbox.reset", "arguments": {}}}}
    loaded = load_sandbox(doc_with(spec=spec))
    assert list(loaded.spec["queues"]) == ["q"]


def test_a_file_over_the_entity_cap_is_refused():
    spec = {"queues": {f"q{i}": {} for i in range(30)}}
    with pytest.raises(FileRefused, match="limit"):
        load_sandbox(doc_with(spec=spec), caps=Caps(max_entities=20))
