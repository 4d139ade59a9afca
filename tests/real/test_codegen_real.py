"""The generated pika and kafka-python scripts run against the real brokers and do what
the sandbox shows: competing consumers share a queue, fanout copies, groups each read all."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pika
import pytest

from playground.web.codegen import kafka_script, pika_script
from sandbox.runtime import SandboxRuntime

pytestmark = pytest.mark.real


def build(*commands) -> dict:
    rt = SandboxRuntime(seed=1)
    for cmd in commands:
        assert rt.apply(cmd)["ok"], cmd
    return rt.spec


def run(source: str, tmp_path, *args: str, timeout: float = 90) -> dict:
    path = tmp_path / "generated.py"
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_the_pika_script_builds_and_drives_the_topology_on_rabbitmq(rabbitmq_url, tmp_path):
    spec = build(
        {"op": "queue.declare", "name": "work"},
        {"op": "consumer.add", "queue": "work", "tag": "w1", "processing_time": 0.05},
        {"op": "consumer.add", "queue": "work", "tag": "w2", "processing_time": 0.05},
        {"op": "exchange.declare", "name": "news", "type": "fanout"},
        {"op": "queue.declare", "name": "news-a"},
        {"op": "queue.declare", "name": "news-b", "arguments": {"x-max-length": 100}},
        {"op": "bind", "source": "news", "destination": "news-a"},
        {"op": "bind", "source": "news", "destination": "news-b"},
        {"op": "consumer.add", "queue": "news-a", "tag": "ra"},
        {"op": "consumer.add", "queue": "news-b", "tag": "rb", "auto_ack": True},
        {"op": "producer.add", "name": "jobs", "broker": "amqp", "target": "",
         "routing_key": "work", "payload": "job {n}", "rate": 40, "count": 10},
        {"op": "producer.add", "name": "headlines", "broker": "amqp", "target": "news",
         "payload": "story {n}", "rate": 40, "count": 5, "headers": {"lang": "en"}},
    )  # fmt: skip
    prefix = f"bp-codegen-{uuid.uuid4().hex[:8]}-"
    result = run(pika_script(spec), tmp_path, "--url", rabbitmq_url, "--seconds", "3",
                 "--prefix", prefix, "--cleanup")  # fmt: skip
    assert result["published"] == {"jobs": 10, "headlines": 5}
    consumed = result["consumed"]
    assert consumed["w1"] + consumed["w2"] == 10 and consumed["w1"] and consumed["w2"]
    assert consumed["ra"] == 5 and consumed["rb"] == 5  # fanout: one copy per queue
    with pika.BlockingConnection(pika.URLParameters(rabbitmq_url)) as connection:
        channel = connection.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker):
            channel.queue_declare(prefix + "work", passive=True)  # --cleanup deleted it


def test_the_kafka_script_builds_and_drives_the_topology_on_kafka(kafka_bootstrap, tmp_path):
    spec = build(
        {"op": "topic.create", "name": "orders", "partitions": 2},
        {"op": "group.add", "group_id": "billing", "topics": ["orders"], "members": 2,
         "auto_offset_reset": "earliest", "commit_policy": "after"},
        {"op": "group.add", "group_id": "audit", "topics": ["orders"], "members": 1,
         "auto_offset_reset": "earliest"},
        {"op": "producer.add", "name": "shop", "broker": "kafka", "target": "orders",
         "key_pattern": "user-{n}", "payload": "order {n}", "rate": 20, "count": 10},
    )  # fmt: skip
    prefix = f"bp-codegen-{uuid.uuid4().hex[:8]}-"
    # the script stops once every group has read all ten (a shared, busy broker may take
    # longer to form two groups than an idle one: up to 60 s)
    result = run(kafka_script(spec), tmp_path, "--bootstrap", kafka_bootstrap, "--seconds", "60",
                 "--prefix", prefix, "--cleanup", "--replication-factor", "1",
                 timeout=120)  # fmt: skip
    assert result["sent"] == {"shop": 10}
    consumed = result["consumed"]
    billing = sum(n for m, n in consumed.items() if m.startswith("billing-"))
    assert billing == 10  # one group shares the partitions
    assert consumed.get("audit-1") == 10  # every group reads every record
