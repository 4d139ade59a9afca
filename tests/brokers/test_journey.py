"""The inspector follows real simulator runs: routed, unroutable, redelivered,
dead-lettered and Kafka records."""

from __future__ import annotations

import pytest

from brokers.journey import explain_topic_miss, journey, search
from sandbox.runtime import SandboxRuntime


def run(commands, seconds=0.0, crash_at=None, then=(), after=0.0):
    rt = SandboxRuntime(seed=3)
    for cmd in commands:
        assert rt.apply(cmd)["ok"], cmd
    rt.advance(seconds)
    for cmd in then:
        assert rt.apply(cmd)["ok"], cmd
    rt.advance(after)
    return rt


ORDERS = [
    {"op": "exchange.declare", "name": "orders", "type": "topic"},
    {"op": "exchange.declare", "name": "dlx", "type": "fanout"},
    {"op": "queue.declare", "name": "eu", "arguments": {"x-dead-letter-exchange": "dlx"}},
    {"op": "queue.declare", "name": "us"},
    {"op": "queue.declare", "name": "dead"},
    {"op": "bind", "source": "orders", "destination": "eu", "routing_key": "order.eu.*"},
    {"op": "bind", "source": "orders", "destination": "us", "routing_key": "order.us.#"},
    {"op": "bind", "source": "dlx", "destination": "dead"},
]


def test_a_routed_message_shows_matched_and_unmatched_bindings_word_by_word():
    rt = run([*ORDERS, {"op": "publish", "exchange": "orders", "routing_key": "order.eu.new"}])
    j = journey(rt.history, "m1")
    assert j.broker == "amqp" and j.found
    routed = next(s for s in j.steps if s.kind == "routed")
    assert routed.where == "x:orders"
    assert routed.details["queues"] == ["eu"]
    [match] = routed.details["matched"]
    assert "order=order eu=eu *=new" in match["reason"]
    [miss] = routed.details["not_matched"]
    assert miss["destination"] == "us"
    assert "'us' ≠ 'eu'" in miss["reason"]
    assert j.summary["queues"] == ["eu"]
    assert [m["destination"] for m in j.summary["not_reached"]] == ["us"]
    assert next(s for s in j.steps if s.kind == "enqueued").where == "q:eu"


def test_the_topology_can_come_from_describe_instead_of_the_events():
    rt = run([*ORDERS, {"op": "publish", "exchange": "orders", "routing_key": "order.us.a.b"}])
    late = list(rt.history)[-4:]  # the declarations fell out of the history
    j = journey(late, "m1", describe=rt.backend.describe())
    routed = next(s for s in j.steps if s.kind == "routed")
    assert routed.details["exchange_type"] == "topic"
    assert [m["destination"] for m in routed.details["not_matched"]] == ["eu"]


def test_event_dicts_give_the_same_journey_as_event_objects():
    rt = run([*ORDERS, {"op": "publish", "exchange": "orders", "routing_key": "order.eu.new"}])
    as_dicts = [e.to_dict() for e in rt.history]
    assert journey(as_dicts, "m1").to_dict() == journey(rt.history, "m1").to_dict()


def test_an_unroutable_mandatory_message_is_returned_and_says_why():
    cmd = {"op": "publish", "exchange": "orders", "routing_key": "nowhere", "mandatory": True}
    rt = run([*ORDERS, cmd])
    j = journey(rt.history, "m1")
    kinds = [s.kind for s in j.steps]
    assert kinds[:3] == ["published", "unroutable", "returned"]
    unroutable = j.steps[1]
    assert "no binding" in unroutable.text
    assert {m["destination"] for m in unroutable.details["not_matched"]} == {"eu", "us"}
    assert "312 NO_ROUTE" in j.steps[2].text
    assert j.summary["returned"] is True and j.summary["queues"] == []


def test_a_message_comes_back_redelivered_after_its_consumer_crashes():
    rt = run(
        [
            *ORDERS,
            {"op": "consumer.add", "queue": "us", "tag": "worker", "processing_time": 1.0},
            {"op": "publish", "exchange": "orders", "routing_key": "order.us"},
        ],
        seconds=0.5,
        then=[
            {"op": "consumer.crash", "tag": "worker"},
            {"op": "consumer.restart", "tag": "worker"},
        ],
        after=2.0,
    )
    j = journey(rt.history, "m1")
    assert [
        (d["consumer"], d["delivery_tag"], d["redelivered"]) for d in j.summary["deliveries"]
    ] == [
        ("worker", 1, False),
        ("worker", 1, True),
    ]
    assert [s.kind for s in j.steps if s.kind in ("delivered", "requeued", "acked")] == [
        "delivered", "requeued", "delivered", "acked",
    ]  # fmt: skip
    second = [s for s in j.steps if s.kind == "delivered"][1]
    assert "delivery tag 1, redelivered=True" in second.text
    assert j.summary["fates"] == {"us": "acked"}
    assert all(s.where == "c:worker" for s in j.steps if s.kind == "delivered")


