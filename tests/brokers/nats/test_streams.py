"""Streams: sequences, sizes, limits with discard old and new, max_age, updates, purge."""

from __future__ import annotations

import pytest

from brokers.errors import NotFound, ValidationError


def test_messages_get_sequences_and_file_store_sizes(rig):
    rig.nats.add_stream("X1", ["x1.>"])
    rig.nats.js_publish("x1.a", b"")
    assert rig.state("X1")["bytes"] == 34  # measured on nats-server 2.9.10
    rig.nats.js_publish("x1.a", b"hello")
    assert rig.state("X1")["bytes"] == 73
    rig.nats.js_publish("x1.abc", b"hello", headers={"k": "v"})
    assert rig.state("X1")["bytes"] == 136
    rig.nats.js_publish("x1.abc", b"hello", msg_id="id1")
    assert rig.state("X1") == {
        "messages": 4,
        "bytes": 211,
        "first_seq": 1,
        "last_seq": 4,
        "num_subjects": 2,
        "consumer_count": 0,
    }
    assert [e.stream_seq for e in rig.events("js_pub_acked")] == [1, 2, 3, 4]


def test_a_core_publish_is_stored_without_a_pub_ack(rig):
    rig.nats.add_stream("S", ["s.*"])
    rig.nats.publish("s.a", "x")
    assert rig.state("S")["messages"] == 1
    assert rig.events("js_pub_acked") == [] and rig.events("nats_dropped") == []


def test_discard_old_drops_the_oldest_to_make_room(rig):
    rig.nats.add_stream("S", ["s"], max_msgs=2)
    msgs = [rig.nats.js_publish("s", str(i)) for i in range(3)]
    assert rig.state("S")["first_seq"] == 2
    (removed,) = rig.events("js_removed")
    assert (removed.msg, removed.cause) == (msgs[0], "limits")
    assert "max_msgs=2" in removed.reason


def test_discard_new_refuses_the_publish_and_keeps_what_is_there(rig):
    rig.nats.add_stream("S", ["s"], max_msgs=2, discard="new")
    for i in range(3):
        rig.nats.js_publish("s", str(i))
    (refused,) = rig.events("js_refused")
    assert (refused.code, refused.err_code) == (503, 10077)
    assert refused.reason.startswith("maximum messages exceeded")
    assert rig.state("S")["messages"] == 2 and rig.events("js_removed") == []


@pytest.mark.parametrize(
    ("max_bytes", "acked", "kept"),
    # measured on nats-server 2.9.10: 60-byte payloads are stored as 94 bytes
    [(160, 3, 94), (187, 3, 94), (188, 2, 188)],
)
def test_discard_new_compares_the_payload_and_still_trims_to_max_bytes(rig, max_bytes, acked, kept):
    rig.nats.add_stream("S", ["x4.>"], max_bytes=max_bytes, discard="new")
    for _ in range(3):
        rig.nats.js_publish("x4.a", b"1" * 60)
    assert len(rig.events("js_pub_acked")) == acked
    assert rig.state("S")["bytes"] == kept
    if acked < 3:
        assert rig.events("js_refused")[0].reason.startswith("maximum bytes exceeded")


def test_max_msgs_per_subject_keeps_the_newest_of_each_subject(rig):
    rig.nats.add_stream("S", ["x5.>"], max_msgs_per_subject=2)
    for i in range(3):
        rig.nats.js_publish("x5.a", str(i))
        rig.nats.js_publish("x5.b", str(i))
    assert rig.state("S") | {"bytes": 0} == {
        "messages": 4,
        "bytes": 0,
        "first_seq": 3,
        "last_seq": 6,
        "num_subjects": 2,
        "consumer_count": 0,
    }
    assert {e.cause for e in rig.events("js_removed")} == {"per_subject"}


def test_max_age_removes_messages_when_they_get_too_old(rig):
    rig.nats.add_stream("S", ["s"], max_age=10)
    rig.nats.js_publish("s", "old")
    rig.run(4)
    rig.nats.js_publish("s", "young")
    rig.run(6.5)
    assert rig.state("S")["messages"] == 1
    rig.run(4)
    assert rig.state("S")["messages"] == 0
    assert [e.t for e in rig.events("js_removed")] == [10.0, 14.0]


@pytest.mark.parametrize(("published_at", "max_age"), [(0.4, 1.0), (2.2, 0.7), (0.5, 1.0)])
def test_max_age_expires_on_time_whatever_the_float_rounding(rig, published_at, max_age):
    """(0.4 + 1.0) - 0.4 < 1.0 in floating point: an expiry check written as now - time <
    max_age found the message not old yet at its own deadline and re-armed the timer at the
    same instant, forever (a sandbox's tick that never returns)."""
    rig.nats.add_stream("S", ["s"], max_age=max_age)
    rig.run(published_at)
    rig.nats.js_publish("s", "x")
    steps = rig.clock.run(until=published_at + max_age + 1, max_steps=1000)
    assert steps < 1000, "the max_age timer keeps firing at the same instant"
    assert rig.state("S")["messages"] == 0
    assert [e.t for e in rig.events("js_removed")] == [published_at + max_age]


