"""A producer whose broker went away waits, tries again, and goes on once it is back.

The broker is the simulator; its `basic_publish` is made to raise `Disconnected` for a
while, as the real adapters do when the connection is lost. Any other refusal still
stops the producer with the broker's words.
"""

from __future__ import annotations

from brokers.errors import Disconnected, NotFound
from sandbox.runtime import SandboxRuntime
from sandbox.runtime.agent import RETRY_AFTER


def producer(rt: SandboxRuntime) -> dict:
    return next(p for p in rt.frame()["producers"] if p["name"] == "p")


def with_producer(rate: float = 10) -> SandboxRuntime:
    rt = SandboxRuntime(seed=3)
    for command in (
        {"op": "queue.declare", "name": "q"},
        {"op": "producer.add", "name": "p", "target": "", "routing_key": "q", "rate": rate},
    ):
        assert rt.apply(command)["ok"], command
    return rt


def broker_down(rt: SandboxRuntime, error: Exception) -> list[int]:
    """Make every publish raise `error` until the returned list gets an item."""
    amqp, publish, back = rt.backend.amqp, rt.backend.amqp.basic_publish, []

    def maybe(*args, **kwargs):
        if not back:
            raise error
        return publish(*args, **kwargs)

    amqp.basic_publish = maybe
    return back


def test_a_disconnected_producer_retries_and_resumes_when_the_broker_is_back():
    rt = with_producer()
    rt.advance(1.0)
    before = producer(rt)["sent"]
    assert before >= 10
    back = broker_down(rt, Disconnected("RabbitMQ is disconnected (connection refused)"))
    rt.advance(3.0)
    down = producer(rt)
    assert down["state"] == "disconnected"
    assert "connection refused" in down["error"]
    assert down["sent"] == before
    back.append(True)
    rt.advance(RETRY_AFTER + 1.0)
    up = producer(rt)
    assert (up["state"], up["error"]) == ("running", "")
    assert up["sent"] >= before + 10  # at its rate again: no burst, no stall


def test_a_disconnected_producer_still_counts_against_the_rate_cap_and_can_be_stopped():
    rt = with_producer(rate=1500)
    broker_down(rt, Disconnected("gone"))
    rt.advance(0.5)
    assert producer(rt)["state"] == "disconnected"
    refused = rt.apply({"op": "producer.add", "name": "p2", "target": "", "rate": 1000})
    assert not refused["ok"] and "limit" in refused["error"]
    assert rt.apply({"op": "producer.stop", "name": "p"})["ok"]
    assert producer(rt)["state"] == "stopped"


def test_any_other_refusal_stops_the_producer_with_the_brokers_words():
    rt = with_producer()
    broker_down(rt, NotFound("NOT_FOUND - no exchange 'x' in vhost '/'"))
    rt.advance(RETRY_AFTER * 5)
    stopped = producer(rt)
    assert stopped["state"] == "error"
    assert stopped["error"] == "NOT_FOUND - no exchange 'x' in vhost '/'"
