"""The same Kafka scenario on the simulator and on real Kafka: an observer sees the same.

Each case is a script run by `brokers.real.scenario.run` on `Simulator` and on the
kafka-python adapter; the observers reduce both runs to what a user would note
(which partition a record went to, who owns which partition, who processed what, lag).
"""

from __future__ import annotations

import uuid

import pytest

from brokers.real.backend import make_backend
from brokers.real.scenario import final_assignment, partitions_by_msg, processed_by_group, run
from brokers.sim import Simulator

pytestmark = pytest.mark.real
FAST = {"session_timeout_ms": 6000, "auto_offset_reset": "earliest"}


@pytest.fixture
def both(kafka_bootstrap):
    made = []

    def go(script):
        real = make_backend("kafka", url=kafka_bootstrap, prefix=f"bp.d{uuid.uuid4().hex[:8]}.")
        made.append(real)
        return run(Simulator(seed=1), script, "kafka"), run(real, script, "kafka")

    yield go
    for b in made:
        b.destroy()


def processed_count(group, n):
    return lambda ev: (
        sum(len(e.msgs) for e in ev if e.kind == "processed" and e.group == group) >= n
    )


def rebalanced_with(group, n):
    return lambda ev: any(
        e.kind == "rebalanced"
        and e.group == group
        and len(e.members) == n
        and all(e.assignment.values())
        for e in ev
    )


def test_keyed_records_go_to_the_same_partition(both):
    keys = [f"k{i}" for i in range(30)] + ["", "ünïcode", "order-42"]

    def script(api, wait):
        api.create_topic("t", 6)
        for key in keys:
            api.send("t", "v", key=key)
        # one Appended per kafka-python batch, so count the records in them
        wait(5, until=lambda ev: sum(len(e.msgs) for e in ev if e.kind == "appended") == len(keys))

    sim, real = both(script)
    assert partitions_by_msg(sim) == partitions_by_msg(real)
    assert len(partitions_by_msg(real)) == len(keys)


@pytest.mark.parametrize("assignor", ["range", "roundrobin"])
def test_group_assignment_agrees(both, assignor):
    def script(api, wait):
        api.create_topic("a", 5)
        api.create_topic("b", 3)
        for m in ("m1", "m2", "m3"):
            api.add_member(
                "g", ["a", "b"], member=m, partition_assignment_strategy=assignor, **FAST
            )
        wait(20, until=rebalanced_with("g", 3))

    sim, real = both(script)
    assert final_assignment(sim, "g") == final_assignment(real, "g")
    assert sum(len(v) for v in final_assignment(real, "g").values()) == 8


def test_two_groups_each_get_every_record(both):
    def script(api, wait):
        api.create_topic("t", 3)
        for g in ("billing", "audit"):
            for m in ("x", "y"):
                api.add_member(g, ["t"], member=f"{g}-{m}", **FAST)
        wait(
            20,
            until=lambda ev: rebalanced_with("billing", 2)(ev) and rebalanced_with("audit", 2)(ev),
        )
        for i in range(12):
            api.send("t", f"v{i}", key=str(i))
        wait(
            20,
            until=lambda ev: (
                processed_count("billing", 12)(ev) and processed_count("audit", 12)(ev)
            ),
        )

    sim, real = both(script)
    assert processed_by_group(sim) == processed_by_group(real)
    assert processed_by_group(real)["billing"] == [f"k{i}" for i in range(1, 13)]


def test_a_stopped_group_lags_by_what_was_produced_since(both):
    def script(api, wait):
        api.create_topic("t", 2)
        api.add_member("g", ["t"], member="only", commit_policy="after", **FAST)
        for i in range(4):
            api.send("t", f"v{i}", key=str(i))
        wait(20, until=processed_count("g", 4))
        wait(1)
        api.leave_member("only")
        for i in range(7):
            api.send("t", f"w{i}", key=str(i))
        wait(2)
        group = next(g for g in api.describe()["groups"] if g["group_id"] == "g")
        return group["lag"], sorted((o["partition"], o["lag"]) for o in group["offsets"])

    sim, real = both(script)
    assert sim.result == real.result
    assert sim.result[0] == 7


def test_reset_to_earliest_replays_everything(both):
    def script(api, wait):
        api.create_topic("t", 2)
        for i in range(5):
            api.send("t", f"v{i}", key=str(i))
        api.add_member("g", ["t"], member="first", commit_policy="after", **FAST)
        wait(20, until=processed_count("g", 5))
        wait(1)
        api.leave_member("first")
        reset = api.reset_offsets("g", "t", "earliest")
        api.add_member("g", ["t"], member="second", commit_policy="after", **FAST)
        wait(20, until=processed_count("g", 10))
        return reset

    sim, real = both(script)
    assert sim.result == real.result == {0: 0, 1: 0}
    assert processed_by_group(sim) == processed_by_group(real)
    assert len(processed_by_group(real)["g"]) == 10
