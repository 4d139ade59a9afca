"""Consumers: start positions, sequences, ack floors and the numbers `nats consumer info`
shows, each pinned to what nats-server 2.9.10 reported for the same steps."""

from __future__ import annotations

import pytest

from brokers.errors import NotFound, ValidationError


def meta(messages):
    return [(m.stream_seq, m.consumer_seq, m.num_delivered, m.num_pending) for m in messages]


@pytest.fixture
def x5(rig):
    rig.nats.add_stream("X5", ["x5.>"])
    for i in range(3):
        rig.nats.js_publish("x5.a", str(i))
        rig.nats.js_publish("x5.b", str(i))
    return rig


@pytest.mark.parametrize(
    ("config", "delivered", "pending"),
    [
        ({"deliver_policy": "all"}, (0, 0), 6),
        ({"deliver_policy": "all", "filter_subject": "x5.b"}, (0, 0), 3),
        ({"deliver_policy": "last_per_subject", "filter_subject": "x5.>"}, (0, 4), 2),
        ({"deliver_policy": "by_start_sequence", "opt_start_seq": 3}, (0, 2), 4),
        ({"deliver_policy": "by_start_sequence", "opt_start_seq": 100}, (0, 6), 0),
        ({"deliver_policy": "last", "filter_subject": "x5.a"}, (0, 4), 1),
        ({"deliver_policy": "last"}, (0, 5), 1),
        ({"deliver_policy": "new"}, (0, 6), 0),
    ],
)
def test_the_deliver_policy_sets_where_a_consumer_starts(x5, config, delivered, pending):
    x5.nats.add_consumer("X5", durable_name="c", **config)
    info = x5.info("X5", "c")
    assert (info["delivered"], info["pending"]) == (delivered, pending)


def test_by_start_time_starts_at_the_first_message_stored_then(rig):
    rig.nats.add_stream("W", ["w.*"])
    for _ in range(3):
        rig.nats.js_publish("w.a", "x")
    rig.run(1.1)
    start = rig.clock.now
    for _ in range(3):
        rig.nats.js_publish("w.b", "x")
    rig.nats.add_consumer(
        "W", durable_name="t", deliver_policy="by_start_time", opt_start_time=start
    )
    assert rig.info("W", "t")["delivered"] == (0, 3)
    assert [m.stream_seq for m in rig.nats.fetch("W", "t", 10)] == [4, 5, 6]


def test_last_per_subject_delivers_the_newest_of_each_subject_then_new_ones(x5):
    x5.nats.add_consumer(
        "X5", durable_name="l", deliver_policy="last_per_subject", filter_subject=">"
    )
    x5.nats.js_publish("x5.c", "new")
    assert [m.stream_seq for m in x5.nats.fetch("X5", "l", 10)] == [5, 6, 7]


def test_acks_redeliveries_and_max_deliver_move_the_numbers_as_on_the_server(rig):
    rig.nats.add_stream("Y1", ["y1"])
    for i in range(4):
        rig.nats.js_publish("y1", str(i))
    rig.nats.add_consumer("Y1", durable_name="r", ack_wait=1, max_deliver=2)
    first = rig.nats.fetch("Y1", "r", 3)
    assert meta(first) == [(1, 1, 1, 3), (2, 2, 1, 2), (3, 3, 1, 1)]
    rig.nats.ack("Y1", "r", 2)
    assert rig.info("Y1", "r") == {
        "delivered": (3, 3),
        "ack_floor": (0, 0),
        "pending": 1,
        "ack_pending": 2,
        "redelivered": 0,
        "waiting": 0,
    }
    rig.nats.ack("Y1", "r", 1)
    assert rig.info("Y1", "r")["ack_floor"] == (2, 2)
    rig.run(1.5)  # seq 3 is due again, but counted only once redelivered
    assert rig.info("Y1", "r")["redelivered"] == 0
    assert meta(rig.nats.fetch("Y1", "r", 5)) == [(3, 4, 2, 1), (4, 5, 1, 0)]
    assert rig.info("Y1", "r") == {
        "delivered": (5, 4),
        "ack_floor": (2, 2),
        "pending": 0,
        "ack_pending": 2,
        "redelivered": 1,
        "waiting": 0,
    }
    rig.run(1.5)
    assert meta(rig.nats.fetch("Y1", "r", 5)) == [(4, 6, 2, 0)]  # seq 3 hit max_deliver
    assert rig.info("Y1", "r") == {
        "delivered": (6, 4),
        "ack_floor": (2, 2),
        "pending": 0,
        "ack_pending": 1,
        "redelivered": 2,
        "waiting": 0,
    }
    (gave_up,) = rig.events("js_max_deliveries")
    assert (gave_up.stream_seq, gave_up.deliveries) == (3, 2)
    assert rig.state("Y1")["messages"] == 4  # limits retention keeps it


