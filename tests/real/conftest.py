"""Fixtures of the real-broker tests: private RabbitMQ and Kafka instances for fault tests,
and `nats_both`, which runs one script on the simulator and on the real nats-server (each
NATS sandbox with its own prefix, deleted afterwards).

`private_rabbitmq` and `private_kafka` start one instance each per test session (see
`tests.real.private_brokers`), on ports of their own, never the shared 5672/9092 ones,
and stop it at the end. A test may kill or stop its broker; `rabbitmq_node` and
`kafka_node` hand each test one that runs, starting it again when an earlier test left
it down. Without rabbitmq-server, Java or the cached Kafka jars they skip with the
reason (a failure under BP_REQUIRE_REAL=1).
"""

from __future__ import annotations

import uuid

import pytest

from brokers.real.backend import make_backend
from brokers.real.scenario import run
from brokers.sim import Simulator
from tests.conftest import need
from tests.real.private_brokers import PrivateKafka, PrivateRabbitMQ


@pytest.fixture(scope="session")
def private_rabbitmq():
    reason = PrivateRabbitMQ.missing()
    need(not reason, f"no private RabbitMQ node: {reason}")
    node = PrivateRabbitMQ()
    node.start()
    yield node
    node.close()


@pytest.fixture(scope="session")
def private_kafka():
    reason = PrivateKafka.missing()
    need(not reason, f"no private Kafka: {reason}")
    broker = PrivateKafka()
    broker.start()
    yield broker
    broker.close()


@pytest.fixture
def rabbitmq_node(private_rabbitmq: PrivateRabbitMQ) -> PrivateRabbitMQ:
    """The private RabbitMQ node, running."""
    if not private_rabbitmq.running():
        private_rabbitmq.stop()
        private_rabbitmq.start()
    return private_rabbitmq


@pytest.fixture
def kafka_node(private_kafka: PrivateKafka) -> PrivateKafka:
    """The private Kafka, running."""
    if not private_kafka.running():
        private_kafka.stop()
        private_kafka.start()
    return private_kafka


@pytest.fixture
def nats_both(nats_url):
    """`nats_both(script)` -> (simulator run, real run) of the same script."""
    made = []

    def go(script):
        real = make_backend("nats", url=nats_url, prefix=f"bp.d{uuid.uuid4().hex[:8]}.")
        made.append(real)
        assert real.status()["state"] == "connected", real.status()
        return run(Simulator(seed=1), script, "nats"), run(real, script, "nats")

    yield go
    for b in made:
        b.close()
