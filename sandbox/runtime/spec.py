"""The sandbox spec: a declarative, JSON-ready description of one sandbox's topology.

The spec is what the database keeps between requests and restarts; the runtime rebuilds a
backend from it (`realize`) and updates it after every successful command. Messages in
flight, offsets and counters are not in the spec: a rebuild gives the same topology, the
same agents and, with the same seed, the same run from there on. Shape (every key is
always present after `normalize`; dicts keep insertion order, which is the replay order):

    {"version": 1,
     "exchanges": {name: {"type", "durable", "auto_delete", "internal", "arguments"}},
     "queues":    {name: {"durable", "exclusive", "auto_delete", "arguments"}},
     "bindings":  [{"source", "destination", "destination_type", "routing_key",
                    "arguments"}],
     "consumers": {tag: {"queue", "prefetch_count", "auto_ack", "processing_time",
                         "failure_rate", "requeue_on_failure", "arguments", "running"}},
     "topics":    {name: {"partitions", "replication_factor", "configs"}},
     "groups":    {group_id: {"topics", "partition_assignment_strategy",
                              "commit_policy", "auto_commit_interval_ms",
                              "auto_offset_reset", "max_poll_records",
                              "processing_time", "session_timeout_ms",
                              "members": [member id, ...], "next": int}},
     "producers": {name: {"broker": "amqp"|"kafka", "target", "routing_key",
                          "key_pattern", "headers", "payload", "priority", "rate",
                          "count", "running", "acks", "enable_idempotence",
                          "linger_ms"}},
     "brokers_down": [kafka broker id, ...],
     "time": {"speed": float, "paused": bool}}

Other top-level keys (a narration's position, say) pass through `normalize` untouched.
`realize` builds only the part the backend can run; the rest stays in the spec, kept
(see `sandbox.runtime.kept`).

Replay order: exchanges, queues, bindings, topics, stopped brokers, consumers (crashed
ones are crashed again), group members, producers. Leaves out per-message state.
"""

from __future__ import annotations

import copy
from typing import Any

from brokers.backend import Backend

SECTIONS: dict[str, type] = {
    "exchanges": dict,
    "queues": dict,
    "bindings": list,
    "consumers": dict,
    "topics": dict,
    "groups": dict,
    "producers": dict,
    "brokers_down": list,
}


def empty_spec() -> dict[str, Any]:
    """A spec with nothing in it."""
    spec: dict[str, Any] = {"version": 1}
    for key, kind in SECTIONS.items():
        spec[key] = kind()
    spec["time"] = {"speed": 1.0, "paused": False}
    return spec


def normalize(spec: dict[str, Any] | None) -> dict[str, Any]:
    """A deep copy of `spec` with every section present and of the right type; keys it
    does not know are kept as they are (other modules store their own state there)."""
    out = empty_spec()
    for key, value in copy.deepcopy(spec or {}).items():
        if key in SECTIONS:
            if isinstance(value, SECTIONS[key]):
                out[key] = value
        elif key == "time":
            if isinstance(value, dict):
                out["time"].update(value)
        elif key != "version":
            out[key] = value
    return out


def topology(spec: dict[str, Any] | None) -> dict[str, Any]:
    """Only the topology of `spec`: version, sections and time (what a file holds)."""
    out = normalize(spec)
    return {key: out[key] for key in ("version", *SECTIONS, "time")}


def count_entities(spec: dict[str, Any]) -> int:
    """What the entity cap counts: every exchange, queue, binding, consumer, partition,
    group, group member and producer."""
    return (
        len(spec["exchanges"])
        + len(spec["queues"])
        + len(spec["bindings"])
        + len(spec["consumers"])
        + sum(int(t.get("partitions", 1)) for t in spec["topics"].values())
        + sum(1 + len(g.get("members", [])) for g in spec["groups"].values())
        + len(spec["producers"])
    )