def test_nak_with_delay_term_and_in_progress(rig):
    rig.nats.add_stream("Y2", ["y2"])
    for i in range(5):
        rig.nats.js_publish("y2", str(i))
    rig.nats.add_consumer("Y2", durable_name="n", ack_wait=2)
    rig.nats.fetch("Y2", "n", 5)
    rig.nats.nak("Y2", "n", 1, delay=1)
    rig.nats.term("Y2", "n", 2)
    rig.nats.in_progress("Y2", "n", 3)
    rig.nats.nak("Y2", "n", 4)
    assert rig.info("Y2", "n") | {"delivered": None} == {
        "delivered": None,
        "ack_floor": (0, 0),
        "pending": 0,
        "ack_pending": 4,
        "redelivered": 0,
        "waiting": 0,
    }
    assert meta(rig.nats.fetch("Y2", "n", 5)) == [(4, 6, 2, 0)]
    rig.run(1)
    assert meta(rig.nats.fetch("Y2", "n", 5)) == [(1, 7, 2, 0)]
    assert rig.info("Y2", "n") == {
        "delivered": (7, 5),
        "ack_floor": (0, 0),
        "pending": 0,
        "ack_pending": 4,
        "redelivered": 2,
        "waiting": 0,
    }
    assert [e.reason for e in rig.events("js_redelivery_due")] == ["nak with delay 1s"]


def test_in_progress_restarts_the_ack_wait_clock(rig):
    rig.nats.add_stream("S", ["s"])
    rig.nats.js_publish("s", "x")
    rig.nats.add_consumer("S", durable_name="c", ack_wait=2)
    rig.nats.fetch("S", "c")
    rig.run(1.5)
    rig.nats.in_progress("S", "c", 1)
    rig.run(1.9)
    assert rig.events("js_redelivery_due") == []
    rig.run(0.2)
    assert [e.t for e in rig.events("js_redelivery_due")] == [pytest.approx(3.5)]


def test_ack_policy_all_settles_everything_up_to_the_acked_message(x5):
    x5.nats.add_consumer("X5", durable_name="all", ack_policy="all")
    x5.nats.fetch("X5", "all", 5)
    x5.nats.ack("X5", "all", 3)
    info = x5.info("X5", "all")
    assert (info["ack_floor"], info["ack_pending"]) == ((3, 3), 2)
    assert x5.events("js_acked")[0].covers == (1, 2, 3)


def test_ack_policy_none_moves_the_floor_on_delivery(x5):
    x5.nats.add_consumer("X5", durable_name="none", deliver_subject="dlv.none", ack_policy="none")
    x5.nats.subscribe("dlv.none")
    x5.run()
    assert x5.info("X5", "none") | {"waiting": 0} == {
        "delivered": (6, 6),
        "ack_floor": (6, 6),
        "pending": 0,
        "ack_pending": 0,
        "redelivered": 0,
        "waiting": 0,
    }


def test_max_ack_pending_stops_new_deliveries(x5):
    x5.nats.add_consumer("X5", durable_name="map", max_ack_pending=2)
    assert len(x5.nats.fetch("X5", "map", 5)) == 2
    info = x5.info("X5", "map")
    assert (info["delivered"], info["pending"], info["ack_pending"]) == ((2, 2), 4, 2)
    assert x5.nats.fetch("X5", "map", 1) == []
    x5.nats.ack("X5", "map", 1)
    assert [m.stream_seq for m in x5.nats.fetch("X5", "map", 5)] == [3]


