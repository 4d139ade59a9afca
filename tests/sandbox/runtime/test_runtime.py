"""The sandbox runtime applies commands, refuses bad ones untouched, keeps caps, and is
deterministic, on the real simulator."""

from __future__ import annotations

import json

import pytest

from sandbox import protocol
from sandbox.runtime import Caps, SandboxRuntime


def ok(rt: SandboxRuntime, **command) -> dict:
    result = rt.apply(command)
    assert result["ok"], result
    return result


def refused(rt: SandboxRuntime, **command) -> dict:
    result = rt.apply(command)
    assert result["ok"] is False, result
    assert result["error"]
    return result


def state(rt: SandboxRuntime) -> str:
    """Everything observable: the spec and the backend's state."""
    return json.dumps({"spec": rt.spec, "state": rt.backend.describe()}, sort_keys=True)


def shop(rt: SandboxRuntime) -> None:
    """A small topology on both brokers."""
    ok(rt, op="exchange.declare", name="orders", type="topic")
    ok(rt, op="queue.declare", name="eu")
    ok(rt, op="bind", source="orders", destination="eu", routing_key="eu.#")
    ok(rt, op="queue.declare", name="work")
    ok(rt, op="consumer.add", queue="work", prefetch_count=5, processing_time=0.02)
    ok(rt, op="topic.create", name="events", partitions=3)
    ok(rt, op="group.add", group_id="readers", topics=["events"], members=2)


def test_commands_build_the_topology_and_record_it_in_the_spec():
    rt = SandboxRuntime(7)
    shop(rt)
    amqp = rt.backend.describe()["amqp"]
    assert {"orders", ""} <= {x["name"] for x in amqp["exchanges"]}
    assert [b["routing_key"] for b in amqp["bindings"] if b["source"] == "orders"] == ["eu.#"]
    assert list(rt.spec["queues"]) == ["eu", "work"]
    assert list(rt.spec["consumers"]) == ["work-c1"]
    assert rt.spec["groups"]["readers"]["members"] == ["readers-1", "readers-2"]
    assert rt.spec["topics"]["events"]["partitions"] == 3


def test_a_publish_answers_with_the_message_id_and_the_message_is_queued():
    rt = SandboxRuntime(7)
    shop(rt)
    result = ok(rt, op="publish", exchange="orders", routing_key="eu.fr", body="hi", count=3)
    assert result["msgs"] == [result["msg"], *result["msgs"][1:]] and result["count"] == 3
    frame = rt.tick(0.05)
    assert frame["series"]["depth"]["eu"] == 3
    assert any(m["to"] == "q:eu" and m["msg"] == result["msg"] for m in frame["moves"])


@pytest.mark.parametrize(
    "command",
    [
        {"op": "nonsense"},
        {"op": "queue.declare", "name": "q" * 300},
        {"op": "exchange.declare", "name": "x", "type": "zigzag"},
        {"op": "bind", "source": "nowhere", "destination": "eu"},
        {"op": "consumer.add", "queue": "missing"},
        {"op": "consumer.add", "queue": "eu", "prefetch_count": -1},
        {"op": "consumer.remove", "tag": "nobody"},
        {"op": "publish", "exchange": "missing", "routing_key": "a", "count": 5},
        {"op": "topic.create", "name": "events", "partitions": 2},
        {"op": "topic.create", "name": "t2", "partitions": 0},
        {"op": "group.add", "group_id": "g2", "topics": ["missing"], "members": 2},
        {"op": "producer.add", "name": "p", "target": "missing", "rate": 5},
        {"op": "producer.add", "name": "p", "target": "orders", "rate": 5, "payload": "{zz}"},
        {"op": "time.speed", "speed": 50},
        {"op": "send", "topic": "events", "count": "many"},
    ],
    ids=lambda c: c["op"],
)
def test_a_refused_command_changes_neither_the_spec_nor_the_backend(command):
    rt = SandboxRuntime(3)
    shop(rt)
    rt.tick(0.1)
    before, version = state(rt), rt.spec_version
    result = refused(rt, **command)
    assert state(rt) == before
    assert rt.spec_version == version
    assert rt.backend.drain() == []
    assert set(result) == {"ok", "error", "field"}


