"""What the simulator models, as shown on the start page.

Each item names the test module that checks it; tests/playground/web/test_start_page.py fails
when a named module is missing, so the page cannot claim what no test checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Feature:
    name: str
    detail: str
    test: str  # path of the test module, relative to the repository root


@dataclass(frozen=True)
class BrokerFeatures:
    name: str
    metaphor: str
    css: str
    items: list[Feature]
    left_out: list[str] = field(default_factory=list)


A = "tests/brokers/amqp/"
K = "tests/brokers/kafka/"

FEATURES: list[BrokerFeatures] = [
    BrokerFeatures(
        name="RabbitMQ",
        metaphor="the courier: one letter to one addressee, gone once signed for",
        css="rabbit",
        items=[
            Feature(
                "Exchanges",
                "default, direct, fanout, alternate exchange, exchange-to-exchange, internal",
                A + "test_routing.py",
            ),
            Feature(
                "Topic routing",
                "* is one word, # zero or more; a trie over words, not a regex loop",
                A + "test_topic.py",
            ),
            Feature(
                "Headers routing", "x-match all, any, all-with-x, any-with-x", A + "test_headers.py"
            ),
            Feature(
                "Push delivery",
                "round robin among consumers with prefetch credit; ack, nack, reject, crash",
                A + "test_delivery.py",
            ),
            Feature(
                "Priority queues",
                "x-max-priority; higher first among ready",
                A + "test_priority.py",
            ),
            Feature(
                "TTL",
                "per queue and per message; classic queues expire only at the head",
                A + "test_ttl.py",
            ),
            Feature(
                "Dead-lettering",
                "rejected, expired, maxlen, delivery_limit; x-death counts",
                A + "test_dead_letter.py",
            ),
            Feature(
                "Length limits",
                "x-max-length(-bytes) with drop-head, reject-publish, reject-publish-dlx; confirms",
                A + "test_overflow.py",
            ),
            Feature("Quorum queues", "x-delivery-limit, x-delivery-count", A + "test_quorum.py"),
            Feature(
                "Stream queues",
                "append-only; x-stream-offset first, last, next, number, timestamp; replay",
                A + "test_stream.py",
            ),
            Feature(
                "Single active consumer",
                "one consumer at a time, the next takes over",
                A + "test_single_active_consumer.py",
            ),
            Feature(
                "Exclusive and auto-delete",
                "queues and exchanges that go away",
                A + "test_lifecycle.py",
            ),
            Feature(
                "Every message accounted for",
                "acked, queued, dead-lettered or dropped with a reason",
                A + "test_message_fate.py",
            ),
        ],
        left_out=[
            "clustering, mirroring and federation",
            "policies and operator policies (arguments only)",
            "transactions (tx.select)",
            "per-channel rather than per-consumer prefetch",
        ],
    ),
    BrokerFeatures(
        name="Kafka",
        metaphor="the pickup board: a notice stays up, every reader reads at its own pace",
        css="kafka",
        items=[
            Feature(
                "Partitioner",
                "murmur2(key) % partitions, bit for bit as the Java client; sticky or round robin",
                K + "test_partitioner.py",
            ),
            Feature(
                "Producers",
                "acks 0/1/all, batching with linger, retries, idempotence",
                K + "test_producer.py",
            ),
            Feature(
                "Replication",
                "leader, followers, ISR, high watermark; min.insync.replicas; election",
                K + "test_replication.py",
            ),
            Feature(
                "Consumer groups",
                "join, leave, crash, session timeout, rebalance generations, commit policies",
                K + "test_groups.py",
            ),
            Feature(
                "Assignors",
                "range, roundrobin, cooperative-sticky, as kafka-python assigns",
                K + "test_assignors.py",
            ),
            Feature(
                "The log",
                "offsets, lag, retention by time and bytes in whole segments, compaction",
                K + "test_log.py",
            ),
            Feature(
                "No loss, no duplicates",
                "commit after processing never loses a record; no crash, exactly once",
                K + "test_properties.py",
            ),
        ],
        left_out=[
            "transactions and exactly-once across topics",
            "quotas, ACLs and tiered storage",
            "KRaft controller internals",
        ],
    ),
]
