"""Dead-lettering: reasons, routing keys, the x-death header and its counts."""

import pytest

from brokers.amqp.api import Properties


def dlx_rig(rig, **args):
    b = rig.broker
    b.exchange_declare("dlx", "fanout")
    b.queue_declare("dead")
    b.queue_bind("dead", "dlx")
    b.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx", **args})
    return b


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("reject", "rejected"),
        ("nack", "rejected"),
        ("ttl", "expired"),
        ("maxlen", "maxlen"),
    ],
)
def test_each_dead_letter_reason_is_reported(rig, setup, reason):
    """reject/nack without requeue, expiry and drop-head overflow dead-letter with their reason."""
    args = {"ttl": {"x-message-ttl": 10}, "maxlen": {"x-max-length": 1}}.get(setup, {})
    b = dlx_rig(rig, **args)
    mid = b.basic_publish("", "work", "m")
    if setup in ("reject", "nack"):
        got = b.basic_get("work")
        if setup == "reject":
            b.basic_reject("get", got.delivery_tag, requeue=False)
        else:
            b.basic_nack("get", got.delivery_tag, requeue=False)
    elif setup == "maxlen":
        b.basic_publish("", "work", "newer")
    rig.run()
    dead = rig.events("dead_lettered")[0]
    assert (dead.msg, dead.queue, dead.reason, dead.exchange) == (mid, "work", reason, "dlx")
    got = b.basic_get("dead")
    assert got.msg == mid and got.properties.headers["x-death"][0]["reason"] == reason


def test_first_death_headers_and_x_death_fields(rig):
    """x-death names queue, reason, exchange and routing keys; x-first-death-* are set once."""
    b = dlx_rig(rig)
    b.basic_publish("", "work", "m", Properties(expiration="60000"))
    got = b.basic_get("work")
    b.basic_reject("get", got.delivery_tag, requeue=False)
    headers = b.basic_get("dead").properties.headers
    death = headers["x-death"][0]
    assert death["queue"] == "work" and death["count"] == 1
    assert death["exchange"] == "" and death["routing-keys"] == ["work"]
    assert death["original-expiration"] == "60000"
    assert headers["x-first-death-queue"] == "work"
    assert headers["x-first-death-reason"] == "rejected"
    assert headers["x-first-death-exchange"] == ""


def test_x_death_counts_per_queue_and_reason_most_recent_first(rig):
    """A second death in the same (queue, reason) bumps count and moves to the front."""
    b = rig.broker
    b.exchange_declare("retry", "direct")
    b.queue_declare(
        "a", arguments={"x-dead-letter-exchange": "retry", "x-dead-letter-routing-key": "b"}
    )
    b.queue_declare(
        "b", arguments={"x-dead-letter-exchange": "retry", "x-dead-letter-routing-key": "a"}
    )
    b.queue_bind("a", "retry", "a")
    b.queue_bind("b", "retry", "b")
    b.basic_publish("", "a", "m")
    for queue in ("a", "b", "a"):
        got = b.basic_get(queue)
        b.basic_reject("get", got.delivery_tag, requeue=False)
    deaths = b.basic_get("b").properties.headers["x-death"]
    assert [(d["queue"], d["count"]) for d in deaths] == [("a", 2), ("b", 1)]
    assert b.basic_get("b") is None


def test_dead_letter_routing_key_replaces_the_original(rig):
    """x-dead-letter-routing-key sets the key the copy is routed with."""
    b = rig.broker
    b.exchange_declare("dlx", "direct")
    b.queue_declare("parking")
    b.queue_bind("parking", "dlx", "parked")
    b.queue_declare(
        "work", arguments={"x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "parked"}
    )
    b.basic_publish("", "work", "m")
    got = b.basic_get("work")
    b.basic_reject("get", got.delivery_tag, requeue=False)
    assert rig.events("dead_lettered")[0].routing_keys == ("parked",)
    assert b.basic_get("parking").routing_key == "parked"


def test_without_a_dead_letter_exchange_a_rejected_message_is_dropped(rig):
    """No DLX: a rejected message is dropped with the reason."""
    b = rig.broker
    b.queue_declare("q")
    b.basic_publish("", "q", "m")
    b.basic_reject("get", b.basic_get("q").delivery_tag, requeue=False)
    assert "rejected" in rig.events("dropped")[0].reason


def test_automatic_dead_letter_cycles_are_dropped(rig):
    """An expired message dead-lettered back to its own queue is dropped, not looped."""
    b = rig.broker
    b.queue_declare("loop", arguments={"x-message-ttl": 10, "x-dead-letter-exchange": ""})
    b.basic_publish("", "loop", "m")
    rig.run(until=1)
    assert len(rig.events("expired")) == 1
    assert "cycle" in rig.events("dropped")[0].reason