def test_a_bad_field_is_named_in_the_answer():
    rt = SandboxRuntime(3)
    assert refused(rt, op="queue.declare", name="q", arguments="nope")["field"] == "arguments"
    assert refused(rt, op="time.speed", speed=0)["field"] == "speed"


def test_the_entity_cap_refuses_with_a_clear_message():
    rt = SandboxRuntime(3, caps=Caps(max_entities=3))
    for name in ("a", "b", "c"):
        ok(rt, op="queue.declare", name=name)
    result = refused(rt, op="queue.declare", name="d")
    assert result["error"] == "This sandbox holds 3 entities, its limit; delete some first."
    ok(rt, op="queue.delete", name="a")
    ok(rt, op="queue.declare", name="d")
    ok(rt, op="queue.delete", name="b")
    assert "its limit is 3" in refused(rt, op="topic.create", name="t", partitions=4)["error"]


def test_publishing_past_the_retained_cap_is_refused_and_producers_block():
    rt = SandboxRuntime(3, caps=Caps(max_retained=10))
    ok(rt, op="queue.declare", name="q")
    assert "refused" in refused(rt, op="publish", routing_key="q", count=11)["error"]
    ok(rt, op="publish", routing_key="q", count=10)
    rt.tick(0.05)
    assert "its limit" in refused(rt, op="publish", routing_key="q", rate=5, count=3)["error"]
    ok(rt, op="producer.add", name="p", target="", routing_key="q", rate=10)
    frame = rt.tick(0.2)
    assert frame["producers"][0]["state"] == "blocked"
    assert frame["series"]["depth"]["q"] == 10
    ok(rt, op="queue.purge", name="q")
    rt.tick(0.05)
    frame = rt.tick(0.5)
    assert frame["producers"][0]["state"] == "running" and frame["series"]["depth"]["q"] > 0


def test_a_publish_rate_over_the_cap_is_refused():
    rt = SandboxRuntime(3, caps=Caps(max_publish_rate=100))
    ok(rt, op="queue.declare", name="q")
    assert refused(rt, op="producer.add", name="p", routing_key="q", rate=101)["field"] == "rate"
    ok(rt, op="producer.add", name="p", routing_key="q", rate=60)
    result = refused(rt, op="producer.add", name="p2", routing_key="q", rate=60)
    assert "120 msg/s in total" in result["error"] and "100 msg/s" in result["error"]
    ok(rt, op="producer.stop", name="p")
    ok(rt, op="producer.add", name="p2", routing_key="q", rate=60)
    assert "msg/s" in refused(rt, op="producer.start", name="p")["error"]


def test_producers_publish_on_the_virtual_clock_with_seeded_templates():
    rt = SandboxRuntime(5)
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="producer.add", name="p", routing_key="q", payload="{n}:{choice:a|b}", rate=10)
    frame = rt.tick(1.0)  # virtual t = 0.0, 0.1, ... 1.0
    assert frame["producers"][0]["sent"] == 11
    rt.tick(0.0)
    assert rt.backend.describe()["amqp"]["queues"][0]["ready"] == 11


def test_a_paced_publish_spreads_its_count_over_time():
    rt = SandboxRuntime(5)
    ok(rt, op="queue.declare", name="q")
    result = ok(rt, op="publish", routing_key="q", count=20, rate=10)
    assert result["count"] == 20
    assert rt.tick(1.0)["series"]["depth"]["q"] == 11
    assert rt.tick(0.25)["series"]["depth"]["q"] == 13
    for _ in range(10):
        rt.tick(0.25)
    assert rt.bursts == {} and rt.frame()["series"]["depth"]["q"] == 20


def run_script(seed: int) -> tuple[list[str], list[dict]]:
    rt = SandboxRuntime(seed)
    shop(rt)
    ok(rt, op="consumer.add", queue="eu", failure_rate=0.3, processing_time=0.05)
    ok(rt, op="producer.add", name="p", target="orders", key_pattern="eu.{choice:fr|de}", rate=40)
    ok(rt, op="producer.add", name="k", broker="kafka", target="events",
       key_pattern="user-{int:1-9}", payload="{n}", rate=30)  # fmt: skip
    frames = []
    for i in range(40):
        if i == 10:
            ok(rt, op="member.crash", member="readers-1")
        if i == 20:
            ok(rt, op="consumer.crash", tag="work-c1")
        frame = rt.tick(0.05)
        frames.append(json.dumps(frame, sort_keys=True))
    return frames, rt.trace(limit=1000)