def test_redeliveries_go_first_and_ignore_max_ack_pending(x5):
    x5.nats.add_consumer("X5", durable_name="c", max_ack_pending=2, ack_wait=5)
    x5.nats.fetch("X5", "c", 2)
    x5.nats.nak("X5", "c", 2)
    x5.nats.nak("X5", "c", 1)
    assert [m.stream_seq for m in x5.nats.fetch("X5", "c", 5)] == [2, 1]


def test_acking_twice_is_refused_with_a_reason(x5):
    x5.nats.add_consumer("X5", durable_name="c")
    x5.nats.fetch("X5", "c")
    x5.nats.ack("X5", "c", 1)
    with pytest.raises(ValidationError, match="not waiting for an ack"):
        x5.nats.ack("X5", "c", 1)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"durable_name": "a.b"}, "may not contain"),
        ({"durable_name": "q2", "name": "q1"}, "does not match"),
        ({"deliver_policy": "by_start_sequence"}, "start sequence"),
        ({"deliver_policy": "all", "opt_start_seq": 3}, "also set"),
        ({"deliver_policy": "by_start_time"}, "start time"),
        ({"deliver_policy": "last_per_subject"}, "filter subject"),
        ({"ack_policy": "none"}, "pull mode requires ack policy"),
        ({"deliver_group": "g"}, "push consumers"),
        ({"filter_subject": "zz"}, "10093"),
        ({"filter_subject": "x5..a"}, "empty token"),
        ({"deliver_subject": "x5.d"}, "cycle"),
        ({"ack_wait": 0}, "ack_wait"),
        ({"max_deliver": -3}, "max_deliver"),
    ],
)
def test_a_bad_consumer_config_is_refused_and_changes_nothing(x5, config, words):
    before = x5.nats.describe()
    with pytest.raises(ValidationError, match=words):
        x5.nats.add_consumer("X5", **config)
    assert x5.nats.describe() == before


def test_a_consumer_on_a_missing_stream_is_not_found(rig):
    with pytest.raises(NotFound, match="10059"):
        rig.nats.add_consumer("Nope", durable_name="x")


def test_adding_a_durable_again_updates_only_what_the_server_lets_change(x5):
    x5.nats.add_consumer("X5", durable_name="fa", filter_subject="x5.b")
    x5.nats.add_consumer("X5", durable_name="fa", filter_subject="x5.a", ack_wait=5, max_deliver=3)
    cfg = x5.nats.consumer_info("X5", "fa")["config"]
    assert (cfg["filter_subject"], cfg["ack_wait"], cfg["max_deliver"]) == ("x5.a", 5, 3)
    with pytest.raises(ValidationError, match="deliver policy can not be updated"):
        x5.nats.add_consumer("X5", durable_name="fa", filter_subject="x5.a", deliver_policy="new")


def test_a_filter_may_be_wider_than_the_stream_but_not_just_overlap(rig):
    rig.nats.add_stream("Z1", ["z.a.*", "z.b.>"])
    rig.nats.add_consumer("Z1", durable_name="c2", filter_subject="z.b.q.>")
    rig.nats.add_consumer("Z1", durable_name="c3", filter_subject="z.>")
    with pytest.raises(ValidationError, match="not a valid subset"):
        rig.nats.add_consumer("Z1", durable_name="c1", filter_subject="z.*.q")


def test_looking_for_the_next_message_moves_a_filtered_cursor_past_the_rest(x5):
    x5.nats.add_consumer("X5", durable_name="b", filter_subject="x5.b")
    x5.nats.js_publish("x5.c", "not for b")
    assert x5.info("X5", "b")["delivered"] == (0, 0)  # nothing looked yet
    assert [m.stream_seq for m in x5.nats.fetch("X5", "b", 10)] == [2, 4, 6]
    assert x5.info("X5", "b")["delivered"] == (3, 7)  # measured on nats-server 2.9.10
