"""The part of a sandbox its backend cannot run: kept in the spec, drawn greyed, refused.

A sandbox's spec is always its whole topology, whichever backend it runs on. Real
RabbitMQ cannot run the Kafka half (topics, groups, stopped brokers, Kafka producers);
real Kafka cannot run the RabbitMQ half (exchanges, queues, bindings, consumers, AMQP
producers), nor stop its brokers. That part is *kept*: `spec.realize` skips it, frames
describe it from the spec (`describe_amqp`, `describe_kafka`, `describe_producers`:
state "kept", counters at zero) so the diagram draws it greyed, saying where it runs
(`RUNS_ON`), and a command aimed at it is refused with `refusal(...)`, changing nothing
(we chose refusing over editing a part nobody can see run). Switching to a backend that
runs it builds it again, live. Leaves out messages: a kept part holds none, as every
part of a rebuilt sandbox starts empty.
"""

from __future__ import annotations

from typing import Any

from brokers.backend import Backend
from sandbox import protocol

BROKERS = ("amqp", "kafka")
NAMES = {"amqp": "RabbitMQ", "kafka": "Kafka"}
RUNS_ON = {"amqp": "the simulator or real RabbitMQ", "kafka": "the simulator or real Kafka"}
BACKENDS = {"sim": "the simulator", "rabbitmq": "real RabbitMQ", "kafka": "real Kafka"}
KEPT = "kept"  # the state a kept consumer, member, group or producer shows

#: op -> the broker it acts on (producer ops: the producer's broker, see `command_broker`)
OP_BROKER = {
    **{op: "amqp" for op in protocol.AMQP_OPS},  # publish among them
    **{op: "kafka" for op in protocol.KAFKA_OPS},  # and send
}
PRODUCER_OPS = protocol.PRODUCER_OPS


def kept_brokers(backend: Backend) -> tuple[str, ...]:
    """The brokers whose part of the spec `backend` cannot run."""
    return tuple(b for b in BROKERS if getattr(backend, b, None) is None)


def refusal(broker: str, backend_kind: str) -> str:
    """The message a command aimed at a kept part gets."""
    here = BACKENDS.get(backend_kind, "this backend")
    return (
        f"The {NAMES[broker]} part is kept, not running, while this sandbox is on {here}: "
        f"switch to {RUNS_ON[broker]} to change or run it."
    )


def command_broker(op: str, command: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """The broker `command` acts on, or None (time, sandbox, narration, reads)."""
    if op in PRODUCER_OPS:
        known = spec["producers"].get(command.get("name"))
        broker = known["broker"] if isinstance(known, dict) else command.get("broker", "amqp")
        return broker if broker in BROKERS else None
    return OP_BROKER.get(op)


# -- kept parts as `describe()` would show them --------------------------------------------


def describe_amqp(spec: dict[str, Any]) -> dict[str, Any]:
    """The RabbitMQ half of `spec` in the shape of `AmqpApi.describe()`, nothing running."""
    consumers_of: dict[str, int] = {}
    for c in spec["consumers"].values():
        consumers_of[c["queue"]] = consumers_of.get(c["queue"], 0) + 1
    return {
        "exchanges": [
            {
                "name": name,
                "builtin": False,
                **_pick(x, "type", "durable", "auto_delete", "internal", "arguments"),
            }
            for name, x in spec["exchanges"].items()
        ],  # fmt: skip
        "queues": [
            {
                "name": name,
                "type": (q.get("arguments") or {}).get("x-queue-type", "classic"),
                "ready": 0,
                "unacked": 0,
                "consumers": consumers_of.get(name, 0),
                "bytes": 0,
                **_pick(q, "arguments", "durable", "exclusive", "auto_delete"),
            }
            for name, q in spec["queues"].items()
        ],
        "bindings": [dict(b) for b in spec["bindings"]],
        "consumers": [
            {
                "tag": tag,
                "queue": c["queue"],
                "state": KEPT,
                "prefetch": c.get("prefetch_count", 0),
                "auto_ack": c.get("auto_ack", False),
                "unacked": 0,
                "delivered": 0,
                "acked": 0,
                "nacked": 0,
            }
            for tag, c in spec["consumers"].items()
        ],
    }


def describe_kafka(spec: dict[str, Any]) -> dict[str, Any]:
    """The Kafka half of `spec` in the shape of `KafkaApi.describe()`, nothing running."""
    empty = {"leader": None, "isr": [], "log_start": 0, "high_watermark": 0, "log_end": 0}
    return {
        "brokers": [],
        "topics": [
            {
                "name": name,
                "configs": dict(t.get("configs") or {}),
                "replication_factor": t.get("replication_factor", 1),
                "partitions": [
                    {"partition": p, **empty} for p in range(int(t.get("partitions", 1)))
                ],
            }
            for name, t in spec["topics"].items()
        ],
        "groups": [
            {
                "group_id": gid,
                "state": KEPT,
                "generation": 0,
                "assignor": g.get("partition_assignment_strategy", "range"),
                "members": [
                    {
                        "member": m,
                        "state": KEPT,
                        "topics": list(g.get("topics") or []),
                        "assignment": [],
                        "processed": 0,
                    }
                    for m in g.get("members", [])
                ],  # fmt: skip
                "offsets": [],
                "lag": 0,
            }
            for gid, g in spec["groups"].items()
        ],
        "consumers": [],
        "producers": [],
    }


def describe_producers(spec: dict[str, Any], kept: tuple[str, ...]) -> list[dict[str, Any]]:
    """The kept producers as an agent's `describe()` shows a producer."""
    return [
        {
            "name": name,
            "broker": p["broker"],
            "target": p.get("target", ""),
            "rate": float(p.get("rate") or 0),
            "count": int(p.get("count") or 0),
            "sent": 0,
            "state": KEPT,
            "error": "",
        }
        for name, p in spec["producers"].items()
        if p.get("broker") in kept
    ]


def _pick(conf: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: conf[k] for k in keys if k in conf}