def test_same_seed_and_same_commands_give_identical_frames_and_events():
    frames_a, events_a = run_script(11)
    frames_b, events_b = run_script(11)
    assert frames_a == frames_b
    assert events_a == events_b and len(events_a) > 100


def test_a_different_seed_gives_a_different_run():
    assert run_script(11)[1] != run_script(12)[1]


def test_a_runtime_rebuilt_from_the_spec_has_the_same_topology():
    rt = SandboxRuntime(9)
    shop(rt)
    ok(rt, op="producer.add", name="p", target="orders", routing_key="eu.x", rate=5)
    ok(rt, op="consumer.crash", tag="work-c1")
    ok(rt, op="member.add", group_id="readers")
    saved = json.loads(json.dumps(rt.spec))
    again = SandboxRuntime(9, saved)
    twice = SandboxRuntime(9, saved)
    for name in ("amqp", "kafka"):
        live, rebuilt = rt.backend.describe()[name], again.backend.describe()[name]
        for key in ("exchanges", "bindings", "topics", "brokers"):
            if key in live:
                assert _names(live[key]) == _names(rebuilt[key])
    assert [c["tag"] for c in again.backend.describe()["amqp"]["consumers"]] == ["work-c1"]
    members = again.backend.describe()["kafka"]["groups"][0]["members"]
    assert sorted(m["member"] for m in members) == ["readers-1", "readers-2", "readers-3"]
    for _ in range(10):
        assert json.dumps(again.tick(0.1), sort_keys=True) == json.dumps(
            twice.tick(0.1), sort_keys=True
        )


def _names(items: list[dict]) -> list:
    return [i.get("name", i.get("routing_key", i.get("id"))) for i in items]


def test_reset_empties_the_topology_and_keeps_the_seed():
    rt = SandboxRuntime(9)
    shop(rt)
    ok(rt, op="sandbox.reset")
    assert rt.spec["queues"] == {} and rt.seed == 9
    assert [q["name"] for q in rt.backend.describe()["amqp"]["queues"]] == []


def test_a_frame_stays_bounded_under_a_20k_message_burst():
    rt = SandboxRuntime(1, caps=Caps(max_retained=50_000))  # one tick publishes them all
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="consumer.add", queue="q", prefetch_count=100)
    ok(rt, op="producer.add", name="p", routing_key="q", payload="x" * 200, rate=2000)
    ok(rt, op="time.speed", speed=20)
    frame = rt.tick(0.5)  # 10 virtual seconds: 20,000 messages in one tick
    assert frame["producers"][0]["sent"] >= 20_000
    assert len(json.dumps(frame)) <= 64 * 1024
    assert len(frame["moves"]) == protocol.FRAME_MAX_MOVES
    assert {m["kind"] for m in frame["moves"]} >= {"published", "routed", "delivered", "acked"}
    assert len(frame["log"]) == protocol.FRAME_MAX_LOG and frame["more"] > 20_000
    assert len(rt.history) == rt.caps.event_history


def test_kafka_batches_become_moves_between_producer_partition_member_and_group():
    rt = SandboxRuntime(1)
    ok(rt, op="topic.create", name="t", partitions=2)
    ok(rt, op="group.add", group_id="g", topics=["t"], members=2, commit_policy="after")
    ok(rt, op="producer.add", name="k", broker="kafka", target="t", key_pattern="{n}", rate=200)
    rt.tick(0.2)
    edges = set()
    for _ in range(10):
        edges |= {(m["kind"], m["from"].split(":")[0], m["to"].split(":")[0])
                  for m in rt.tick(0.1)["moves"]}  # fmt: skip
    assert {("appended", "p", "tp"), ("fetched", "tp", "m"), ("committed", "m", "g")} <= edges


