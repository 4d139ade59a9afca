"""compose.yaml describes a working stack: checked by reading it, no Docker needed.

Docker does not run on our machines, so these tests are what keeps compose.yaml honest:
the services exist, Kafka's KRaft settings agree with each other, the app reaches every
broker by service name with credentials the broker accepts, and it waits for them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env(service: dict) -> dict[str, str]:
    """A service's environment as strings, from either mapping or list form."""
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: str(value) for key, value in raw.items()}


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """'NAME://host:port,...' as {NAME: (host, port)}."""
    result = {}
    for item in value.split(","):
        name, address = item.split("://")
        host, port = address.rsplit(":", 1)
        result[name] = (host, int(port))
    return result


def published(service: dict) -> dict[int, str]:
    """Container port -> host address it is published on, from 'ip:host:container'."""
    result = {}
    for port in service.get("ports", []):
        host_ip, host_port, container_port = str(port).split(":")
        assert host_port == container_port, port
        result[int(container_port)] = host_ip
    return result


def test_it_has_the_three_services_and_the_app(services):
    assert set(services) == {"rabbitmq", "kafka", "redis", "app"}


def test_it_uses_the_official_images(services):
    assert services["rabbitmq"]["image"] == "rabbitmq:3-management"
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["app"]["build"] == "."


def test_kafka_image_is_the_version_services_sh_runs(services):
    pom = (ROOT / "scripts" / "kafka" / "pom.xml").read_text()
    version = re.search(r"<kafka.version>(.+)</kafka.version>", pom).group(1)
    assert services["kafka"]["image"] == f"apache/kafka:{version}"


def test_ports_match_the_local_services_and_stay_on_loopback(services):
    assert published(services["rabbitmq"]) == {5672: "127.0.0.1", 15672: "127.0.0.1"}
    assert published(services["kafka"]) == {9092: "127.0.0.1"}
    assert published(services["redis"]) == {6379: "127.0.0.1"}
    assert published(services["app"]) == {8000: "127.0.0.1"}


def test_kafka_is_a_single_kraft_node(services):
    kafka = env(services["kafka"])
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = kafka["KAFKA_NODE_ID"]
    voters = kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert voters == [f"{node_id}@kafka:9093"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", kafka["CLUSTER_ID"])
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
    ):
        assert kafka[name] == "1", name
    assert kafka["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_kafka_listeners_agree_with_each_other(services):
    kafka = env(services["kafka"])
    bound = listeners(kafka["KAFKA_LISTENERS"])
    advertised = listeners(kafka["KAFKA_ADVERTISED_LISTENERS"])
    protocol_map = kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    protocols = dict(item.split(":") for item in protocol_map.split(","))
    controller = kafka["KAFKA_CONTROLLER_LISTENER_NAMES"]

    assert set(bound) <= set(protocols)
    assert controller in bound and controller not in advertised
    assert kafka["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    # Each advertised listener is bound on the port it advertises...
    for name, (_host, port) in advertised.items():
        assert bound[name][1] == port, name
    # ...the quorum voters use the controller listener's port...
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"].endswith(f":{bound[controller][1]}")
    # ...and the host can reach the listener advertised as 127.0.0.1:9092.
    assert ("127.0.0.1", 9092) in advertised.values()


def test_app_reaches_each_broker_by_service_name(services):
    app = env(services["app"])
    kafka = env(services["kafka"])

    amqp = urlsplit(app["RABBITMQ_URL"])
    assert (amqp.scheme, amqp.hostname, amqp.port) == ("amqp", "rabbitmq", 5672)
    management = urlsplit(app["RABBITMQ_MANAGEMENT_URL"])
    assert (management.hostname, management.port) == ("rabbitmq", 15672)

    bootstrap = app["KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap.split(":")[0] == "kafka"
    assert f"//{bootstrap}" in kafka["KAFKA_ADVERTISED_LISTENERS"]

    redis = urlsplit(app["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)


def test_app_logs_in_to_rabbitmq_with_a_user_that_works_over_the_network(services):
    # RabbitMQ's guest user may only connect from loopback, so the app needs another.
    rabbitmq = env(services["rabbitmq"])
    app = env(services["app"])
    user, password = rabbitmq["RABBITMQ_DEFAULT_USER"], rabbitmq["RABBITMQ_DEFAULT_PASS"]
    assert user != "guest"
    for name in ("RABBITMQ_URL", "RABBITMQ_MANAGEMENT_URL"):
        url = urlsplit(app[name])
        assert (url.username, url.password) == (user, password), name


def test_app_settings_read_every_variable_compose_sets(services):
    settings = (ROOT / "playground" / "settings.py").read_text()
    for name in env(services["app"]):
        assert f'"{name}"' in settings, f"playground/settings.py does not read {name}"


def test_app_waits_for_healthy_brokers(services):
    depends = services["app"]["depends_on"]
    assert set(depends) == {"rabbitmq", "kafka", "redis"}
    for name, condition in depends.items():
        assert condition == {"condition": "service_healthy"}, name
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    assert services["app"]["healthcheck"]["test"][0] == "CMD"


def test_app_image_migrates_then_serves_asgi_with_daphne():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    command = re.search(r"^CMD (.+)$", dockerfile, re.M).group(1)
    assert command.index("migrate") < command.index("daphne")
    assert "daphne -b 0.0.0.0 -p 8000 playground.asgi:application" in command
    assert (ROOT / "playground" / "asgi.py").exists()
    assert re.search(r"^daphne==", (ROOT / "requirements.txt").read_text(), re.M)
