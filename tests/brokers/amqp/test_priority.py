"""Classic priority queues: higher priority first, FIFO within a priority, capped at max."""

import pytest

from brokers.amqp.api import Properties


@pytest.mark.parametrize(
    ("max_priority", "priorities", "order"),
    [
        (10, [1, 5, 3], [5, 3, 1]),
        (10, [None, 2, None], [2, None, None]),
        (5, [9, 5, 1], [9, 5, 1]),
        (5, [7, 5], [7, 5]),
        (2, [1, 1, 2], [2, 1, 1]),
    ],
)
def test_ready_messages_leave_by_priority_then_arrival(rig, max_priority, priorities, order):
    """Higher first, FIFO within equal (effective) priority; above max counts as max."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-priority": max_priority})
    for i, p in enumerate(priorities):
        b.basic_publish("", "q", f"{p}:{i}", Properties(priority=p))
    bodies = [body.decode() for body in rig.bodies("q")]
    assert [None if s.split(":")[0] == "None" else int(s.split(":")[0]) for s in bodies] == order


def test_priorities_above_the_maximum_keep_their_arrival_order(rig):
    """Priority 9 and 5 on an x-max-priority 5 queue are equal, so FIFO decides."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-priority": 5})
    b.basic_publish("", "q", "first", Properties(priority=5))
    b.basic_publish("", "q", "second", Properties(priority=9))
    assert rig.bodies("q") == [b"first", b"second"]


def test_a_queue_without_max_priority_ignores_priorities(rig):
    """Without x-max-priority a classic queue is plain FIFO."""
    b = rig.broker
    b.queue_declare("q")
    b.basic_publish("", "q", "low", Properties(priority=1))
    b.basic_publish("", "q", "high", Properties(priority=9))
    assert rig.bodies("q") == [b"low", b"high"]


def test_a_requeued_message_returns_to_its_place_in_its_priority(rig):
    """Requeue in a priority queue goes back within the message's own priority."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-max-priority": 5})
    b.basic_publish("", "q", "a", Properties(priority=1))
    b.basic_publish("", "q", "b", Properties(priority=1))
    got = b.basic_get("q")
    b.basic_publish("", "q", "urgent", Properties(priority=5))
    b.basic_nack("get", got.delivery_tag, requeue=True)
    assert rig.bodies("q") == [b"urgent", b"a", b"b"]
