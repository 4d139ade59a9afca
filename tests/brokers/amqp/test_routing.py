"""Routing across exchanges: default, direct, fanout, AE, e2e bindings, internal, returns."""

import pytest

from brokers.errors import AccessRefused, NotFound


@pytest.mark.parametrize(
    ("kind", "binding_key", "routing_key", "reached"),
    [
        ("direct", "red", "red", True),
        ("direct", "red", "Red", False),
        ("direct", "", "", True),
        ("fanout", "ignored", "anything", True),
        ("fanout", "", "", True),
        ("topic", "a.*", "a.b", True),
        ("topic", "a.*", "a", False),
    ],
)
def test_exchange_types_route_by_their_rule(rig, kind, binding_key, routing_key, reached):
    """Direct needs the exact key, fanout ignores it, topic matches words."""
    b = rig.broker
    b.exchange_declare("x", kind)
    b.queue_declare("q")
    b.queue_bind("q", "x", binding_key)
    mid = b.basic_publish("x", routing_key, "m")
    assert (rig.routed_to(mid) == ("q",)) is reached


def test_default_exchange_routes_by_queue_name(rig):
    """The default exchange delivers to the queue named by the routing key."""
    b = rig.broker
    b.queue_declare("orders")
    assert rig.routed_to(b.basic_publish("", "orders", "m")) == ("orders",)
    b.basic_publish("", "nobody", "m")
    assert rig.events("unroutable")[0].routing_key == "nobody"


@pytest.mark.parametrize(
    "operation",
    [
        lambda b: b.queue_bind("q", ""),
        lambda b: b.queue_unbind("q", ""),
        lambda b: b.exchange_delete(""),
        lambda b: b.exchange_declare("", "direct"),
        lambda b: b.exchange_bind("x", ""),
    ],
)
def test_the_default_exchange_cannot_be_bound_declared_or_deleted(rig, operation):
    """Binding, unbinding, declaring or deleting "" is refused with 403."""
    rig.broker.queue_declare("q")
    rig.broker.exchange_declare("x", "fanout")
    before = rig.broker.describe()
    with pytest.raises(AccessRefused):
        operation(rig.broker)
    assert rig.broker.describe() == before


def test_a_queue_bound_twice_gets_one_copy(rig):
    """Two matching bindings to one queue still enqueue the message once."""
    b = rig.broker
    b.exchange_declare("t", "topic")
    b.queue_declare("q")
    b.queue_bind("q", "t", "a.*")
    b.queue_bind("q", "t", "#")
    b.basic_publish("t", "a.b", "m")
    assert len(rig.events("routed")[0].matches) == 2
    assert len(rig.events("enqueued")) == 1


def test_a_queue_reached_through_two_exchanges_gets_one_copy(rig):
    """A queue reached directly and via an exchange-to-exchange binding gets one copy."""
    b = rig.broker
    b.exchange_declare("front", "fanout")
    b.exchange_declare("back", "fanout")
    b.queue_declare("q")
    b.queue_bind("q", "front")
    b.exchange_bind("back", "front")
    b.queue_bind("q", "back")
    b.basic_publish("front", "", "m")
    assert [e.queue for e in rig.events("enqueued")] == ["q"]


def test_exchange_to_exchange_cycles_are_walked_once(rig):
    """Exchanges bound in a loop route without looping forever."""
    b = rig.broker
    for name in ("a", "b"):
        b.exchange_declare(name, "fanout")
    b.exchange_bind("b", "a")
    b.exchange_bind("a", "b")
    b.queue_declare("q")
    b.queue_bind("q", "b")
    assert rig.routed_to(b.basic_publish("a", "", "m")) == ("q",)


def test_alternate_exchange_takes_what_matched_no_binding(rig):
    """With no matching binding, the message goes to the alternate exchange."""
    b = rig.broker
    b.exchange_declare("unrouted", "fanout")
    b.exchange_declare("main", "direct", arguments={"alternate-exchange": "unrouted"})
    b.queue_declare("lost+found")
    b.queue_declare("red")
    b.queue_bind("lost+found", "unrouted")
    b.queue_bind("red", "main", "red")
    assert rig.routed_to(b.basic_publish("main", "red", "m")) == ("red",)
    assert rig.routed_to(b.basic_publish("main", "blue", "m")) == ("lost+found",)
    assert "alternate exchange" in rig.events("routed")[1].matches[0].reason


def test_mandatory_unroutable_messages_are_returned_312_and_still_confirmed(rig):
    """basic.return 312 NO_ROUTE comes before the confirm ack for an unroutable message."""
    b = rig.broker
    b.exchange_declare("x", "direct")
    mid = b.basic_publish("x", "nowhere", "m", mandatory=True)
    kinds = [e.kind for e in rig.events()][-4:]
    assert kinds == ["published", "unroutable", "returned", "confirmed"]
    returned = rig.events("returned")[0]
    assert (returned.msg, returned.reply_code, returned.reply_text) == (mid, 312, "NO_ROUTE")
    assert rig.events("confirmed")[0].ack is True


def test_unroutable_without_mandatory_is_not_returned(rig):
    """Without mandatory an unroutable message is silently dropped."""
    b = rig.broker
    b.exchange_declare("x", "direct")
    b.basic_publish("x", "nowhere", "m")
    assert rig.events("returned") == []


def test_publishing_to_an_internal_exchange_is_refused(rig):
    """Internal exchanges take messages only from other exchanges (403)."""
    b = rig.broker
    b.exchange_declare("inner", "fanout", internal=True)
    b.exchange_declare("outer", "fanout")
    b.exchange_bind("inner", "outer")
    b.queue_declare("q")
    b.queue_bind("q", "inner")
    with pytest.raises(AccessRefused):
        b.basic_publish("inner", "", "m")
    assert rig.routed_to(b.basic_publish("outer", "", "m")) == ("q",)


def test_publishing_to_a_missing_exchange_raises_404_and_changes_nothing(rig):
    """A publish to an unknown exchange is a 404 and emits nothing."""
    before, count = rig.broker.describe(), len(rig.events())
    with pytest.raises(NotFound) as err:
        rig.broker.basic_publish("nope", "k", "m")
    assert err.value.code == 404
    assert rig.broker.describe() == before and len(rig.events()) == count


def test_unbind_stops_routing_and_auto_delete_exchange_goes_with_its_last_binding(rig):
    """Removing the last binding of an auto-delete exchange deletes it."""
    b = rig.broker
    b.exchange_declare("tmp", "fanout", auto_delete=True)
    b.queue_declare("q")
    b.queue_bind("q", "tmp")
    b.queue_unbind("q", "tmp")
    assert "tmp" not in {x["name"] for x in b.describe()["exchanges"]}


def test_deleting_an_exchange_removes_bindings_to_and_from_it(rig):
    """Exchange delete drops its own bindings and those that point at it."""
    b = rig.broker
    b.exchange_declare("a", "fanout")
    b.exchange_declare("b", "fanout")
    b.queue_declare("q")
    b.exchange_bind("b", "a")
    b.queue_bind("q", "b")
    b.exchange_delete("b")
    assert b.describe()["bindings"] == []


def test_deleting_a_queue_removes_its_bindings(rig):
    """Queue delete drops every binding to the queue."""
    b = rig.broker
    b.exchange_declare("x", "fanout")
    b.queue_declare("q")
    b.queue_bind("q", "x")
    b.queue_delete("q")
    assert b.describe()["bindings"] == []
