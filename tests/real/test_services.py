"""The real services that `make services` starts answer the way the app needs.

Each test uses a fixture from tests/conftest.py, so it skips without the service and
fails under BP_REQUIRE_REAL=1. Every broker resource gets a unique name and is deleted.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request
import uuid

import pika
import pytest
import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

pytestmark = pytest.mark.real


def unique(prefix: str) -> str:
    return f"bp-test-{prefix}-{uuid.uuid4().hex[:12]}"


def test_rabbitmq_round_trips_one_message(rabbitmq_url):
    queue = unique("queue")
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue)
        try:
            channel.basic_publish(exchange="", routing_key=queue, body=b"hello")
            body = None
            deadline = time.monotonic() + 5
            while body is None and time.monotonic() < deadline:
                method, _properties, body = channel.basic_get(queue=queue)
                if method is None:
                    time.sleep(0.05)
                else:
                    channel.basic_ack(method.delivery_tag)
            assert body == b"hello"
        finally:
            channel.queue_delete(queue=queue)
    finally:
        connection.close()


def test_rabbitmq_management_api_answers_on_loopback(rabbitmq_url):
    # The management plugin ships with RabbitMQ; services.sh enables it on 127.0.0.1.
    request = urllib.request.Request("http://127.0.0.1:15672/api/overview")
    token = base64.b64encode(b"guest:guest").decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        overview = json.load(response)
    assert overview["rabbitmq_version"].startswith("3.")
    assert overview["node"] == "rabbit@localhost"


def test_kafka_round_trips_one_record(kafka_bootstrap):
    topic = unique("topic")
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=10000)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        try:
            producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
            try:
                metadata = producer.send(topic, key=b"k", value=b"hello").get(timeout=10)
            finally:
                producer.close()
            assert (metadata.partition, metadata.offset) == (0, 0)

            consumer = KafkaConsumer(
                bootstrap_servers=kafka_bootstrap,
                enable_auto_commit=False,
                consumer_timeout_ms=10000,
            )
            try:
                partition = TopicPartition(topic, 0)
                consumer.assign([partition])
                consumer.seek_to_beginning(partition)
                record = next(iter(consumer))
            finally:
                consumer.close()
            assert (record.key, record.value, record.offset) == (b"k", b"hello", 0)
        finally:
            admin.delete_topics([topic])
    finally:
        admin.close()


def test_redis_answers_ping(redis_url):
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        assert client.ping() is True
    finally:
        client.close()
