"""Message TTL: per queue and per message, expiring only at the head of a classic queue."""

import pytest

from brokers.amqp.api import Properties


def test_queue_ttl_expires_messages_on_the_virtual_clock(rig):
    """x-message-ttl removes a message once its time is up, not before."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-message-ttl": 1000})
    mid = b.basic_publish("", "q", "m")
    rig.run(until=0.999)
    assert rig.events("expired") == []
    rig.run(until=1.0)
    expired = rig.events("expired")
    assert [(e.msg, e.t, e.ttl_ms) for e in expired] == [(mid, 1.0, 1000)]


def test_a_long_ttl_head_blocks_shorter_ttls_behind_it(rig):
    """Classic queues expire only at the head: a 10 s message shields a 1 s one."""
    b = rig.broker
    b.queue_declare("q")
    long = b.basic_publish("", "q", "long", Properties(expiration="10000"))
    short = b.basic_publish("", "q", "short", Properties(expiration="1000"))
    rig.run(until=5)
    assert rig.events("expired") == []
    rig.run(until=10)
    assert [e.msg for e in rig.events("expired")] == [long, short]


@pytest.mark.parametrize(
    ("queue_ttl", "message_ttl", "expires_at"), [(5000, "1000", 1.0), (1000, "5000", 1.0)]
)
def test_the_lower_of_queue_and_message_ttl_applies(rig, queue_ttl, message_ttl, expires_at):
    """A message expires at the smaller of x-message-ttl and its expiration."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-message-ttl": queue_ttl})
    b.basic_publish("", "q", "m", Properties(expiration=message_ttl))
    rig.run()
    assert rig.events("expired")[0].t == expires_at


def test_a_ttl_zero_message_still_reaches_a_waiting_consumer(rig):
    """TTL 0 expires a message unless a consumer can take it at once."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-message-ttl": 0})
    b.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    first = b.basic_publish("", "q", "taken")
    second = b.basic_publish("", "q", "expires")
    rig.run()
    assert rig.delivered() == [first]
    assert [e.msg for e in rig.events("expired")] == [second]


def test_a_delivered_message_does_not_expire(rig):
    """TTL applies to ready messages; an unacked one is not expired."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-message-ttl": 1000})
    b.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    b.basic_publish("", "q", "m")
    rig.run(until=5)
    assert rig.events("expired") == []
