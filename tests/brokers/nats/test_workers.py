"""Workers: push and pull, deliver groups, failures, crashes and ephemeral consumers."""

from __future__ import annotations

import pytest

from brokers.errors import NotFound, ValidationError
from tests.brokers.nats.conftest import Rig


def work_stream(rig: Rig, n: int = 6, retention: str = "workqueue") -> None:
    rig.nats.add_stream("JOBS", ["jobs.*"], retention=retention)
    for i in range(n):
        rig.nats.js_publish("jobs.resize", str(i))


def test_a_pull_worker_fetches_processes_and_acks_in_batches(rig):
    work_stream(rig)
    rig.nats.add_consumer("JOBS", durable_name="w")
    rig.nats.consume("JOBS", "w", worker="p1", processing_time=1, batch=4)
    rig.run(10)
    acks = [(e.t, e.stream_seq) for e in rig.events("js_acked")]
    assert acks == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)]
    assert [e.batch for e in rig.events("js_pull_requested")] == [4, 4]
    assert rig.state("JOBS")["messages"] == 0
    assert rig.info("JOBS", "w")["waiting"] == 1  # asking for more


def test_two_pull_workers_share_the_work_in_turn(rig):
    work_stream(rig)
    rig.nats.add_consumer("JOBS", durable_name="w")
    rig.nats.consume("JOBS", "w", worker="a", processing_time=1, batch=10)
    rig.nats.consume("JOBS", "w", worker="b", processing_time=1, batch=10)
    rig.run(1)  # a's request is served as it arrives: all six; b waits
    for _ in range(3):  # then the two open requests take turns, a (the older) first
        rig.nats.js_publish("jobs.resize", "late")
    rig.run(10)
    by = [e.worker for e in sorted(rig.events("js_delivered"), key=lambda e: e.stream_seq)]
    assert by == ["a"] * 6 + ["a", "b", "a"]


def test_a_push_deliver_group_gives_each_message_to_one_member(rig):
    work_stream(rig, 30, retention="limits")
    rig.nats.add_consumer("JOBS", durable_name="p", deliver_subject="dlv.jobs", deliver_group="g")
    rig.nats.consume("JOBS", "p", worker="m1")
    rig.nats.consume("JOBS", "p", worker="m2")
    rig.run(1)
    deliveries = rig.events("js_delivered")
    assert sorted(e.stream_seq for e in deliveries) == list(range(1, 31))
    assert {e.worker for e in deliveries} == {"m1", "m2"}
    assert rig.info("JOBS", "p")["ack_floor"] == (30, 30)


def test_a_push_consumer_without_subscribers_waits(rig):
    work_stream(rig, 3, retention="limits")
    rig.nats.add_consumer("JOBS", durable_name="p", deliver_subject="dlv.p")
    rig.run(1)
    assert rig.info("JOBS", "p")["pending"] == 3 and rig.events("js_delivered") == []
    rig.nats.consume("JOBS", "p", worker="late")
    rig.run(1)
    assert [e.stream_seq for e in rig.events("js_delivered")] == [1, 2, 3]


def test_a_stopped_worker_s_messages_come_back_after_ack_wait(rig):
    work_stream(rig, 1)
    rig.nats.add_consumer("JOBS", durable_name="w", ack_wait=5)
    rig.nats.consume("JOBS", "w", worker="crashy", processing_time=10)
    rig.run(1)
    rig.nats.stop_worker("crashy")
    (stopped,) = rig.events("js_worker_stopped")
    assert stopped.holding == ("n1",) and "after ack_wait 5s" in stopped.reason
    rig.nats.consume("JOBS", "w", worker="rescuer", processing_time=0.5)
    rig.run(3.9)
    assert rig.events("js_acked") == []
    rig.run(1.2)
    (redelivery,) = [e for e in rig.events("js_delivered") if e.worker == "rescuer"]
    assert (redelivery.t, redelivery.num_delivered) == (5, 2)
    assert rig.state("JOBS")["messages"] == 0


@pytest.mark.parametrize(
    ("on_failure", "kinds"),
    [
        ("nak", ["js_naked", "js_acked"]),
        ("term", ["js_termed"]),
        ("ignore", ["js_not_acked", "js_acked"]),
    ],
)
def test_what_a_failing_worker_sends(on_failure, kinds):
    rig = Rig(seed=3)
    rig.nats.add_stream("S", ["s"])
    rig.nats.add_consumer("S", durable_name="c", ack_wait=2)
    rig.nats.js_publish("s", "x")
    w = rig.nats.consume("S", "c", failure_rate=1.0, on_failure=on_failure)
    rig.run(0.0015)  # one try (a worker takes at least a millisecond)
    rig.nats.workers[w].failure_rate = 0.0  # heal the worker: the next try succeeds
    rig.run(5)
    settled = [
        e.kind
        for e in rig.events()
        if e.kind in ("js_naked", "js_acked", "js_termed", "js_not_acked")
    ]
    assert settled == kinds


def test_a_manual_worker_holds_until_the_api_acks(rig):
    work_stream(rig, 2)
    rig.nats.add_consumer("JOBS", durable_name="w")
    w = rig.nats.consume("JOBS", "w", behaviour="manual", batch=2)
    rig.run(1)
    assert rig.nats.describe()["workers"][0]["holding"] == [1, 2]
    rig.nats.ack("JOBS", "w", 1)
    assert rig.nats.workers[w].describe()["holding"] == [2]
    rig.nats.ack("JOBS", "w", 2)
    rig.run()
    assert [e.batch for e in rig.events("js_pull_requested")] == [2, 2]


def test_an_ephemeral_consumer_goes_away_after_its_inactive_threshold(rig):
    work_stream(rig, 1, retention="limits")
    name = rig.nats.add_consumer("JOBS", inactive_threshold=1)
    assert name == "eph1"
    w = rig.nats.consume("JOBS", name)
    rig.run(5)
    assert name in rig.nats.streams["JOBS"].consumers
    rig.nats.stop_worker(w)
    rig.run(0.9)
    assert name in rig.nats.streams["JOBS"].consumers
    rig.run(0.2)
    assert rig.events("consumer_deleted")[0].reason.startswith("ephemeral, inactive for 1s")


def test_worker_names_and_settings_are_checked(rig):
    work_stream(rig, 0)
    rig.nats.add_consumer("JOBS", durable_name="w")
    rig.nats.consume("JOBS", "w", worker="x")
    with pytest.raises(ValidationError, match="in use"):
        rig.nats.consume("JOBS", "w", worker="x")
    with pytest.raises(ValidationError, match="failure_rate"):
        rig.nats.consume("JOBS", "w", failure_rate=2)
    with pytest.raises(NotFound):
        rig.nats.stop_worker("nobody")