def test_pause_stops_time_and_step_runs_one_action():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="producer.add", name="p", routing_key="q", rate=2)
    ok(rt, op="time.pause")
    rt.tick(0.1)
    assert rt.tick(1.0) is None and rt.backend.now == 0.0
    frame = rt.step()
    assert frame["stepped"] is True and frame["paused"] is True
    assert [e["kind"] for e in frame["log"]][:1] == ["published"]
    assert ok(rt, op="time.step")["now"] == 0.5
    assert rt.tick(0.1)["series"]["depth"]["q"] == 2
    ok(rt, op="time.play")
    assert rt.tick(0.1)["now"] == pytest.approx(0.6)


def test_speed_scales_virtual_time():
    rt = SandboxRuntime(1)
    ok(rt, op="time.speed", speed=4)
    assert rt.tick(0.1)["now"] == pytest.approx(0.4)
    ok(rt, op="time.speed", speed=0.1)
    assert rt.tick(0.1)["now"] == pytest.approx(0.41)


def test_a_snapshot_carries_recent_history_and_trace_follows_one_message():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="q")
    msg = ok(rt, op="publish", routing_key="q", body="x")["msg"]
    ok(rt, op="publish", routing_key="q", body="y")
    rt.tick(0.1)
    snap = ok(rt, op="sandbox.snapshot")["frame"]
    assert snap["moves"] == [] and snap["log"] and snap["type"] == "frame"
    events = ok(rt, op="message.trace", msg=msg)["events"]
    assert events and all(e.get("msg") == msg for e in events)
    assert [e["kind"] for e in events][:2] == ["published", "routed"]


def test_the_frame_has_the_protocol_keys():
    rt = SandboxRuntime(1)
    frame = rt.frame()
    expected = {"type", "seq", "now", "speed", "paused", "seed", "status", "amqp", "kafka",
                "moves", "log", "more", "series"}  # fmt: skip
    assert expected <= set(frame)
    assert set(frame["series"]) == {"now", "lag", "depth"}


def test_a_refused_consumer_update_leaves_the_consumer_as_it_was():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="consumer.add", queue="q", tag="w", prefetch_count=3)
    before = state(rt)
    refused(rt, op="consumer.update", tag="w", queue="missing")
    rt.backend.drain()
    consumer = rt.backend.describe()["amqp"]["consumers"][0]
    assert consumer["state"] != "cancelled" and consumer["prefetch"] == 3
    assert json.loads(state(rt))["spec"] == json.loads(before)["spec"]


def test_a_consumer_update_changes_its_settings_under_the_same_tag():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="consumer.add", queue="q", tag="w", prefetch_count=3)
    ok(rt, op="consumer.update", tag="w", prefetch_count=10)
    assert rt.backend.describe()["amqp"]["consumers"][-1]["prefetch"] == 10


def test_every_protocol_op_has_a_handler_and_nothing_else_does():
    from sandbox.runtime.commands import COMMANDS

    assert set(COMMANDS) == set(protocol.ALL_OPS)


def test_time_at_runs_a_command_on_the_virtual_clock_and_refuses_what_cannot_wait():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="work")
    ok(rt, op="consumer.add", queue="work", tag="c1")
    crash = {"op": "consumer.crash", "tag": "c1"}
    assert ok(rt, op="time.at", after=2.0, command=crash)["at"] == 2.0
    rt.advance(1.9)
    assert not [e for e in rt.history if e.kind == "consumer_crashed"]
    rt.advance(0.2)
    crashed = [e for e in rt.history if e.kind == "consumer_crashed"]
    assert len(crashed) == 1 and crashed[0].t == 2.0
    assert refused(rt, op="time.at", after=1, command={"op": "sandbox.reset"})["field"] == "command"
    assert refused(rt, op="time.at", after=1, command={"op": "nope"})["field"] == "command"
    assert refused(rt, op="time.at", after=-1, command={"op": "time.play"})["field"] == "after"


def test_time_at_is_dropped_by_a_rebuild():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="work")
    ok(rt, op="time.at", after=1.0, command={"op": "queue.delete", "name": "work"})
    ok(rt, op="sandbox.reset")
    ok(rt, op="queue.declare", name="work")
    rt.advance(2.0)
    assert [q["name"] for q in rt.backend.describe()["amqp"]["queues"]] == ["work"]