def test_a_msg_id_inside_the_window_is_not_stored_twice(rig):
    rig.nats.add_stream("S", ["s"], duplicate_window=30)
    rig.nats.js_publish("s", "a", msg_id="order-1")
    rig.run(29)
    rig.nats.js_publish("s", "a again", msg_id="order-1")
    rig.run(2)
    rig.nats.js_publish("s", "a much later", msg_id="order-1")
    acks = [(e.stream_seq, e.duplicate) for e in rig.events("js_pub_acked")]
    assert acks == [(1, False), (1, True), (2, False)]
    assert rig.events("js_duplicate")[0].stream_seq == 1


def test_the_duplicate_window_defaults_to_two_minutes_or_max_age(rig):
    assert rig.nats.add_stream("A", ["a"])["config"]["duplicate_window"] == 120
    assert rig.nats.add_stream("B", ["b"], max_age=3)["config"]["duplicate_window"] == 3
    with pytest.raises(ValidationError, match="larger than max_age"):
        rig.nats.add_stream("C", ["c"], max_age=1, duplicate_window=5)


def test_js_publish_without_a_stream_is_refused_like_nats_py(rig):
    rig.nats.js_publish("nowhere", "x")
    (refused,) = rig.events("js_refused")
    assert refused.stream is None and "NoStreamResponseError" in refused.reason


def test_streams_may_not_overlap(rig):
    rig.nats.add_stream("Z1", ["z.a.*", "z.b.>"])
    with pytest.raises(ValidationError, match="10065"):
        rig.nats.add_stream("Z2", ["z.*.x"])
    with pytest.raises(ValidationError, match="overlaps"):
        rig.nats.add_stream("Z3", ["q.>", "q.a"])
    assert sorted(rig.nats.streams) == ["Z1"]


def test_adding_the_same_stream_again_is_fine_but_not_a_different_one(rig):
    rig.nats.add_stream("S", ["s"])
    rig.nats.add_stream("S", ["s"])
    with pytest.raises(ValidationError, match="different configuration"):
        rig.nats.add_stream("S", ["s", "t"])


def test_an_update_enforces_new_limits_but_never_changes_retention(rig):
    rig.nats.add_stream("S", ["u.*"])
    for _ in range(5):
        rig.nats.js_publish("u.a", "x")
    rig.nats.update_stream("S", max_msgs=2)
    assert (rig.state("S")["messages"], rig.state("S")["first_seq"]) == (2, 4)
    with pytest.raises(ValidationError, match="can not change retention"):
        rig.nats.update_stream("S", retention="workqueue")
    with pytest.raises(NotFound, match="10059"):
        rig.nats.update_stream("Nope", max_msgs=1)


def test_purge_empties_the_stream_and_consumers_move_past_it(rig):
    rig.nats.add_stream("S", ["s.*"])
    for subject in ("s.a", "s.b", "s.a"):
        rig.nats.js_publish(subject, "x")
    rig.nats.add_consumer("S", durable_name="c")
    assert rig.nats.purge_stream("S", "s.a") == 2
    assert rig.state("S")["messages"] == 1
    assert rig.nats.purge_stream("S") == 1
    assert (rig.state("S")["first_seq"], rig.state("S")["last_seq"]) == (4, 3)
    assert rig.info("S", "c")["delivered"] == (0, 3)


def test_deleting_a_stream_takes_its_consumers_and_workers(rig):
    rig.nats.add_stream("S", ["s"])
    rig.nats.add_consumer("S", durable_name="c")
    rig.nats.consume("S", "c")
    rig.nats.delete_stream("S")
    assert rig.nats.describe() == {
        "subscriptions": [],
        "streams": [],
        "consumers": [],
        "workers": [],
    }
    assert [e.kind for e in rig.events()][-3:] == [
        "js_worker_stopped",
        "consumer_deleted",
        "stream_deleted",
    ]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"name": "a.b"}, "may not contain"),
        ({"name": "S", "subjects": ["a..b"]}, "empty token"),
        ({"name": "S", "subjects": "a"}, "list"),
        ({"name": "S", "retention": "forever"}, "retention"),
        ({"name": "S", "discard": "middle"}, "discard"),
        ({"name": "S", "max_msgs": -5}, "max_msgs"),
        ({"name": "S", "max_age": -1}, "max_age"),
    ],
)
def test_a_bad_stream_config_is_refused_with_a_clear_message(rig, kwargs, words):
    with pytest.raises(ValidationError, match=words):
        rig.nats.add_stream(**kwargs)
    assert rig.nats.streams == {} and rig.events() == []
