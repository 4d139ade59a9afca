"""Publishing: every basic property reaches the consumer unchanged; unbinding stops routing."""

import pytest

from brokers.amqp.api import Properties


def test_every_basic_property_reaches_the_consumer(rig):
    """Routing key, headers, priority, expiration, ids, timestamp and delivery mode survive."""
    b = rig.broker
    b.exchange_declare("x", "direct")
    b.queue_declare("q", arguments={"x-max-priority": 9})
    b.queue_bind("q", "x", "rk")
    props = Properties(
        headers={"trace": "t-1", "n": 3},
        priority=4,
        expiration="60000",
        message_id="id-1",
        correlation_id="corr-1",
        timestamp=1_700_000_000,
        delivery_mode=2,
        content_type="text/plain",
    )
    mid = b.basic_publish("x", "rk", b"body", props)
    got = b.basic_get("q", auto_ack=True)
    assert (got.msg, got.exchange, got.routing_key, got.body) == (mid, "x", "rk", b"body")
    assert got.properties == props


def test_queue_unbind_stops_routing_to_that_queue(rig):
    """After queue.unbind the key no longer reaches the queue; other bindings still do."""
    b = rig.broker
    b.exchange_declare("x", "direct")
    b.queue_declare("q")
    b.queue_bind("q", "x", "a")
    b.queue_bind("q", "x", "b")
    b.queue_unbind("q", "x", "a")
    assert rig.routed_to(b.basic_publish("x", "a", "m")) == ()
    assert rig.routed_to(b.basic_publish("x", "b", "m")) == ("q",)


def test_exchange_unbind_stops_routing_through_that_exchange(rig):
    """After exchange.unbind the destination exchange no longer receives copies."""
    b = rig.broker
    b.exchange_declare("front", "fanout")
    b.exchange_declare("back", "fanout")
    b.queue_declare("q")
    b.queue_bind("q", "back")
    b.exchange_bind("back", "front")
    assert rig.routed_to(b.basic_publish("front", "", "m")) == ("q",)
    b.exchange_unbind("back", "front")
    assert rig.routed_to(b.basic_publish("front", "", "m")) == ()


@pytest.mark.parametrize("kind", ["direct", "fanout", "topic", "headers"])
def test_an_exchange_without_bindings_routes_nowhere(rig, kind):
    """An empty binding table makes every message unroutable (no AE, no mandatory)."""
    rig.broker.exchange_declare("x", kind)
    mid = rig.broker.basic_publish("x", "k", "m")
    assert rig.routed_to(mid) == () and [e.msg for e in rig.events("unroutable")] == [mid]


@pytest.mark.parametrize(("confirm", "confirms"), [(True, 1), (False, 0)])
def test_confirms_follow_only_on_a_channel_in_confirm_mode(rig, confirm, confirms):
    """A Confirmed event follows a publish only in confirm mode; routing is the same."""
    rig.broker.queue_declare("q")
    msg = rig.broker.basic_publish("", "q", "x", confirm=confirm)
    assert len(rig.events("confirmed")) == confirms
    assert rig.routed_to(msg) == ("q",)