def test_a_dead_lettered_message_carries_its_x_death_history():
    rt = run(
        [
            *ORDERS,
            {"op": "queue.declare", "name": "eu", "arguments": {"x-dead-letter-exchange": "dlx"}},
            {
                "op": "consumer.add",
                "queue": "eu",
                "tag": "picky",
                "failure_rate": 1.0,
                "requeue_on_failure": False,
            },
            {"op": "publish", "exchange": "orders", "routing_key": "order.eu.new"},
        ],  # fmt: skip
        seconds=1.0,
    )
    j = journey(rt.history, "m1")
    dl = next(s for s in j.steps if s.kind == "dead_lettered")
    assert dl.where == "q:eu"
    assert dl.details["reason"] == "rejected"
    assert dl.details["x_death"][0]["queue"] == "eu" and dl.details["x_death"][0]["count"] == 1
    assert "eu rejected ×1" in dl.text
    assert j.summary["queues"] == ["eu", "dead"]
    assert j.summary["fates"] == {"eu": "dead-lettered", "dead": "ready"}
    assert j.summary["x_death"][0]["reason"] == "rejected"


def test_an_expired_message_is_dead_lettered_with_reason_expired():
    rt = run(
        [
            *ORDERS[:2],
            {
                "op": "queue.declare",
                "name": "eu",
                "arguments": {"x-dead-letter-exchange": "dlx", "x-message-ttl": 500},
            },
            *ORDERS[3:],
            {"op": "publish", "exchange": "orders", "routing_key": "order.eu.x"},
        ],  # fmt: skip
        seconds=1.0,
    )
    kinds = [s.kind for s in journey(rt.history, "m1").steps]
    assert kinds.index("expired") < kinds.index("dead_lettered") < len(kinds) - 1


KAFKA = [
    {"op": "topic.create", "name": "orders", "partitions": 2},
    {"op": "group.add", "group_id": "billing", "topics": ["orders"], "members": 1,
     "commit_policy": "auto", "auto_commit_interval_ms": 5000, "processing_time": 0.1,
     "auto_offset_reset": "earliest", "session_timeout_ms": 1000},
    {"op": "group.add", "group_id": "audit", "topics": ["orders"], "members": 1,
     "auto_offset_reset": "earliest", "commit_policy": "after"},
]  # fmt: skip


def test_a_kafka_record_fetched_by_two_groups_and_processed_twice_after_a_crash():
    rt = run(
        [*KAFKA, {"op": "send", "topic": "orders", "key": "alice", "value": "hello"}],
        seconds=1.0,
        then=[
            {"op": "member.crash", "member": "billing-1"},
            {"op": "member.add", "group_id": "billing"},
        ],
        after=10.0,
    )
    j = journey(rt.history, "k1")
    assert j.broker == "kafka"
    s = j.summary
    assert (s["topic"], s["offset"], s["key"]) == ("orders", 0, "alice")
    assert s["partition_reason"].startswith("toPositive(murmur2(key='alice'))")
    appended = next(st for st in j.steps if st.kind == "appended")
    assert appended.where == f"tp:orders:{s['partition']}"
    assert [(f["group"], f["member"]) for f in s["fetched_by"]] == [
        ("billing", "billing-1"), ("audit", "audit-1"), ("billing", "billing-2"),
    ]  # fmt: skip
    assert s["processed_twice"] is True and s["processed_twice_by"] == ["billing"]
    assert any(p["duplicate"] for p in s["processed"])
    assert {c["group"] for c in s["commits"]} == {"billing", "audit"}
    assert any("AGAIN" in st.text for st in j.steps)


def test_a_null_key_record_says_which_strategy_placed_it():
    rt = run([*KAFKA, {"op": "send", "topic": "orders", "value": "v"}], seconds=0.1)
    assert "sticky" in journey(rt.history, "k1").summary["partition_reason"]


def test_an_unknown_message_has_an_empty_journey():
    j = journey([], "m9")
    assert not j.found and j.to_dict()["steps"] == []


def test_search_finds_by_id_routing_key_record_key_and_given_payloads():
    rt = run(
        [
            *ORDERS,
            *KAFKA[:1],
            {"op": "publish", "exchange": "orders", "routing_key": "order.eu.new"},
            {"op": "publish", "exchange": "orders", "routing_key": "order.us.new"},
            {"op": "send", "topic": "orders", "key": "alice-42", "value": "v"},
        ],
        seconds=0.1,
    )
    assert search(rt.history, "m2") == ["m2"]
    assert search(rt.history, "US.NEW") == ["m2"]
    assert search(rt.history, "order") == ["m1", "m2"]
    assert search(rt.history, "alice") == ["k1"]
    assert search(rt.history, "k1") == ["k1"]
    assert search(rt.history, "hello", payloads={"m1": "hello world"}) == ["m1"]
    assert search(rt.history, "  ") == []


@pytest.mark.parametrize(
    "pattern, key, why",
    [
        ("order.eu.*", "order.us.new", "order=order, then 'eu' ≠ 'us'"),
        ("a.*", "a.b.c", "takes exactly 2"),
        ("a.b.c", "a.b", "the pattern needs 3"),
        ("a.#.z", "a.b.c", "no key word after '#' is 'z'"),
        ("x.#", "a.b", "'x' ≠ 'a'"),
    ],
)
def test_a_topic_miss_is_explained_word_by_word(pattern, key, why):
    assert why in explain_topic_miss(pattern, key)
