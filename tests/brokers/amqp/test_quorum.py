"""Quorum queues: delivery count and limit, where returned messages go."""

import pytest

from brokers.errors import ValidationError

QUORUM = {"x-queue-type": "quorum"}


def test_delivery_limit_dead_letters_after_the_limit(rig):
    """With x-delivery-limit 2: redelivered F/T/T, x-delivery-count 0/1/2, then delivery_limit."""
    b = rig.broker
    b.queue_declare("dead")
    b.queue_declare(
        "q",
        arguments={
            **QUORUM,
            "x-delivery-limit": 2,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "dead",
        },
    )
    mid = b.basic_publish("", "q", "poison")
    seen = []
    for _ in range(3):
        got = b.basic_get("q")
        seen.append((got.redelivered, got.properties.headers["x-delivery-count"]))
        b.basic_nack("get", got.delivery_tag, requeue=True)
    assert seen == [(False, 0), (True, 1), (True, 2)]
    assert b.basic_get("q") is None
    dead = rig.events("dead_lettered")[0]
    assert (dead.msg, dead.reason) == (mid, "delivery_limit")


@pytest.mark.parametrize(
    ("arguments", "order"),
    [
        # checked on RabbitMQ 3.10.8: without a delivery limit rabbit_fifo turns a return
        # into a new enqueue at the back; with one it serves its returns queue first
        (QUORUM, [b"3", b"2", b"1"]),
        ({**QUORUM, "x-delivery-limit": 5}, [b"2", b"1", b"3"]),
    ],
)
def test_where_a_nacked_message_goes_back_in_a_quorum_queue(rig, arguments, order):
    """Nacked with requeue: at the back without x-delivery-limit, else before new ones."""
    b = rig.broker
    b.queue_declare("q", arguments=arguments)
    for body in ("1", "2", "3"):
        b.basic_publish("", "q", body)
    one, two = b.basic_get("q"), b.basic_get("q")
    b.basic_nack("get", two.delivery_tag, requeue=True)
    b.basic_nack("get", one.delivery_tag, requeue=True)
    assert rig.bodies("q") == order


def test_a_closed_channels_messages_go_before_new_ones_in_a_quorum_queue(rig):
    """A consumer crash returns its messages to the front, in delivery order (checked)."""
    b = rig.broker
    b.queue_declare("q", arguments=QUORUM)
    for body in ("1", "2", "3", "4"):
        b.basic_publish("", "q", body)
    b.basic_consume("q", "c", prefetch_count=2, behaviour="manual")
    rig.run()
    b.crash_consumer("c")
    assert rig.bodies("q") == [b"1", b"2", b"3", b"4"]


def test_a_crash_counts_as_a_return_in_a_quorum_queue(rig):
    """A consumer crash adds one to the delivery count."""
    b = rig.broker
    b.queue_declare("q", arguments=QUORUM)
    b.basic_publish("", "q", "m")
    b.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    b.crash_consumer("c")
    assert b.basic_get("q").properties.headers["x-delivery-count"] == 1


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"durable": False}, "durable"),
        ({"exclusive": True}, "exclusive"),
        ({"auto_delete": True}, "auto-delete"),
        ({"arguments": {**QUORUM, "x-max-priority": 5}}, "x-max-priority"),
        ({"arguments": {**QUORUM, "x-overflow": "reject-publish-dlx"}}, "x-overflow"),
    ],
)
def test_quorum_queues_refuse_what_they_do_not_support(rig, kwargs, text):
    """Quorum queues must be durable, non-exclusive, not auto-delete, without priorities."""
    kwargs = {"arguments": QUORUM, **kwargs}
    before = rig.broker.describe()
    with pytest.raises(ValidationError, match=text):
        rig.broker.queue_declare("q", **kwargs)
    assert rig.broker.describe() == before


def test_returns_into_a_full_quorum_queue_drop_from_the_head(rig):
    """x-max-length 2: a crash returns two messages in front of two ready ones; rabbit_fifo
    drops from its head, the returned ones (checked on RabbitMQ 3.10)."""
    b = rig.broker
    b.queue_declare("q", arguments={**QUORUM, "x-max-length": 2})
    b.basic_consume("q", "c", prefetch_count=2, behaviour="manual")
    held = [b.basic_publish("", "q", "held") for _ in range(2)]
    rig.run()
    ready = [b.basic_publish("", "q", "ready") for _ in range(2)]
    b.crash_consumer("c")
    assert [e.msg for e in rig.events("dropped")] == held
    assert [got.msg for got in iter(lambda: b.basic_get("q", auto_ack=True), None)] == ready