def consumer_kwargs(conf: dict[str, Any]) -> dict[str, Any]:
    """basic_consume keyword arguments from a spec consumer."""
    return {
        "auto_ack": conf["auto_ack"],
        "prefetch_count": conf["prefetch_count"],
        "processing_time": conf["processing_time"],
        "failure_rate": conf["failure_rate"],
        "requeue_on_failure": conf["requeue_on_failure"],
        "arguments": conf["arguments"] or None,
    }


GROUP_SETTINGS = (
    "partition_assignment_strategy",
    "commit_policy",
    "auto_commit_interval_ms",
    "auto_offset_reset",
    "max_poll_records",
    "processing_time",
    "session_timeout_ms",
)


def member_kwargs(conf: dict[str, Any]) -> dict[str, Any]:
    """add_member keyword arguments from a spec group."""
    return {key: conf[key] for key in GROUP_SETTINGS}


def bind(backend: Backend, b: dict[str, Any]) -> None:
    """Create one spec binding on the backend."""
    args = b["arguments"] or None
    if b["destination_type"] == "exchange":
        backend.amqp.exchange_bind(b["destination"], b["source"], b["routing_key"], args)
    else:
        backend.amqp.queue_bind(b["destination"], b["source"], b["routing_key"], args)


def unbind(backend: Backend, b: dict[str, Any]) -> None:
    """Remove one spec binding from the backend."""
    args = b["arguments"] or None
    if b["destination_type"] == "exchange":
        backend.amqp.exchange_unbind(b["destination"], b["source"], b["routing_key"], args)
    else:
        backend.amqp.queue_unbind(b["destination"], b["source"], b["routing_key"], args)


def runs_brokers_down(backend: Backend) -> bool:
    """Whether `backend` can take Kafka brokers down: only the simulator's cluster can,
    the one backend with virtual time (real ones, combined ones too, cannot)."""
    return backend.kafka is not None and backend.steppable


def realize(backend: Backend, spec: dict[str, Any]) -> None:
    """Declare everything in `spec` the backend can run on a fresh backend, in replay
    order; the rest (the other broker's half, stopped brokers on a real cluster) is kept."""
    amqp, kafka = backend.amqp, backend.kafka
    on_amqp, on_kafka = amqp is not None, kafka is not None
    for name, x in spec["exchanges"].items() if on_amqp else ():
        amqp.exchange_declare(
            name, x["type"], x["durable"], x["auto_delete"], x["internal"], x["arguments"] or None
        )
    for name, q in spec["queues"].items() if on_amqp else ():
        amqp.queue_declare(name, q["durable"], q["exclusive"], q["auto_delete"], q["arguments"])
    for b in spec["bindings"] if on_amqp else ():
        bind(backend, b)
    for name, t in spec["topics"].items() if on_kafka else ():
        kafka.create_topic(name, t["partitions"], t["replication_factor"], t["configs"] or None)
    for broker_id in spec["brokers_down"] if runs_brokers_down(backend) else ():
        kafka.stop_broker(broker_id)
    for tag, c in spec["consumers"].items() if on_amqp else ():
        amqp.basic_consume(c["queue"], consumer_tag=tag, **consumer_kwargs(c))
        if not c.get("running", True):
            amqp.crash_consumer(tag)
    for group_id, g in spec["groups"].items() if on_kafka else ():
        for member in g["members"]:
            kafka.add_member(group_id, g["topics"], member=member, **member_kwargs(g))
        if not g["members"] and getattr(backend, "steppable", False):
            # an empty group exists in Kafka through its offsets; a fresh simulator has
            # none, so it gets them at the start of each log (a real broker kept its own)
            for topic in (t for t in g["topics"] if t in spec["topics"]):
                kafka.reset_offsets(group_id, topic, "earliest")
    for name, p in spec["producers"].items() if on_kafka else ():
        if p["broker"] == "kafka":
            kafka.add_producer(name, p["acks"], p["enable_idempotence"], p["linger_ms"])
