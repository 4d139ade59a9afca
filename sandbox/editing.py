"""Editing an entity as a sequence of protocol commands, with the sequence that undoes it.

RabbitMQ cannot change an exchange's or a queue's arguments in place (a redeclare with
different ones fails with PRECONDITION_FAILED), so editing one deletes it and declares it
again, then restores its bindings and consumers. A queue's messages do not survive that,
as on the real broker. Each `plan_*` returns `(plan, restore)`: run `plan`; if a step
fails, run every step of `restore` (ignoring failures) to put the old entity back.
Pure functions of the described state.
"""

from __future__ import annotations

from typing import Any

Commands = list[dict[str, Any]]


def declare_exchange(e: dict[str, Any]) -> dict[str, Any]:
    """The command that declares a described exchange again."""
    return {
        "op": "exchange.declare",
        "name": e["name"],
        "type": e.get("type", "direct"),
        "durable": e.get("durable", True),
        "auto_delete": e.get("auto_delete", False),
        "internal": e.get("internal", False),
        "arguments": dict(e.get("arguments") or {}),
    }


def declare_queue(q: dict[str, Any]) -> dict[str, Any]:
    """The command that declares a described queue again."""
    arguments = dict(q.get("arguments") or {})
    arguments.setdefault("x-queue-type", q.get("type") or "classic")
    return {
        "op": "queue.declare",
        "name": q["name"],
        "durable": q.get("durable", True),
        "exclusive": q.get("exclusive", False),
        "auto_delete": q.get("auto_delete", False),
        "arguments": arguments,
    }


def bind(b: dict[str, Any], op: str = "bind") -> dict[str, Any]:
    """The command that binds (or unbinds) a described binding."""
    return {
        "op": op,
        "source": b["source"],
        "destination": b["destination"],
        "destination_type": b.get("destination_type", "queue"),
        "routing_key": b.get("routing_key", ""),
        "arguments": dict(b.get("arguments") or {}),
    }


def add_consumer(c: dict[str, Any], queue: str | None = None) -> dict[str, Any]:
    """The command that starts a described consumer again (optionally on another queue)."""
    return {
        "op": "consumer.add",
        "tag": c["tag"],
        "queue": queue or c["queue"],
        "prefetch_count": c.get("prefetch", 0),
        "auto_ack": c.get("auto_ack", False),
        "processing_time": c.get("processing_time", 0.0),
        "failure_rate": c.get("failure_rate", 0.0),
        "requeue_on_failure": c.get("requeue_on_failure", True),
    }


def _find(items: list[dict], key: str, name: str) -> dict[str, Any] | None:
    return next((i for i in items if i.get(key) == name), None)


def _renamed(b: dict[str, Any], kind: str, old: str, new: str) -> dict[str, Any]:
    b = dict(b)
    if kind == "exchange" and b["source"] == old:
        b["source"] = new
    if b["destination"] == old and b.get("destination_type", "queue") == kind:
        b["destination"] = new
    return b


def plan_exchange(amqp: dict, original: str, declare: dict) -> tuple[Commands, Commands]:
    """Redeclare exchange `original` as `declare` (maybe renamed), keeping its bindings."""
    old = _find(amqp.get("exchanges", []), "name", original)
    if old is None:
        return [declare], []
    touching = [
        b
        for b in amqp.get("bindings", [])
        if b["source"] == original
        or (b["destination"] == original and b.get("destination_type") == "exchange")
    ]
    new_name = declare["name"]
    plan = [{"op": "exchange.delete", "name": original}, declare]
    plan += [bind(_renamed(b, "exchange", original, new_name)) for b in touching]
    restore = [{"op": "exchange.delete", "name": new_name}, declare_exchange(old)]
    restore += [bind(b) for b in touching]
    return plan, restore


def plan_queue(amqp: dict, original: str, declare: dict) -> tuple[Commands, Commands]:
    """Redeclare queue `original` as `declare`, keeping its bindings and consumers."""
    old = _find(amqp.get("queues", []), "name", original)
    if old is None:
        return [declare], []
    bindings = [
        b
        for b in amqp.get("bindings", [])
        if b["destination"] == original and b.get("destination_type", "queue") == "queue"
    ]
    consumers = [c for c in amqp.get("consumers", []) if c.get("queue") == original]
    new_name = declare["name"]
    # consumer tags outlive a deleted queue on its channel, so remove them first
    removes = [{"op": "consumer.remove", "tag": c["tag"]} for c in consumers]
    plan = [*removes, {"op": "queue.delete", "name": original}, declare]
    plan += [bind(_renamed(b, "queue", original, new_name)) for b in bindings]
    plan += [add_consumer(c, new_name) for c in consumers]
    restore = [*removes, {"op": "queue.delete", "name": new_name}, declare_queue(old)]
    restore += [bind(b) for b in bindings] + [add_consumer(c) for c in consumers]
    return plan, restore


def plan_binding(old: dict, new: dict) -> tuple[Commands, Commands]:
    """Replace binding `old` with `new`."""
    return [bind(old, "unbind"), new], [bind(old)]


def plan_topic(topic: dict | None, command: dict) -> tuple[Commands, Commands]:
    """Change a topic's configs and grow its partitions (Kafka never shrinks them)."""
    plan: Commands = [{"op": "topic.alter", "name": command["name"], "configs": command["configs"]}]
    current = len((topic or {}).get("partitions") or [])
    if command["partitions"] > current:
        plan.append(
            {"op": "topic.partitions", "name": command["name"], "total": command["partitions"]}
        )
    restore: Commands = []
    if topic is not None:
        restore.append(
            {"op": "topic.alter", "name": topic["name"], "configs": topic.get("configs") or {}}
        )
    return plan, restore
