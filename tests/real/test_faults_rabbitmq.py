"""Faults on a real RabbitMQ node of the tests' own: a consumer crash, kill -9, a restart.

The node is private (`private_rabbitmq`, other ports); the shared one is never touched.
At-least-once holds end to end: 10,000 persistent messages to a durable queue, with
publisher confirms and manual acks, through a consumer crash and a broker killed with
SIGKILL mid-stream — every message is acked at least once; the ones whose confirm the
kill took are published again, as a confirming publisher does, and the duplicates are
counted and printed. Through a clean restart, a producer of the playground resumes by
itself and the event log goes on.
"""

from __future__ import annotations

import time
import uuid

import pytest

from brokers.amqp.api import Properties
from brokers.errors import Disconnected
from brokers.real import make_backend
from sandbox.runtime import SandboxRuntime
from tests.real.ledger import Ledger

pytestmark = pytest.mark.real
TOTAL = 10_000


def pump(backend, ledger: Ledger, until=None, timeout: float = 0.0) -> None:
    """Let the backend poll and reconnect, feeding the ledger, until `until()` holds."""
    deadline = time.monotonic() + timeout
    while True:
        backend.advance(0.05)
        ledger.see(backend.drain())
        if until is None or until():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {ledger.report('so far')}, {backend.status()}")
        time.sleep(0.02)


def connected(backend) -> bool:
    return backend.status()["state"] == "connected"


def publish(backend, ledger: Ledger, n: int) -> None:
    """Publish message `n` persistent; while the broker is away, wait for it."""
    while True:
        try:
            msg = backend.amqp.basic_publish(
                "", "orders", f"order {n}", Properties(headers={"n": n}, delivery_mode=2)
            )
        except Disconnected:
            pump(backend, ledger, lambda: connected(backend), timeout=60)
            continue
        ledger.sent(msg, n)
        return


def test_10000_persistent_messages_are_all_acked_through_a_consumer_crash_and_a_kill_9(
    rabbitmq_node,
):
    b = make_backend(
        "rabbitmq",
        url=rabbitmq_node.url,
        prefix=f"bp.f{uuid.uuid4().hex[:8]}.",
        management_url=rabbitmq_node.management_url,
    )
    ledger = Ledger(TOTAL)
    try:
        b.amqp.queue_declare("orders", durable=True)
        b.amqp.basic_consume("orders", consumer_tag="worker", prefetch_count=100)
        for n in range(TOTAL):
            if n == 3000:
                b.amqp.crash_consumer("worker")  # its unacked deliveries go back
            elif n == 4000:
                b.amqp.restart_consumer("worker")
            elif n == 6000:
                rabbitmq_node.kill()  # mid-stream: publishes, confirms and acks in flight
                pump(b, ledger, lambda: not connected(b), timeout=20)
                rabbitmq_node.start()
            publish(b, ledger, n)
            if n % 250 == 0:
                pump(b, ledger)

        def settled() -> bool:
            for n in ledger.to_resend():
                publish(b, ledger, n)
            return not ledger.missing()

        pump(b, ledger, settled, timeout=120)
        print(ledger.report("RabbitMQ, consumer crash at 3000, kill -9 at 6000"))
        assert ledger.missing() == []
        assert all(ledger.taken[n] for n in range(TOTAL))  # every one confirmed in the end
        assert ledger.kinds["consumer_crashed"] == 1
        assert not connected(b) or b.amqp.consumers["worker"].state == "active"
    finally:
        b.destroy()


def advance(rt: SandboxRuntime, seconds: float, until=None) -> list:
    """Run the runtime in real time for up to `seconds`; the events it produced."""
    seen: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rt.advance(0.05)
        seen.extend(rt.pending)
        rt.pending = []
        if until is not None and until(seen):
            break
        time.sleep(0.05)
    return seen


def producer(rt: SandboxRuntime) -> dict:
    return rt.agents["p"].describe()


def kinds(events) -> set[str]:
    return {e.kind for e in events}


def test_a_producer_resumes_and_the_event_log_goes_on_after_the_broker_restarts(rabbitmq_node):
    prefix = f"bp.f{uuid.uuid4().hex[:8]}."
    rt = SandboxRuntime(
        5,
        backend_factory=lambda seed: make_backend(
            "rabbitmq",
            url=rabbitmq_node.url,
            prefix=prefix,
            seed=seed,
            management_url=rabbitmq_node.management_url,
        ),
    )
    try:
        for command in (
            {"op": "queue.declare", "name": "orders", "durable": True},
            {"op": "consumer.add", "queue": "orders", "tag": "worker", "prefetch_count": 20},
            {"op": "producer.add", "name": "p", "target": "", "routing_key": "orders", "rate": 50},
        ):
            assert rt.apply(command)["ok"], command
        before = advance(rt, 2.0)
        assert {"published", "confirmed", "delivered", "acked"} <= kinds(before)
        rabbitmq_node.stop()
        advance(rt, 30, until=lambda _: producer(rt)["state"] == "disconnected")
        down = producer(rt)
        assert down["state"] == "disconnected" and "disconnected" in down["error"]
        assert rt.frame()["status"]["state"] == "disconnected"
        rabbitmq_node.start()
        advance(rt, 40, until=lambda _: producer(rt)["state"] == "running")
        resumed = producer(rt)["sent"]
        after = advance(rt, 3.0)
        assert producer(rt) | {"sent": 0} == down | {"state": "running", "error": "", "sent": 0}
        assert producer(rt)["sent"] >= resumed + 100  # 50/s for 3 s, with room for a slow tick
        assert {"published", "confirmed", "delivered", "acked"} <= kinds(after)
        frame = rt.frame()
        assert frame["status"]["state"] == "connected"
        assert [c["state"] for c in frame["amqp"]["consumers"]] == ["active"]
    finally:
        rt.destroy()
