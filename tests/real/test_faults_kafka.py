"""Faults on a real Kafka of the tests' own: a member crash, kill -9, a restart.

The broker is private (`private_kafka`, other ports); the shared one is never touched.
At-least-once holds end to end: 10,000 keyed records (acks=all, idempotent producer) to
a topic read by a group that commits after processing, through a member that crashes
and a broker killed with SIGKILL mid-stream — every record is processed at least once;
records the producer gave up on are sent again, and the duplicates (records processed
again after the crash and the kill) are counted and printed. After a broker restart a
playground producer resumes by itself, the group's members are still there, and the
event log goes on: they fetch, process and commit again.
"""

from __future__ import annotations

import uuid

import pytest

from brokers.errors import Disconnected
from brokers.real import make_backend
from sandbox.runtime import SandboxRuntime
from tests.real.ledger import Ledger
from tests.real.test_faults_rabbitmq import advance, connected, kinds, producer, pump

pytestmark = pytest.mark.real
TOTAL = 10_000
MEMBER = {
    "commit_policy": "after",
    "auto_offset_reset": "earliest",
    "session_timeout_ms": 6000,
}


def send(backend, ledger: Ledger, n: int) -> None:
    """Send record `n`; while the cluster is away, wait for it."""
    while True:
        try:
            msg = backend.kafka.send(
                "orders", f"order {n}", key=f"k{n}", headers=[("n", str(n).encode())]
            )
        except Disconnected:
            pump(backend, ledger, lambda: connected(backend), timeout=90)
            continue
        ledger.sent(msg, n)
        return


def members(events) -> list[list[str]]:
    return [e.members for e in events if e.kind == "rebalanced"]


def test_10000_records_are_all_processed_through_a_member_crash_and_a_kill_9(kafka_node):
    b = make_backend("kafka", url=kafka_node.bootstrap, prefix=f"bp.f{uuid.uuid4().hex[:8]}.")
    ledger = Ledger(TOTAL)
    seen: list = []

    def rebalanced_to(names: list[str]):
        def check() -> bool:
            return names in members(seen)

        return check

    try:
        b.kafka.create_topic("orders", 3)
        for member in ("a", "b"):
            b.kafka.add_member("g", ["orders"], member=member, **MEMBER)
        real_see = ledger.see
        ledger.see = lambda events: (seen.extend(events := list(events)), real_see(events))
        pump(b, ledger, rebalanced_to(["a", "b"]), timeout=30)
        for n in range(TOTAL):
            if n == 3000:
                b.kafka.crash_member("a")  # no commit, no LeaveGroup: b takes over its share
                crashed_at = b.now
            elif n == 4000:
                b.kafka.add_member("g", ["orders"], member="c", **MEMBER)
            elif n == 6000:
                kafka_node.kill()  # mid-stream: batches, fetches and commits in flight
                pump(b, ledger, lambda: not connected(b), timeout=30)
                kafka_node.start()
            send(b, ledger, n)
            if n % 250 == 0:
                pump(b, ledger)

        def settled() -> bool:
            for n in ledger.to_resend():
                send(b, ledger, n)
            return not ledger.missing()

        pump(b, ledger, settled, timeout=150)
        print(ledger.report("Kafka, member crash at 3000, kill -9 at 6000"))
        assert ledger.missing() == []
        assert all(ledger.taken[n] for n in range(TOTAL))  # every one appended in the end
        workers = {e.member for e in seen if e.kind == "processed" and e.t > crashed_at}
        assert workers and "a" not in workers  # the crashed member's partitions moved on
        assert {m.member: m.state for m in b.kafka.members.values()} == {
            "a": "crashed",
            "b": "active",
            "c": "active",
        }
    finally:
        b.destroy()


def test_a_producer_resumes_and_the_event_log_goes_on_after_a_kill_9(kafka_node):
    prefix = f"bp.f{uuid.uuid4().hex[:8]}."
    rt = SandboxRuntime(
        5,
        backend_factory=lambda seed: make_backend(
            "kafka", url=kafka_node.bootstrap, prefix=prefix, seed=seed
        ),
    )
    try:
        for command in (
            {"op": "topic.create", "name": "orders", "partitions": 2},
            # the default commit policy (auto): its commit while the broker is away used
            # to end the member's thread, and the log went silent after the restart
            {"op": "group.add", "group_id": "g", "topics": ["orders"], "members": 1,
             "auto_offset_reset": "earliest", "session_timeout_ms": 6000},
            {"op": "producer.add", "name": "p", "broker": "kafka", "target": "orders",
             "key_pattern": "k{n}", "rate": 50},
        ):  # fmt: skip
            assert rt.apply(command)["ok"], command
        flowing = {"appended", "fetched", "processed"}
        before = advance(rt, 20, until=lambda seen: flowing <= kinds(seen))
        assert flowing <= kinds(before)
        kafka_node.kill()
        advance(rt, 30, until=lambda _: producer(rt)["state"] == "disconnected")
        down = producer(rt)
        assert down["state"] == "disconnected" and "disconnected" in down["error"]
        advance(rt, 8)  # down past an auto-commit (every 5 s) and its 5 s timeout
        kafka_node.start()
        advance(rt, 40, until=lambda _: producer(rt)["state"] == "running")
        resumed = producer(rt)["sent"]
        after = advance(rt, 40, until=lambda seen: {*flowing, "committed"} <= kinds(seen))
        assert {*flowing, "committed"} <= kinds(after), kinds(after)
        assert producer(rt)["sent"] > resumed
        frame = rt.frame()
        assert frame["status"]["state"] == "connected"
        [group] = frame["kafka"]["groups"]
        assert [m["state"] for m in group["members"]] == ["active"]
    finally:
        rt.destroy()
