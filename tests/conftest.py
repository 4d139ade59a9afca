"""Shared test plumbing: reachability checks for real services.

Tests that need a real broker, Redis or Chromium call the fixtures below. Without the
service they skip with a printed reason; with BP_REQUIRE_REAL=1 (set by `.ci/run`) a
missing service fails the test instead, so CI cannot go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

REQUIRE_REAL = os.environ.get("BP_REQUIRE_REAL", "") == "1"


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a TCP connect to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def need(ok: bool, reason: str) -> None:
    """Skip (or fail under BP_REQUIRE_REAL=1) when a service is missing."""
    if ok:
        return
    if REQUIRE_REAL:
        pytest.fail(f"BP_REQUIRE_REAL=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def rabbitmq_url() -> str:
    """AMQP URL of a reachable RabbitMQ."""
    url = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    need(reachable("127.0.0.1", 5672), "no RabbitMQ on 127.0.0.1:5672 (run `make services`)")
    return url


@pytest.fixture
def kafka_bootstrap() -> str:
    """Bootstrap servers of a reachable Kafka."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    need(reachable("127.0.0.1", 9092), "no Kafka on 127.0.0.1:9092 (run `make services`)")
    return servers


@pytest.fixture
def nats_url() -> str:
    """URL of a reachable nats-server with JetStream."""
    url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 4222
    need(reachable(host, port), f"no NATS on {host}:{port} (run `make services`)")
    return url


@pytest.fixture
def redis_url() -> str:
    """URL of a reachable Redis."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    need(reachable("127.0.0.1", 6379), "no Redis on 127.0.0.1:6379 (run `make services`)")
    return url


@pytest.fixture
def chromium_path() -> str:
    """Path of Debian's Chromium."""
    path = "/usr/bin/chromium"
    need(shutil.which(path) is not None, "no /usr/bin/chromium (run `make services`)")
    return path
