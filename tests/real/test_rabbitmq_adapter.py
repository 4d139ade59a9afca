"""The pika adapter against a real RabbitMQ: each AmqpApi operation does what the broker does."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import uuid

import pytest

from brokers.amqp.api import Properties
from brokers.errors import Disconnected, NotFound, ValidationError
from brokers.real.backend import make_backend, probe
from brokers.real.rabbitmq.adapter import MAX_IN_FLIGHT
from brokers.real.rabbitmq.management import management_get, management_request

pytestmark = pytest.mark.real
MGMT = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")


@pytest.fixture
def backend(rabbitmq_url):
    b = make_backend(
        "rabbitmq",
        url=rabbitmq_url,
        prefix=f"bp.t{uuid.uuid4().hex[:8]}.",
        seed=7,
        management_url=MGMT,
    )
    assert b.status()["state"] == "connected", b.status()
    yield b
    b.destroy()


def collect(backend, pred, timeout=10.0):
    """Advance and drain until `pred(events)` holds; return all events seen."""
    events = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backend.advance(0.05)
        events.extend(backend.drain())
        if pred(events):
            return events
        time.sleep(0.02)
    raise AssertionError(f"timed out; saw {[e.kind for e in events]}")


def kinds(events, kind):
    return [e for e in events if e.kind == kind]


def broker_queues(prefix):
    return {
        q["name"]
        for q in management_get(MGMT, "/api/queues/%2F?columns=name")
        if q["name"].startswith(prefix)
    }


def test_it_declares_topology_with_the_sandbox_prefix_and_shows_user_names(backend):
    api = backend.amqp
    api.exchange_declare("ae", "fanout")
    api.exchange_declare("orders", "topic", arguments={"alternate-exchange": "ae"})
    api.exchange_declare("hdr", "headers")
    api.exchange_declare("fan", "fanout")
    api.queue_declare("q.quorum", arguments={"x-queue-type": "quorum", "x-delivery-limit": 3})
    api.queue_declare("q.stream", arguments={"x-queue-type": "stream"})
    api.queue_declare(
        "q.ttl",
        arguments={"x-message-ttl": 60000, "x-max-length": 5, "x-dead-letter-exchange": "ae"},
    )
    api.queue_declare("q.prio", arguments={"x-max-priority": 5})
    api.queue_bind("q.ttl", "orders", "eu.#")
    api.queue_bind("q.prio", "hdr", "", arguments={"x-match": "any", "a": 1})
    api.exchange_bind("fan", "orders", "#")
    described = backend.describe()["amqp"]
    assert {q["name"] for q in described["queues"]} == {"q.quorum", "q.stream", "q.ttl", "q.prio"}
    assert {
        "source": "orders",
        "destination": "fan",
        "destination_type": "exchange",
        "routing_key": "#",
        "arguments": {},
    } in described["bindings"]
    prefix = backend.prefix
    assert broker_queues(prefix) == {
        prefix + q for q in ("q.quorum", "q.stream", "q.ttl", "q.prio")
    }
    info = management_get(
        MGMT, "/api/queues/%2F/" + urllib.parse.quote(prefix + "q.quorum", safe="")
    )
    assert info["type"] == "quorum"
    events = backend.drain()
    assert [e.kind for e in events].count("queue_declared") == 4
    assert kinds(events, "exchange_declared")[1].alternate_exchange == "ae"


def test_it_refuses_what_the_broker_refuses_with_its_words(backend):
    api = backend.amqp
    api.queue_declare("q", arguments={"x-max-length": 1})
    with pytest.raises(ValidationError, match="inequivalent arg 'x-max-length'"):
        api.queue_declare("q", arguments={"x-max-length": 2})
    with pytest.raises(NotFound, match="no exchange 'nope'"):
        api.basic_publish("nope", "k", "x")
    api.queue_declare("q2")  # the control channel still works after a channel error
    assert backend.prefix not in str(backend.describe())


def test_it_returns_unroutable_mandatory_messages_with_312_and_confirms_them(backend):
    api = backend.amqp
    api.exchange_declare("x", "direct")
    msg = api.basic_publish("x", "nowhere", "hello", mandatory=True)
    events = collect(backend, lambda ev: kinds(ev, "confirmed"))
    returned = kinds(events, "returned")
    assert [(r.msg, r.reply_code, r.reply_text) for r in returned] == [(msg, 312, "NO_ROUTE")]
    assert kinds(events, "confirmed")[0].ack is True


def test_a_burst_past_the_publish_window_is_confirmed_in_order_before_the_next_command(backend):
    api = backend.amqp
    api.queue_declare("q")
    n = MAX_IN_FLIGHT + 500  # basic_publish waits for confirms at least once
    msgs = [api.basic_publish("", "q", f"{i}") for i in range(n)]
    got = api.basic_get("q", auto_ack=True)  # queued behind every publish above
    assert (got.msg, got.message_count) == (msgs[0], n - 1)
    assert api.queue_delete("q") == n - 1
    events = backend.drain()
    published = [e.msg for e in events if e.kind == "published"]
    confirmed = [e.msg for e in events if e.kind == "confirmed"]
    assert published == msgs and confirmed == msgs
    assert [e.kind for e in events][-3:] == ["confirmed", "delivered", "queue_deleted"]


def test_it_sends_unroutable_messages_to_the_alternate_exchange(backend):
    api = backend.amqp
    api.exchange_declare("ae", "fanout")
    api.exchange_declare("x", "direct", arguments={"alternate-exchange": "ae"})
    api.queue_declare("lost")
    api.queue_bind("lost", "ae", "")
    msg = api.basic_publish("x", "nowhere", "hello", mandatory=True)
    got = api.basic_get("lost", auto_ack=True)
    assert got.msg == msg and got.exchange == "x" and got.routing_key == "nowhere"
    assert not kinds(backend.drain(), "returned")


def test_competing_consumers_share_a_queue_and_ack_everything(backend):
    api = backend.amqp
    api.queue_declare("work")
    tags = [api.basic_consume("work", prefetch_count=1, processing_time=0.01) for _ in range(2)]
    msgs = [api.basic_publish("", "work", f"job {i}") for i in range(10)]
    events = collect(backend, lambda ev: len(kinds(ev, "acked")) == 10)
    delivered = kinds(events, "delivered")
    assert sorted(d.msg for d in delivered) == sorted(msgs)
    assert {d.consumer_tag for d in delivered} == set(tags)
    assert all(not d.redelivered for d in delivered)


def test_manual_consumers_ack_nack_and_reject_on_their_own_channel(backend):
    api = backend.amqp
    api.queue_declare("q")
    tag = api.basic_consume("q", behaviour="manual", prefetch_count=10)
    for i in range(3):
        api.basic_publish("", "q", f"m{i}")
    events = collect(backend, lambda ev: len(kinds(ev, "delivered")) == 3)
    d1, d2, d3 = kinds(events, "delivered")
    api.basic_ack(tag, d1.delivery_tag)
    api.basic_reject(tag, d2.delivery_tag, requeue=False)
    api.basic_nack(tag, d3.delivery_tag, requeue=True)
    events = collect(backend, lambda ev: len(kinds(ev, "delivered")) == 1)
    again = kinds(events, "delivered")[0]
    assert (again.msg, again.redelivered, again.delivery_count) == (d3.msg, True, 1)
    with pytest.raises(ValidationError, match="unknown delivery tag 99"):
        api.basic_ack(tag, 99)


def test_a_crashed_consumer_s_unacked_messages_are_redelivered_to_another(backend):
    api = backend.amqp
    api.queue_declare("q")
    slow = api.basic_consume("q", consumer_tag="slow", behaviour="manual", prefetch_count=5)
    for i in range(3):
        api.basic_publish("", "q", f"m{i}")
    collect(backend, lambda ev: len(kinds(ev, "delivered")) == 3)
    api.crash_consumer(slow)
    api.basic_consume("q", consumer_tag="other", prefetch_count=5)
    events = collect(backend, lambda ev: len(kinds(ev, "acked")) == 3)
    crashed = kinds(events, "consumer_crashed")[0]
    assert (crashed.requeued, crashed.lost) == (3, 0)
    again = kinds(events, "delivered")
    assert {d.consumer_tag for d in again} == {"other"}
    assert all(d.redelivered for d in again)


def test_failed_processing_without_requeue_dead_letters_with_x_death(backend):
    api = backend.amqp
    api.exchange_declare("dlx", "fanout")
    api.queue_declare("dead")
    api.queue_bind("dead", "dlx", "")
    api.queue_declare("q", arguments={"x-dead-letter-exchange": "dlx"})
    api.basic_consume("q", failure_rate=1.0, requeue_on_failure=False)
    msg = api.basic_publish("", "q", "boom")
    events = collect(backend, lambda ev: kinds(ev, "dead_lettered"))
    dl = kinds(events, "dead_lettered")[0]
    assert (dl.msg, dl.reason, dl.exchange) == (msg, "rejected", "dlx")
    got = None
    for _ in range(50):
        got = api.basic_get("dead", auto_ack=True)
        if got:
            break
        time.sleep(0.05)
    death = got.properties.headers["x-death"][0]
    assert (
        death["queue"],
        death["reason"],
        death["count"],
        death["exchange"],
        death["routing-keys"],
    ) == ("q", "rejected", 1, "", ["q"])
    assert {
        k: dl.x_death[0][k] for k in ("queue", "reason", "count", "exchange", "routing-keys")
    } == {k: death[k] for k in ("queue", "reason", "count", "exchange", "routing-keys")}


def test_priority_queue_hands_out_higher_priority_first(backend):
    api = backend.amqp
    api.queue_declare("p", arguments={"x-max-priority": 9})
    for prio in (1, 5, 9, 3):
        api.basic_publish("", "p", f"p{prio}", properties=Properties(priority=prio))
    bodies = [api.basic_get("p", auto_ack=True).body for _ in range(4)]
    assert bodies == [b"p9", b"p5", b"p3", b"p1"]


def test_expired_messages_are_dead_lettered_with_reason_expired(backend):
    api = backend.amqp
    api.exchange_declare("dlx", "fanout")
    api.queue_declare("dead")
    api.queue_bind("dead", "dlx", "")
    api.queue_declare("ttl", arguments={"x-message-ttl": 50, "x-dead-letter-exchange": "dlx"})
    api.basic_publish("", "ttl", "soon gone")
    got = None
    for _ in range(60):
        got = api.basic_get("dead", auto_ack=True)
        if got:
            break
        time.sleep(0.05)
    assert got.properties.headers["x-death"][0]["reason"] == "expired"


def test_quorum_queue_dead_letters_after_the_delivery_limit(backend):
    api = backend.amqp
    api.exchange_declare("dlx", "fanout")
    api.queue_declare("dead")
    api.queue_bind("dead", "dlx", "")
    api.queue_declare(
        "qq",
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": 2,
            "x-dead-letter-exchange": "dlx",
        },
    )
    api.basic_consume("qq", failure_rate=1.0, requeue_on_failure=True, prefetch_count=1)
    api.basic_publish("", "qq", "poison")
    events = collect(backend, lambda ev: kinds(ev, "dead_lettered"))
    delivered = [d for d in kinds(events, "delivered") if d.queue == "qq"]
    assert [(d.redelivered, d.delivery_count) for d in delivered] == [
        (False, 0),
        (True, 1),
        (True, 2),
    ]
    assert kinds(events, "dead_lettered")[0].reason == "delivery_limit"
    got = None
    for _ in range(50):
        got = api.basic_get("dead", auto_ack=True)
        if got:
            break
        time.sleep(0.05)
    assert got.properties.headers["x-death"][0]["reason"] == "delivery_limit"


def test_stream_consumers_replay_from_an_offset(backend):
    api = backend.amqp
    api.queue_declare("s", arguments={"x-queue-type": "stream"})
    msgs = [api.basic_publish("", "s", f"e{i}") for i in range(5)]
    api.basic_consume("s", prefetch_count=10, arguments={"x-stream-offset": "first"})
    api.basic_consume("s", prefetch_count=10, arguments={"x-stream-offset": 3})
    events = collect(backend, lambda ev: len(kinds(ev, "delivered")) == 7)
    by_tag = {}
    for d in kinds(events, "delivered"):
        by_tag.setdefault(d.consumer_tag, []).append((d.msg, d.offset))
    first, from3 = by_tag.values()
    assert [m for m, _ in first] == msgs
    assert from3 == [(msgs[3], 3), (msgs[4], 4)]


def test_describe_polls_queue_depths(backend):
    api = backend.amqp
    api.queue_declare("q")
    for i in range(4):
        api.basic_publish("", "q", f"m{i}")
    deadline = time.monotonic() + 5
    ready = None
    while time.monotonic() < deadline:
        backend.advance(0.1)
        ready = backend.describe()["amqp"]["queues"][0]["ready"]
        if ready == 4:
            break
        time.sleep(0.1)
    assert ready == 4


def test_destroy_deletes_every_prefixed_resource(rabbitmq_url):
    prefix = f"bp.t{uuid.uuid4().hex[:8]}."
    b = make_backend("rabbitmq", url=rabbitmq_url, prefix=prefix, management_url=MGMT)
    b.amqp.exchange_declare("x", "fanout")
    b.amqp.queue_declare("q")
    b.amqp.basic_consume("q")
    assert broker_queues(prefix)
    assert b.destroy()
    assert broker_queues(prefix) == set()


def test_close_keeps_queues_and_messages_for_the_next_backend_on_the_prefix(rabbitmq_url):
    prefix = f"bp.t{uuid.uuid4().hex[:8]}."
    b = make_backend("rabbitmq", url=rabbitmq_url, prefix=prefix, management_url=MGMT)
    b.amqp.queue_declare("q")
    b.amqp.basic_consume("q", behaviour="manual", consumer_tag="held")
    for i in range(3):
        b.amqp.basic_publish("", "q", f"m{i}", Properties(delivery_mode=2))
    collect(b, lambda ev: len(kinds(ev, "delivered")) == 3)
    b.close()  # the unacked deliveries go back to the queue
    assert broker_queues(prefix) == {prefix + "q"}
    again = make_backend("rabbitmq", url=rabbitmq_url, prefix=prefix, management_url=MGMT)
    try:
        again.amqp.queue_declare("q")
        deadline, ready = time.monotonic() + 5, None
        while time.monotonic() < deadline and ready != 3:
            again.advance(0.1)
            ready = again.describe()["amqp"]["queues"][0]["ready"]
            time.sleep(0.1)
        assert ready == 3
    finally:
        assert again.destroy()
    assert broker_queues(prefix) == set()


def _close_connections(prefix):
    for c in management_get(MGMT, "/api/connections?columns=name,client_properties"):
        name = (c.get("client_properties") or {}).get("connection_name", "")
        if name.startswith(prefix):
            try:
                management_request(
                    MGMT, "DELETE", "/api/connections/" + urllib.parse.quote(c["name"], safe="")
                )
            except urllib.error.HTTPError:
                pass


def _wait_for_connections(prefix, count, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            c
            for c in management_get(MGMT, "/api/connections?columns=client_properties")
            if (c.get("client_properties") or {}).get("connection_name", "").startswith(prefix)
        ]
        if len(found) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"expected {count} connections named {prefix}*")


def test_it_reports_a_lost_connection_reconnects_and_declares_again(backend):
    api = backend.amqp
    api.queue_declare("kept")
    api.basic_consume("kept", consumer_tag="c")
    _wait_for_connections(backend.prefix, 2)  # the management API lists connections late
    _close_connections(backend.prefix)
    management_request(
        MGMT, "DELETE", "/api/queues/%2F/" + urllib.parse.quote(backend.prefix + "kept", safe="")
    )
    deadline = time.monotonic() + 10
    states = set()
    while time.monotonic() < deadline and "disconnected" not in states:
        backend.advance(0.05)
        states.add(backend.status()["state"])
        time.sleep(0.02)
    assert "disconnected" in states
    assert "closed" in backend.status()["detail"].lower() or backend.status()["detail"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and backend.status()["state"] != "connected":
        backend.advance(0.05)
        time.sleep(0.05)
    assert backend.status()["state"] == "connected"
    assert backend.prefix + "kept" in broker_queues(backend.prefix)
    msg = api.basic_publish("", "kept", "after the outage")
    events = collect(backend, lambda ev: any(e.kind == "acked" and e.msg == msg for e in ev))
    assert kinds(events, "delivered")[-1].consumer_tag == "c"


def test_commands_while_disconnected_raise_disconnected_and_probe_says_why():
    ok, reason = probe("rabbitmq", "amqp://guest:guest@127.0.0.1:1/%2F")
    assert not ok
    assert reason == "RabbitMQ not reachable at 127.0.0.1:1: connection refused"
    b = make_backend("rabbitmq", url="amqp://guest:guest@127.0.0.1:1/%2F", prefix="bp.down.")
    assert b.status() == {"state": "disconnected", "detail": reason}
    with pytest.raises(Disconnected, match="disconnected"):
        b.amqp.queue_declare("q")
    b.advance(1.0)
    assert b.describe()["status"]["state"] == "disconnected"
    b.close()
