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


@pytest.mark.parametrize("stop", ["basic_cancel", "crash_consumer"])
@pytest.mark.parametrize(("qtype", "first"), [("classic", slice(0, 2)), ("quorum", slice(2, 4))])
def test_what_the_next_single_active_consumer_gets_first(rig, qtype, first, stop):
    """a holds m1 m2, b waits, m3 m4 are ready, a goes: a classic queue takes a's messages
    back first, a quorum queue serves b from what is ready first (checked on RabbitMQ 3.10)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-queue-type": qtype, "x-single-active-consumer": True})
    b.basic_consume("q", "a", prefetch_count=2, behaviour="manual")
    b.basic_consume("q", "b", prefetch_count=2, behaviour="manual")
    ids = [b.basic_publish("", "q", str(i)) for i in range(4)]
    rig.run()
    getattr(b, stop)("a")
    rig.run()
    assert rig.delivered("b") == ids[first]


@pytest.mark.parametrize(("qtype", "next_active"), [("classic", "high"), ("quorum", "low")])
def test_which_waiting_consumer_becomes_active(rig, qtype, next_active):
    """The active consumer goes: a classic queue activates the waiting consumer with the
    highest x-priority, a quorum queue (3.10) the one that has waited longest (checked)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-queue-type": qtype, "x-single-active-consumer": True})
    b.basic_consume("q", "first", prefetch_count=1, behaviour="manual")
    b.basic_consume("q", "low", prefetch_count=1, behaviour="manual")
    b.basic_consume("q", "high", prefetch_count=1, behaviour="manual", arguments={"x-priority": 5})
    b.basic_cancel("first")
    b.basic_publish("", "q", "x")
    rig.run()
    assert [e.consumer_tag for e in rig.events("delivered")] == [next_active]
