"""Side by side: one producer stream feeds a RabbitMQ and a Kafka topology on one clock.

A `Preset` is data: the commands that build each side, one message stream (published
to the exchange and sent to the topic at the same virtual instants), a timeline of
actions (crash a consumer at t=2, reset a group's offsets...) and the counters it
claims to end with. `run_preset` builds both sides on one `SandboxRuntime` (so one
`Simulator`, one clock, one seed), plays the timeline and returns each side's counters
(`counters`) — the numbers that make the queue-vs-log contrast explicit: copies
stored, messages still retained after consumption, who could still read them,
delivered/processed, duplicates and lost. Leaves out real brokers (the simulator only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.runtime import SandboxRuntime

SIDES = ("amqp", "kafka")


@dataclass(frozen=True)
class Preset:
    """One comparison: both topologies, the stream, the timeline and the claimed counts."""

    name: str
    title: str
    description: str
    amqp: list[dict[str, Any]]  # commands building the RabbitMQ side
    kafka: list[dict[str, Any]]  # commands building the Kafka side
    exchange: str  # where the stream is published ("" is the default exchange)
    routing_key: str
    topic: str
    count: int = 10
    rate: float = 10.0
    actions: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    seconds: float = 10.0
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)  # side -> counter -> value


@dataclass(frozen=True)
class CompareResult:
    """What a run ended with: per side counters, and claims that did not hold."""

    preset: Preset
    counters: dict[str, dict[str, Any]]  # {"amqp": {...}, "kafka": {...}}
    failed_claims: list[str]
    events: list[Any]  # the full event history, for the inspector

    @property
    def ok(self) -> bool:
        return not self.failed_claims


def stream_commands(p: Preset) -> list[dict[str, Any]]:
    """Two producers with the same stream: same count, rate and templates, same start."""
    same = {"rate": p.rate, "count": p.count, "payload": "msg {n}"}
    return [
        {"op": "producer.add", "name": "to-rabbitmq", "broker": "amqp", "target": p.exchange,
         "routing_key": p.routing_key, **same},
        {"op": "producer.add", "name": "to-kafka", "broker": "kafka", "target": p.topic,
         "key_pattern": "key-{n}", **same},
    ]  # fmt: skip


def run_preset(preset: Preset, seed: int = 1) -> CompareResult:
    """Play `preset` on one runtime; its counters and any claim that did not hold."""
    rt = SandboxRuntime(seed, work_budget=None)
    for cmd in [*preset.amqp, *preset.kafka]:
        _apply(rt, cmd)
    rt.advance(0.5)  # groups join before the stream starts, as on a real cluster
    for cmd in stream_commands(preset):
        _apply(rt, cmd)
    start = rt.backend.now
    for at, cmd in sorted(preset.actions, key=lambda a: a[0]):
        rt.advance(max(0.0, start + at - rt.backend.now))
        _apply(rt, cmd)
    rt.advance(max(0.0, start + preset.seconds - rt.backend.now))
    events = list(rt.history)
    state = rt.backend.describe()
    result = {
        "amqp": amqp_counters(events, state["amqp"]),
        "kafka": kafka_counters(events, state["kafka"]),
    }
    failed = [
        f"{side}.{name}: claimed {want!r}, got {result[side].get(name)!r}"
        for side, claims in preset.claims.items()
        for name, want in claims.items()
        if result[side].get(name) != want
    ]
    rt.close()
    return CompareResult(preset, result, failed, events)


def _apply(rt: SandboxRuntime, cmd: dict[str, Any]) -> None:
    reply = rt.apply(cmd)
    if not reply["ok"]:
        raise ValueError(f"preset command {cmd['op']} refused: {reply['error']}")


def _kinds(events: list[Any], *kinds: str) -> list[Any]:
    return [e for e in events if e.kind in kinds]


def amqp_counters(events: list[Any], state: dict[str, Any]) -> dict[str, Any]:
    """RabbitMQ side: copies are per queue; an ack removes the copy (streams keep it)."""
    streams = {q["name"] for q in state["queues"] if q["type"] == "stream"}
    delivered = _kinds(events, "delivered")
    acked = _kinds(events, "acked")
    processed = len(acked) + sum(1 for d in delivered if d.auto_ack)
    kept = {(a.msg, a.queue) for a in acked if a.queue in streams}
    waiting = {q["name"] for q in state["queues"] if q["ready"] or q["unacked"]}
    readers = sorted(c["tag"] for c in state["consumers"] if c["queue"] in waiting | streams)
    return {
        "published": len(_kinds(events, "published")),
        "copies_stored": len(_kinds(events, "enqueued")),
        "stored_now": sum(q["ready"] + q["unacked"] for q in state["queues"]),
        "delivered": len(delivered),
        "processed": processed,
        "redelivered": sum(1 for d in delivered if d.redelivered),
        "duplicates": len(acked) - len({(a.msg, a.queue) for a in acked}),
        "lost": len(_kinds(events, "lost", "dropped")),
        "retained_after_consumption": len(kept),
        "could_still_read": readers,
    }


def kafka_counters(events: list[Any], state: dict[str, Any]) -> dict[str, Any]:
    """Kafka side: one copy per record in the log, whatever the number of groups."""
    processed = _kinds(events, "processed")
    appended = _kinds(events, "appended")
    retained, readers = 0, []
    for topic in state["topics"]:
        for p in topic["partitions"]:
            committed = [
                o["committed"] or 0
                for g in state["groups"]
                for o in g["offsets"]
                if (o["topic"], o["partition"]) == (topic["name"], p["partition"])
            ]
            read_up_to = min(max(committed, default=0), p["log_end"])
            retained += max(0, read_up_to - p["log_start"])
        if any(p["log_end"] > p["log_start"] for p in topic["partitions"]):
            readers += [f"group {g['group_id']} (reset its offsets)" for g in state["groups"]]
            readers.append("any new group (auto.offset.reset=earliest)")
    deleted = sum(e.records for e in _kinds(events, "retention_deleted"))
    return {
        "published": sum(len(e.msgs) for e in appended),
        "copies_stored": sum(len(e.msgs) for e in appended),
        "stored_now": sum(
            p["log_end"] - p["log_start"] for t in state["topics"] for p in t["partitions"]
        ),
        "delivered": sum(len(e.msgs) for e in _kinds(events, "fetched")),
        "processed": sum(len(e.msgs) for e in processed),
        "redelivered": 0,
        "duplicates": sum(len(e.duplicates) for e in processed),
        "lost": deleted,
        "retained_after_consumption": retained,
        "could_still_read": sorted(set(readers)),
    }


def _group(group_id: str, members: int, topic: str, **settings: Any) -> dict[str, Any]:
    return {"op": "group.add", "group_id": group_id, "topics": [topic], "members": members,
            "auto_offset_reset": "earliest", "commit_policy": "after", **settings}  # fmt: skip


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            name="competing",
            title="One queue, two consumers vs one topic, one group of two",
            description=(
                "Both share the work: RabbitMQ pushes round robin to whoever has credit; "
                "Kafka gives each member its own partitions. After the work is done the "
                "queue is empty, while the topic still holds every record."
            ),
            amqp=[
                {"op": "queue.declare", "name": "work"},
                {"op": "consumer.add", "queue": "work", "tag": "worker-1", "prefetch_count": 1},
                {"op": "consumer.add", "queue": "work", "tag": "worker-2", "prefetch_count": 1},
            ],
            kafka=[
                {"op": "topic.create", "name": "work", "partitions": 2},
                _group("workers", 2, "work"),
            ],
            exchange="",
            routing_key="work",
            topic="work",
            claims={
                "amqp": {
                    "published": 10,
                    "copies_stored": 10,
                    "processed": 10,
                    "stored_now": 0,
                    "retained_after_consumption": 0,
                    "could_still_read": [],
                    "duplicates": 0,
                    "lost": 0,
                },
                "kafka": {
                    "published": 10,
                    "copies_stored": 10,
                    "processed": 10,
                    "stored_now": 10,
                    "retained_after_consumption": 10,
                    "duplicates": 0,
                    "lost": 0,
                },
            },  # fmt: skip
        ),
        Preset(
            name="fanout",
            title="Fanout to two queues vs one topic read by two groups",
            description=(
                "Two services each see every message. RabbitMQ copies each message into "
                "both queues (two copies); Kafka stores it once and each group keeps its "
                "own offset."
            ),
            amqp=[
                {"op": "exchange.declare", "name": "news", "type": "fanout"},
                {"op": "queue.declare", "name": "billing"},
                {"op": "queue.declare", "name": "audit"},
                {"op": "bind", "source": "news", "destination": "billing"},
                {"op": "bind", "source": "news", "destination": "audit"},
                {"op": "consumer.add", "queue": "billing", "tag": "billing-1"},
                {"op": "consumer.add", "queue": "audit", "tag": "audit-1"},
            ],
            kafka=[
                {"op": "topic.create", "name": "news", "partitions": 1},
                _group("billing", 1, "news"),
                _group("audit", 1, "news"),
            ],
            exchange="news",
            routing_key="",
            topic="news",
            claims={
                "amqp": {
                    "published": 10,
                    "copies_stored": 20,
                    "processed": 20,
                    "stored_now": 0,
                    "retained_after_consumption": 0,
                },
                "kafka": {
                    "published": 10,
                    "copies_stored": 10,
                    "processed": 20,
                    "stored_now": 10,
                    "retained_after_consumption": 10,
                },
            },  # fmt: skip
        ),
        Preset(
            name="crash",
            title="Crash with unacked messages vs crash before commit",
            description=(
                "A consumer dies at t=2 mid-work. RabbitMQ requeues its unacked messages "
                "and redelivers them (redelivered=true); the Kafka member had processed "
                "records but not committed, so the member taking over reads them again."
            ),
            amqp=[
                {"op": "queue.declare", "name": "jobs"},
                {
                    "op": "consumer.add",
                    "queue": "jobs",
                    "tag": "worker",
                    "prefetch_count": 5,
                    "processing_time": 0.5,
                },
            ],  # fmt: skip
            kafka=[
                {"op": "topic.create", "name": "jobs", "partitions": 1},
                _group(
                    "workers",
                    1,
                    "jobs",
                    commit_policy="auto",
                    auto_commit_interval_ms=5000,
                    processing_time=0.1,
                    session_timeout_ms=1000,
                ),
            ],  # fmt: skip
            exchange="",
            routing_key="jobs",
            topic="jobs",
            actions=[
                (2.0, {"op": "consumer.crash", "tag": "worker"}),
                (2.0, {"op": "member.crash", "member": "workers-1"}),
                (2.5, {"op": "consumer.restart", "tag": "worker"}),
                (2.5, {"op": "member.add", "group_id": "workers"}),
            ],
            seconds=15.0,
            claims={
                "amqp": {
                    "published": 10,
                    "delivered": 15,
                    "redelivered": 5,
                    "processed": 10,
                    "duplicates": 0,
                    "lost": 0,
                    "stored_now": 0,
                },
                "kafka": {
                    "published": 10,
                    "processed": 20,
                    "duplicates": 10,
                    "lost": 0,
                    "retained_after_consumption": 10,
                },
            },  # fmt: skip
        ),
        Preset(
            name="replay",
            title="Replay: impossible on a classic queue, a reset on Kafka",
            description=(
                "Everything is consumed, then we want it again. The classic queue is "
                "empty: a new consumer gets nothing. The Kafka group stops, resets its "
                "offsets to the earliest, and reads all ten records a second time."
            ),
            amqp=[
                {"op": "queue.declare", "name": "events"},
                {"op": "consumer.add", "queue": "events", "tag": "reader"},
            ],
            kafka=[
                {"op": "topic.create", "name": "events", "partitions": 1},
                _group("readers", 1, "events"),
            ],
            exchange="",
            routing_key="events",
            topic="events",
            actions=[
                (4.0, {"op": "consumer.add", "queue": "events", "tag": "replayer"}),
                (4.0, {"op": "member.leave", "member": "readers-1"}),
                (
                    4.5,
                    {
                        "op": "group.reset",
                        "group_id": "readers",
                        "topic": "events",
                        "to": "earliest",
                    },
                ),
                (4.5, {"op": "member.add", "group_id": "readers"}),
            ],  # fmt: skip
            seconds=10.0,
            claims={
                "amqp": {
                    "published": 10,
                    "processed": 10,
                    "stored_now": 0,
                    "retained_after_consumption": 0,
                    "could_still_read": [],
                },
                "kafka": {
                    "published": 10,
                    "processed": 20,
                    "duplicates": 10,
                    "retained_after_consumption": 10,
                },
            },  # fmt: skip
        ),
    ]
}
