"""Core NATS: fan-out, queue groups, at-most-once drops, request/reply."""

from __future__ import annotations

import pytest

from brokers.errors import NotFound, ValidationError
from tests.brokers.nats.conftest import Rig


def receivers(rig: Rig, msg: str) -> list[str]:
    return [e.sub for e in rig.events("nats_delivered") if e.msg == msg]


def test_every_matching_subscription_gets_a_copy(rig):
    rig.nats.subscribe("orders.*", name="star")
    rig.nats.subscribe("orders.>", name="rest")
    rig.nats.subscribe("orders.eu", name="exact")
    rig.nats.subscribe("billing.*", name="other")
    msg = rig.nats.publish("orders.eu", "x")
    assert receivers(rig, msg) == ["star", "rest", "exact"]
    routed = rig.events("nats_routed")[0]
    assert [m.reason for m in routed.matches][0] == "'orders.*' matches 'orders.eu': '*' takes 'eu'"


def test_a_queue_group_gets_one_copy_and_the_others_still_get_theirs(rig):
    for name in ("w1", "w2", "w3"):
        rig.nats.subscribe("jobs.>", queue="workers", name=name)
    rig.nats.subscribe("jobs.>", name="audit")
    msgs = [rig.nats.publish("jobs.resize", str(i)) for i in range(60)]
    per_msg = [receivers(rig, m) for m in msgs]
    assert all(len(r) == 2 and "audit" in r for r in per_msg)
    picks = [next(s for s in r if s != "audit") for r in per_msg]
    assert set(picks) == {"w1", "w2", "w3"}  # random, so every member gets some
    assert "picked at random among w1, w2, w3" in rig.events("nats_delivered")[0].reason


def test_queue_group_picks_follow_the_seed():
    def picks(seed):
        rig = Rig(seed)
        for name in ("a", "b", "c"):
            rig.nats.subscribe("q", queue="g", name=name)
        return [receivers(rig, rig.nats.publish("q"))[0] for _ in range(20)]

    assert picks(7) == picks(7)
    assert picks(7) != picks(8)


def test_a_message_nobody_listens_to_is_dropped_and_the_event_says_so(rig):
    rig.nats.subscribe("orders.*")
    msg = rig.nats.publish("orders.eu.late")
    (drop,) = rig.events("nats_dropped")
    assert drop.msg == msg
    assert "at-most-once" in drop.reason


def test_core_nats_keeps_nothing_for_a_late_subscriber_but_a_stream_does(rig):
    rig.nats.add_stream("EARLY", ["early.js"])
    first = rig.nats.publish("early.core", "before anyone listens")
    rig.nats.publish("early.js", "before anyone listens")
    rig.nats.subscribe("early.*", name="late")
    rig.run(5)
    assert receivers(rig, first) == []
    assert [d.msg for d in rig.events("nats_dropped")] == [first]
    later = rig.nats.publish("early.core", "now someone listens")
    assert receivers(rig, later) == ["late"]
    rig.nats.add_consumer("EARLY", durable_name="late")
    assert [m.data for m in rig.nats.fetch("EARLY", "late", 5)] == [b"before anyone listens"]


def test_an_unsubscribed_subscriber_no_longer_receives(rig):
    name = rig.nats.subscribe("a")
    rig.nats.unsubscribe(name)
    rig.nats.publish("a")
    assert rig.events("nats_delivered") == []
    assert len(rig.events("nats_dropped")) == 1
    with pytest.raises(NotFound):
        rig.nats.unsubscribe(name)


def test_a_request_gets_the_first_reply(rig):
    rig.nats.subscribe("svc", behaviour="reply", processing_time=0.3, name="slow")
    rig.nats.subscribe("svc", behaviour="reply", processing_time=0.1, name="fast")
    msg = rig.nats.request("svc", "ping", timeout=1)
    rig.run(2)
    (got,) = rig.events("nats_reply_received")
    assert (got.msg, got.sub, got.elapsed) == (msg, "fast", 0.1)
    assert len(rig.events("nats_replied")) == 2
    assert rig.events("nats_request_timed_out") == []


def test_a_request_with_no_subscriber_gets_no_responders_at_once(rig):
    msg = rig.nats.request("nobody.home")
    (answer,) = rig.events("nats_no_responders")
    assert answer.msg == msg and answer.t == 0
    rig.run(5)
    assert rig.events("nats_request_timed_out") == []


def test_a_request_nobody_answers_times_out(rig):
    rig.nats.subscribe("svc")  # listens, never replies
    msg = rig.nats.request("svc", timeout=0.5)
    rig.run(1)
    (timeout,) = rig.events("nats_request_timed_out")
    assert (timeout.msg, timeout.t) == (msg, 0.5)


def test_a_request_in_a_queue_group_is_answered_by_one_member(rig):
    for name in ("r1", "r2"):
        rig.nats.subscribe("svc", queue="g", behaviour="reply", name=name)
    rig.nats.request("svc")
    rig.run(1)
    assert len(rig.events("nats_replied")) == 1
    assert len(rig.events("nats_reply_received")) == 1


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda n: n.publish("a.*"), "literal"),
        (lambda n: n.subscribe("a..b"), "empty token"),
        (lambda n: n.subscribe("a", queue="bad group"), "may not contain"),
        (lambda n: n.subscribe("a", behaviour="shout"), "behaviour"),
        (lambda n: n.publish("a", 42), "bytes or text"),
        (lambda n: n.publish("a", headers={"bad key": "v"}), "token"),
        (lambda n: n.request("a", timeout=0), "more than 0"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(rig, call, words):
    with pytest.raises(ValidationError, match=words):
        call(rig.nats)
    assert rig.events() == []
    assert rig.nats.describe()["subscriptions"] == []
