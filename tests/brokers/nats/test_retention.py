"""Retention: limits keep, workqueue removes on ack, interest removes once all acked."""

from __future__ import annotations

import pytest

from brokers.errors import ValidationError


def test_a_limits_stream_keeps_acked_messages_so_they_can_be_replayed(rig):
    rig.nats.add_stream("LOG", ["log"])
    for i in range(3):
        rig.nats.js_publish("log", str(i))
    rig.nats.add_consumer("LOG", durable_name="first")
    for m in rig.nats.fetch("LOG", "first", 3):
        rig.nats.ack("LOG", "first", m.consumer_seq)
    rig.nats.add_consumer("LOG", durable_name="replay")
    assert [m.stream_seq for m in rig.nats.fetch("LOG", "replay", 3)] == [1, 2, 3]
    assert rig.state("LOG")["messages"] == 3


def test_a_limits_stream_replays_from_a_sequence_after_everything_was_acked(rig):
    rig.nats.add_stream("LOG", ["log.*"])
    for i in range(5):
        rig.nats.js_publish(f"log.{'ab'[i % 2]}", str(i))
    rig.nats.add_consumer("LOG", durable_name="first", ack_policy="all")
    got = rig.nats.fetch("LOG", "first", 5)
    rig.nats.ack("LOG", "first", got[-1].consumer_seq)
    assert rig.info("LOG", "first")["ack_floor"] == (5, 5)
    rig.nats.add_consumer(
        "LOG", durable_name="again", deliver_policy="by_start_sequence", opt_start_seq=3
    )
    again = rig.nats.fetch("LOG", "again", 5)
    assert [(m.stream_seq, m.consumer_seq, m.data) for m in again] == [
        (3, 1, b"2"),
        (4, 2, b"3"),
        (5, 3, b"4"),
    ]
    assert rig.state("LOG")["messages"] == 5
    assert rig.events("js_removed") == []


def test_a_workqueue_stream_removes_a_message_once_acked(rig):
    rig.nats.add_stream("Q", ["q.*"], retention="workqueue")
    for i in range(3):
        rig.nats.js_publish("q.a", str(i))
    rig.nats.add_consumer("Q", durable_name="w")
    rig.nats.fetch("Q", "w", 2)
    rig.nats.ack("Q", "w", 2)
    rig.nats.term("Q", "w", 1)
    assert rig.state("Q") | {"bytes": 0} == {
        "messages": 1,
        "bytes": 0,
        "first_seq": 3,
        "last_seq": 3,
        "num_subjects": 1,
        "consumer_count": 1,
    }
    assert [e.cause for e in rig.events("js_removed")] == ["ack", "ack"]


def test_a_workqueue_message_waits_for_a_consumer(rig):
    rig.nats.add_stream("Q", ["q"], retention="workqueue")
    rig.nats.js_publish("q", "x")
    assert rig.state("Q")["messages"] == 1


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        ({"durable_name": "w1"}, {"durable_name": "w2"}, "10099"),
        ({"durable_name": "w1"}, {"durable_name": "w2", "filter_subject": "x3.a"}, "10100"),
        (
            {"durable_name": "f1", "filter_subject": "x3.a.*"},
            {"durable_name": "f2", "filter_subject": "x3.a.b"},
            "10100",
        ),
        ({"durable_name": "f1", "filter_subject": "x3.a.*"}, {"durable_name": "f2"}, "10099"),
    ],
)
def test_workqueue_consumers_may_not_share_a_subject(rig, first, second, code):
    rig.nats.add_stream("X3", ["x3.>"], retention="workqueue")
    rig.nats.add_consumer("X3", **first)
    with pytest.raises(ValidationError, match=code):
        rig.nats.add_consumer("X3", **second)


def test_disjoint_filters_share_a_workqueue(rig):
    rig.nats.add_stream("X3", ["x3.>"], retention="workqueue")
    rig.nats.add_consumer("X3", durable_name="f1", filter_subject="x3.a.*")
    rig.nats.add_consumer("X3", durable_name="f3", filter_subject="x3.b.>")
    rig.nats.add_consumer("X3", durable_name="f1", filter_subject="x3.a.*")  # the same again


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ({"ack_policy": "all", "filter_subject": "x3.q"}, "10098"),
        ({"deliver_policy": "last"}, "10101"),
        ({"deliver_policy": "new", "filter_subject": "x3.z"}, "10101"),
    ],
)
def test_a_workqueue_needs_explicit_acks_from_the_start(rig, config, code):
    rig.nats.add_stream("X3", ["x3.>"], retention="workqueue")
    with pytest.raises(ValidationError, match=code):
        rig.nats.add_consumer("X3", durable_name="c", **config)


def test_an_interest_stream_keeps_nothing_nobody_wants_but_uses_the_sequence(rig):
    rig.nats.add_stream("X2", ["x2.>"], retention="interest")
    rig.nats.js_publish("x2.a", "1")
    assert rig.events("js_pub_acked")[0].stream_seq == 1
    assert rig.state("X2") | {"bytes": 0} == {
        "messages": 0,
        "bytes": 0,
        "first_seq": 2,
        "last_seq": 1,
        "num_subjects": 0,
        "consumer_count": 0,
    }
    assert rig.events("js_removed")[0].cause == "no_interest"


def test_an_interest_stream_removes_a_message_once_every_interested_consumer_acked(rig):
    rig.nats.add_stream("X2", ["x2.>"], retention="interest")
    rig.nats.js_publish("x2.a", "1")  # nobody is interested yet: seq 1 is used up
    rig.nats.add_consumer("X2", durable_name="c1")
    rig.nats.add_consumer("X2", durable_name="c2", filter_subject="x2.b")
    rig.nats.js_publish("x2.a", "2")
    rig.nats.js_publish("x2.b", "3")
    assert rig.state("X2")["messages"] == 2
    for m in rig.nats.fetch("X2", "c1", 2):
        rig.nats.ack("X2", "c1", m.consumer_seq)
    assert (rig.state("X2")["messages"], rig.state("X2")["first_seq"]) == (1, 3)
    assert rig.info("X2", "c1")["ack_floor"] == (2, 3)
    for m in rig.nats.fetch("X2", "c2", 2):
        rig.nats.ack("X2", "c2", m.consumer_seq)
    assert (rig.state("X2")["messages"], rig.state("X2")["first_seq"]) == (0, 4)
    assert rig.info("X2", "c2")["delivered"] == (1, 3)


def test_ack_none_delivery_and_deleting_a_consumer_count_for_interest(rig):
    rig.nats.add_stream("Z2", ["i.*"], retention="interest")
    rig.nats.add_consumer("Z2", durable_name="only_b", filter_subject="i.b")
    rig.nats.add_consumer(
        "Z2",
        durable_name="none",
        ack_policy="none",
        filter_subject="i.c",
        deliver_subject="dlv.none",
    )
    rig.nats.js_publish("i.a", "1")  # nobody's filter: not kept
    rig.nats.js_publish("i.c", "1")
    assert rig.state("Z2")["messages"] == 1
    rig.nats.subscribe("dlv.none")
    rig.run()
    assert rig.state("Z2")["messages"] == 0
    rig.nats.js_publish("i.b", "1")
    rig.nats.delete_consumer("Z2", "only_b")
    assert (rig.state("Z2")["messages"], rig.state("Z2")["first_seq"]) == (0, 4)
    assert rig.events("js_removed")[-1].cause == "consumer_deleted"
