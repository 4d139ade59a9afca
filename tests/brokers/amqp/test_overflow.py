"""Length limits: x-max-length / -bytes with drop-head, reject-publish, reject-publish-dlx."""

import pytest


@pytest.mark.parametrize(
    ("overflow", "kept", "acks"),
    [
        ("drop-head", [b"2", b"3"], [True, True, True]),
        ("reject-publish", [b"1", b"2"], [True, True, False]),
        ("reject-publish-dlx", [b"1", b"2"], [True, True, False]),
    ],
)
def test_overflow_mode_decides_who_stays_and_what_is_confirmed(rig, overflow, kept, acks):
    """drop-head drops the oldest; reject-publish refuses the newest with a confirm nack."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-length": 2, "x-overflow": overflow})
    for body in ("1", "2", "3"):
        b.basic_publish("", "q", body)
    assert [e.ack for e in rig.events("confirmed")] == acks
    assert rig.bodies("q") == kept


def test_max_length_bytes_counts_bodies(rig):
    """x-max-length-bytes drops heads until the ready bytes fit."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-length-bytes": 5})
    for body in ("aaa", "bb", "c"):
        b.basic_publish("", "q", body)
    assert rig.bodies("q") == [b"bb", b"c"]


def test_reject_publish_dlx_dead_letters_the_refused_message(rig):
    """reject-publish-dlx nacks the publisher and dead-letters the refused copy as maxlen."""
    b = rig.broker
    b.queue_declare("dead")
    b.queue_declare(
        "q",
        arguments={
            "x-max-length": 1,
            "x-overflow": "reject-publish-dlx",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "dead",
        },
    )
    b.basic_publish("", "q", "kept")
    refused = b.basic_publish("", "q", "refused")
    assert rig.events("dead_lettered")[0].msg == refused
    assert rig.events("dead_lettered")[0].reason == "maxlen"
    assert rig.bodies("dead") == [b"refused"]


def test_unacked_messages_do_not_count_towards_max_length(rig):
    """x-max-length counts ready messages only."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    b.basic_publish("", "q", "1")
    b.basic_get("q")
    b.basic_publish("", "q", "2")
    assert all(e.ack for e in rig.events("confirmed"))


def test_a_requeue_into_a_full_drop_head_queue_drops_from_the_head(rig):
    """x-max-length 2, two ready and one unacked: when it comes back (in front) the queue is
    over its limit and drops its head, the requeued message (RabbitMQ 3.10, checked)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-length": 2})
    held = b.basic_publish("", "q", "held")
    b.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    ready = [b.basic_publish("", "q", str(i)) for i in range(2)]
    b.basic_cancel("c")
    assert [e.msg for e in rig.events("dropped")] == [held]
    assert [g.msg for g in iter(lambda: b.basic_get("q", auto_ack=True), None)] == ready


def test_a_requeue_into_a_full_reject_publish_queue_goes_over_the_limit(rig):
    """reject-publish only refuses publishes: a requeue may take the queue over its limit."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-length": 2, "x-overflow": "reject-publish"})
    held = b.basic_publish("", "q", "held")
    b.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    ready = [b.basic_publish("", "q", str(i)) for i in range(2)]
    b.basic_cancel("c")
    assert [g.msg for g in iter(lambda: b.basic_get("q", auto_ack=True), None)] == [held, *ready]


def test_messages_requeued_together_are_dropped_in_queue_order(rig):
    """Two unacked come back together (m2 was redelivered after m3, so it holds the later
    tag) into a full drop-head queue: it drops from the head, m2 then m3 (checked)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-length": 2})
    b.basic_consume("q", "c", prefetch_count=2, behaviour="manual")
    m2, m3 = b.basic_publish("", "q", "a"), b.basic_publish("", "q", "b")
    rig.run()
    b.basic_reject("c", 1, requeue=True)
    rig.run()
    b.basic_publish("", "q", "c")
    b.basic_publish("", "q", "d")
    b.basic_cancel("c")
    assert [e.msg for e in rig.events("dropped")] == [m2, m3]
