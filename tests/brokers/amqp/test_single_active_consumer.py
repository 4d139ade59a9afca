"""Single active consumer: one consumer gets everything; the next takes over when it goes."""

import pytest

from brokers.errors import ResourceLocked


def test_only_the_first_consumer_receives_and_the_next_takes_over(rig):
    """With x-single-active-consumer, messages go to the first consumer until it goes."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-single-active-consumer": True})
    b.basic_consume("q", "a", prefetch_count=10, behaviour="manual")
    b.basic_consume("q", "b", prefetch_count=10, behaviour="manual")
    first = [b.basic_publish("", "q", str(i)) for i in range(3)]
    rig.run()
    assert rig.delivered("a") == first and rig.delivered("b") == []
    b.crash_consumer("a")
    rig.run()
    assert rig.delivered("b") == first
    changes = [e.consumer_tag for e in rig.events("single_active_consumer_changed")]
    assert changes == ["a", "b"]
    states = {c["tag"]: c["state"] for c in b.describe()["consumers"]}
    assert states == {"a": "crashed", "b": "active"}


def test_basic_get_is_refused_on_a_quorum_queue_with_single_active_consumer(rig):
    """RabbitMQ 3.10 answers RESOURCE_LOCKED (checked); nothing changes."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-queue-type": "quorum", "x-single-active-consumer": True})
    b.basic_publish("", "q", "x")
    with pytest.raises(ResourceLocked, match="not supported by quorum queues with single active"):
        b.basic_get("q")
    assert b.describe()["queues"][0]["ready"] == 1
