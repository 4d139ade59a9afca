"""The playground's real-broker path against raw pika and raw kafka-python, same run, same work.

Prints JSON lines: {"case", "engine": "adapter"|"raw", "msgs_per_s", ...} per measurement
and {"case", "ratio_adapter_over_raw"} per case (target >= 0.8). "adapter" is the whole
path the live view uses: `make_backend(...)`, the AmqpApi/KafkaApi calls, and the
events drained as the runtime would each tick. Each case runs REPEAT times, raw and
adapter interleaved so a busy moment on the machine hits both, and keeps the best of each
engine. A broker that does not answer is skipped with the reason.
Usage: python bench/real_bench.py [case ...]   (default: every case)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pika  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402

from brokers.real.backend import make_backend, probe  # noqa: E402

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
AMQP_PUBLISH_N = 15000
AMQP_CONSUME_N = 20000
KAFKA_N = 60000
REPEAT = 5
BODY = b"x" * 100


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def prefix() -> str:
    return f"bp.bench{uuid.uuid4().hex[:6]}."


def drain_until(backend, kind: str, n: int, timeout: float = 60.0) -> int:
    """Drain events as the live view does until `n` events of `kind` arrived."""
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < n and time.monotonic() < deadline:
        backend.advance(0.0)
        seen += sum(e.kind == kind for e in backend.drain())
        time.sleep(0.005)
    return seen


# -- RabbitMQ ----------------------------------------------------------------------------
def amqp_publish_adapter() -> float:
    b = make_backend("rabbitmq", url=RABBITMQ_URL, prefix=prefix())
    try:
        b.amqp.queue_declare("q")
        started = time.perf_counter()
        confirmed = 0
        for i in range(AMQP_PUBLISH_N):
            b.amqp.basic_publish("", "q", BODY)
            if i % 100 == 0:
                confirmed += sum(e.kind == "confirmed" for e in b.drain())
        # the raw side waits for every confirm; so does this one (as events, as the view)
        confirmed += drain_until(b, "confirmed", AMQP_PUBLISH_N - confirmed)
        return confirmed / (time.perf_counter() - started)
    finally:
        b.destroy()


def amqp_publish_raw() -> float:
    conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    ch = conn.channel()
    q = prefix() + "q"
    ch.queue_declare(q)
    ch.confirm_delivery()
    try:
        started = time.perf_counter()
        for _ in range(AMQP_PUBLISH_N):
            ch.basic_publish("", q, BODY, pika.BasicProperties(headers={"x-bp-msg": "m"}))
        return AMQP_PUBLISH_N / (time.perf_counter() - started)
    finally:
        ch.queue_delete(q)
        conn.close()


def _preload(queue: str) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    ch = conn.channel()
    for _ in range(AMQP_CONSUME_N):
        ch.basic_publish("", queue, BODY, pika.BasicProperties(headers={"x-bp-msg": "m"}))
    conn.close()


def amqp_consume_adapter() -> float:
    b = make_backend("rabbitmq", url=RABBITMQ_URL, prefix=prefix())
    try:
        b.amqp.queue_declare("q")
        _preload(b.prefix + "q")
        started = time.perf_counter()
        b.amqp.basic_consume("q", prefetch_count=100)
        got = drain_until(b, "acked", AMQP_CONSUME_N)
        return got / (time.perf_counter() - started)
    finally:
        b.destroy()


def amqp_consume_raw() -> float:
    q = prefix() + "q"
    setup = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    setup.channel().queue_declare(q)
    _preload(q)
    done = threading.Event()
    count = [0]

    def consume() -> None:
        conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
        ch = conn.channel()
        ch.basic_qos(prefetch_count=100)

        def on_message(channel, method, props, body):
            channel.basic_ack(method.delivery_tag)
            count[0] += 1
            if count[0] >= AMQP_CONSUME_N:
                done.set()

        ch.basic_consume(q, on_message)
        while not done.is_set():
            conn.process_data_events(time_limit=0.1)
        conn.close()

    started = time.perf_counter()
    thread = threading.Thread(target=consume)
    thread.start()
    done.wait(60)
    elapsed = time.perf_counter() - started
    thread.join()
    setup.channel().queue_delete(q)
    setup.close()
    return count[0] / elapsed


# -- Kafka ---------------------------------------------------------------------------------
def kafka_produce_adapter() -> float:
    b = make_backend("kafka", url=KAFKA, prefix=prefix())
    try:
        b.kafka.create_topic("t", 3)
        b.kafka.add_producer("p")
        started = time.perf_counter()
        for i in range(KAFKA_N):
            b.kafka.send("t", BODY, key=str(i % 100), producer="p")
            if i % 500 == 0:
                b.drain()
        b.kafka.flush()
        b.drain()
        return KAFKA_N / (time.perf_counter() - started)
    finally:
        b.destroy()


def _topic(name: str, partitions: int = 3) -> KafkaAdminClient:
    admin = KafkaAdminClient(bootstrap_servers=KAFKA)
    admin.create_topics([NewTopic(name, partitions, 1)])
    admin.wait_for_topics([name])
    return admin


def kafka_produce_raw() -> float:
    topic = prefix() + "t"
    admin = _topic(topic)
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    try:
        started = time.perf_counter()
        for i in range(KAFKA_N):
            producer.send(topic, BODY, key=str(i % 100).encode(), headers=[("x-bp-msg", b"k")])
        producer.flush()
        return KAFKA_N / (time.perf_counter() - started)
    finally:
        producer.close()
        admin.delete_topics([topic])
        admin.close()


def _fill(topic: str) -> None:
    producer = KafkaProducer(bootstrap_servers=KAFKA, linger_ms=5)
    for i in range(KAFKA_N):
        producer.send(topic, BODY, key=str(i % 100).encode(), headers=[("x-bp-msg", b"k1")])
    producer.flush()
    producer.close()


def kafka_consume_adapter() -> float:
    b = make_backend("kafka", url=KAFKA, prefix=prefix())
    try:
        b.kafka.create_topic("t", 3)
        _fill(b.prefix + "t")
        started = time.perf_counter()
        b.kafka.add_member(
            "g", ["t"], member="c", commit_policy="after", auto_offset_reset="earliest"
        )
        seen = 0
        deadline = time.monotonic() + 60
        while seen < KAFKA_N and time.monotonic() < deadline:
            b.advance(0.0)
            seen += sum(len(e.msgs) for e in b.drain() if e.kind == "processed")
            time.sleep(0.005)
        return seen / (time.perf_counter() - started)
    finally:
        b.destroy()


def kafka_consume_raw() -> float:
    topic = prefix() + "t"
    admin = _topic(topic)
    _fill(topic)
    try:
        started = time.perf_counter()
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=KAFKA,
            group_id=topic + ".g",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        seen = 0
        deadline = time.monotonic() + 60
        while seen < KAFKA_N and time.monotonic() < deadline:
            batches = consumer.poll(timeout_ms=100)
            for records in batches.values():
                seen += len(records)
            if batches:
                consumer.commit()
        elapsed = time.perf_counter() - started
        consumer.close()
        return seen / elapsed
    finally:
        admin.delete_topics([topic])
        admin.close()


CASES = {
    "rabbitmq_publish_confirm": ("rabbitmq", RABBITMQ_URL, amqp_publish_adapter, amqp_publish_raw),
    "rabbitmq_consume_ack": ("rabbitmq", RABBITMQ_URL, amqp_consume_adapter, amqp_consume_raw),
    "kafka_produce": ("kafka", KAFKA, kafka_produce_adapter, kafka_produce_raw),
    "kafka_consume_commit": ("kafka", KAFKA, kafka_consume_adapter, kafka_consume_raw),
}


def main(cases: list[str]) -> int:
    unknown = set(cases) - set(CASES)
    if unknown:
        print(f"unknown case(s) {sorted(unknown)}; choose from {sorted(CASES)}", file=sys.stderr)
        return 2
    for case, (kind, url, adapter, raw) in CASES.items():
        if cases and case not in cases:
            continue
        ok, reason = probe(kind, url)
        if not ok:
            emit(case=case, skipped=reason)
            continue
        best = {"adapter": 0.0, "raw": 0.0}
        for i in range(REPEAT):
            # alternate which side goes first, so neither always runs on a warmer broker
            order = ("raw", "adapter") if i % 2 == 0 else ("adapter", "raw")
            for engine in order:
                rate = raw() if engine == "raw" else adapter()
                best[engine] = max(best[engine], rate)
        for engine, rate in best.items():
            emit(case=case, engine=engine, msgs_per_s=round(rate, 1))
        emit(case=case, ratio_adapter_over_raw=round(best["adapter"] / best["raw"], 3))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
