"""Queue lifecycle: exclusive and auto-delete queues, delete, purge, redeclare."""

import pytest

from brokers.errors import ResourceLocked


def names(rig):
    return [q["name"] for q in rig.broker.describe()["queues"]]


def test_an_auto_delete_queue_goes_when_its_last_consumer_goes(rig):
    """Auto-delete queues are deleted once they had a consumer and it left."""
    b = rig.broker
    b.queue_declare("tmp", auto_delete=True)
    b.basic_consume("tmp", "a")
    b.basic_consume("tmp", "b")
    b.basic_cancel("a")
    assert names(rig) == ["tmp"]
    b.basic_cancel("b")
    assert names(rig) == []
    assert rig.events("queue_deleted")[0].reason.startswith("auto-deleted")


def test_an_auto_delete_queue_without_consumers_stays(rig):
    """A never-consumed auto-delete queue is not deleted."""
    rig.broker.queue_declare("tmp", auto_delete=True)
    rig.broker.basic_publish("", "tmp", "m")
    assert names(rig) == ["tmp"]


def test_an_exclusive_queue_belongs_to_one_consumer_and_dies_with_it(rig):
    """A second consumer is refused (405); the owner's crash deletes the queue."""
    b = rig.broker
    b.queue_declare("mine", exclusive=True)
    b.basic_consume("mine", "owner")
    with pytest.raises(ResourceLocked):
        b.basic_consume("mine", "intruder")
    b.crash_consumer("owner")
    assert names(rig) == []


def test_purge_drops_ready_messages_but_not_unacked(rig):
    """queue.purge removes ready messages only and reports how many."""
    b = rig.broker
    b.queue_declare("q")
    for i in range(3):
        b.basic_publish("", "q", str(i))
    b.basic_get("q")
    assert b.queue_purge("q") == 2
    assert b.describe()["queues"][0]["unacked"] == 1


def test_delete_returns_the_message_count_and_cancels_consumers(rig):
    """queue.delete answers the ready count and its consumers are cancelled."""
    b = rig.broker
    b.queue_declare("q")
    b.basic_publish("", "q", "m")
    b.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    b.basic_publish("", "q", "m2")
    rig.run()
    assert b.queue_delete("q") == 1
    assert rig.events("consumer_cancelled")[0].consumer_tag == "c"


def test_deletes_of_missing_things_are_no_ops(rig):
    """As in RabbitMQ 3.x, deleting what is not there succeeds and changes nothing."""
    before = rig.broker.describe()
    assert rig.broker.queue_delete("ghost") == 0
    rig.broker.exchange_delete("ghost")
    assert rig.broker.describe() == before


def test_server_named_queues_get_amq_gen_names(rig):
    """queue_declare('') returns a generated amq.gen- name."""
    assert rig.broker.queue_declare("").startswith("amq.gen-")
