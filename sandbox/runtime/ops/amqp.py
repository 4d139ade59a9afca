"""RabbitMQ commands: read the fields, call the backend, then record the change in the spec.

Each handler takes the runtime and the command's `Fields` and returns the extra reply
fields. The backend validates before it changes anything, and the spec is touched only
after the backend call succeeded, so a refused command leaves both as they were. The
one two-step command (`consumer.update`) puts the old consumer back if the new one is
refused (it needs the backend to let a cancelled consumer's tag be used again, as
RabbitMQ does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sandbox.runtime.spec as specs
from brokers.amqp.validation import EXCHANGE_TYPES
from brokers.errors import BrokerError
from sandbox.runtime.commands import command
from sandbox.runtime.fields import CommandError, Fields

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime

DESTINATION_TYPES = ("queue", "exchange")
MAX_EXPIRATION_MS = 2**31 - 1  # a message's expiration (per-message TTL), in ms


@command("exchange.declare")
def exchange_declare(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name = f.name("name")
    conf = {
        "type": f.choice("type", EXCHANGE_TYPES, "direct"),
        "durable": f.flag("durable", True),
        "auto_delete": f.flag("auto_delete", False),
        "internal": f.flag("internal", False),
        "arguments": f.mapping("arguments"),
    }
    if name not in rt.spec["exchanges"]:
        rt.need_room(1)
    rt.amqp.exchange_declare(
        name, conf["type"], conf["durable"], conf["auto_delete"], conf["internal"],
        conf["arguments"] or None,
    )  # fmt: skip
    rt.spec["exchanges"][name] = conf
    return {"name": name}


@command("exchange.delete")
def exchange_delete(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name = f.name("name")
    rt.amqp.exchange_delete(name)
    rt.spec["exchanges"].pop(name, None)
    rt.spec["bindings"] = [
        b for b in rt.spec["bindings"] if name not in (b["source"], _exchange_dest(b))
    ]
    return {"name": name}


def _exchange_dest(b: dict[str, Any]) -> str | None:
    return b["destination"] if b["destination_type"] == "exchange" else None


@command("queue.declare")
def queue_declare(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name = f.name("name", "", allow_empty=True)
    conf = {
        "durable": f.flag("durable", True),
        "exclusive": f.flag("exclusive", False),
        "auto_delete": f.flag("auto_delete", False),
        "arguments": f.mapping("arguments"),
    }
    if name not in rt.spec["queues"]:
        rt.need_room(1)
    name = rt.amqp.queue_declare(
        name, conf["durable"], conf["exclusive"], conf["auto_delete"], conf["arguments"]
    )
    rt.spec["queues"][name] = conf
    return {"name": name}


@command("queue.delete")
def queue_delete(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name = f.name("name")
    messages = rt.amqp.queue_delete(name)
    rt.spec["queues"].pop(name, None)
    rt.spec["bindings"] = [
        b
        for b in rt.spec["bindings"]
        if not (b["destination_type"] == "queue" and b["destination"] == name)
    ]
    rt.spec["consumers"] = {t: c for t, c in rt.spec["consumers"].items() if c["queue"] != name}
    return {"name": name, "messages": messages}


@command("queue.purge", changes_spec=False)
def queue_purge(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    return {"messages": rt.amqp.queue_purge(f.name("name"))}


def _binding(f: Fields) -> dict[str, Any]:
    kind = f.choice("destination_type", DESTINATION_TYPES, "queue")
    destination = f.name("destination")
    default_key = destination if kind == "queue" else ""
    return {
        "source": f.name("source", "", allow_empty=True),
        "destination": destination,
        "destination_type": kind,
        "routing_key": f.key("routing_key", default_key),
        "arguments": f.mapping("arguments"),
    }


@command("bind")
def bind(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    binding = _binding(f)
    known = binding in rt.spec["bindings"]
    if not known:
        rt.need_room(1)
    specs.bind(rt.backend, binding)
    if not known:
        rt.spec["bindings"].append(binding)
    return {"binding": binding}


@command("unbind")
def unbind(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    binding = _binding(f)
    specs.unbind(rt.backend, binding)
    rt.spec["bindings"] = [b for b in rt.spec["bindings"] if b != binding]
    return {"binding": binding}


def _consumer_conf(f: Fields, base: dict[str, Any]) -> dict[str, Any]:
    def pick(name: str, read: Any) -> Any:
        return read() if f.has(name) or name not in base else base[name]

    return {
        "queue": pick("queue", lambda: f.name("queue")),
        "prefetch_count": pick("prefetch_count", lambda: f.integer("prefetch_count", 0, 0, 65535)),
        "auto_ack": pick("auto_ack", lambda: f.flag("auto_ack", False)),
        "processing_time": pick(
            "processing_time", lambda: f.number("processing_time", 0.0, 0.0, 3600.0)
        ),
        "failure_rate": pick("failure_rate", lambda: f.number("failure_rate", 0.0, 0.0, 1.0)),
        "requeue_on_failure": pick(
            "requeue_on_failure", lambda: f.flag("requeue_on_failure", True)
        ),
        "arguments": pick("arguments", lambda: f.mapping("arguments")),
        "running": True,
    }


def _free_tag(rt: SandboxRuntime, queue: str) -> str:
    k = 1
    while f"{queue}-c{k}" in rt.spec["consumers"]:
        k += 1
    return f"{queue}-c{k}"


@command("consumer.add")
def consumer_add(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    conf = _consumer_conf(f, {})
    tag = f.name("tag") if f.has("tag") else _free_tag(rt, conf["queue"])
    if tag in rt.spec["consumers"]:
        raise CommandError(f"A consumer tagged {tag!r} already exists.", "tag")
    rt.need_room(1)
    rt.amqp.basic_consume(conf["queue"], consumer_tag=tag, **specs.consumer_kwargs(conf))
    rt.spec["consumers"][tag] = conf
    return {"tag": tag}


@command("consumer.update")
def consumer_update(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    tag, old = _known_consumer(rt, f)
    conf = _consumer_conf(f, old)
    rt.amqp.basic_cancel(tag)
    try:
        rt.amqp.basic_consume(conf["queue"], consumer_tag=tag, **specs.consumer_kwargs(conf))
    except BrokerError:
        if old.get("running", True):
            rt.amqp.restart_consumer(tag)  # the old consumer, with its old settings
        raise
    rt.spec["consumers"][tag] = conf
    return {"tag": tag}


def _known_consumer(rt: SandboxRuntime, f: Fields) -> tuple[str, dict[str, Any]]:
    tag = f.name("tag")
    if tag not in rt.spec["consumers"]:
        raise CommandError(f"No consumer tagged {tag!r}.", "tag")
    return tag, rt.spec["consumers"][tag]


@command("consumer.remove")
def consumer_remove(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    tag, _ = _known_consumer(rt, f)
    rt.amqp.basic_cancel(tag)
    del rt.spec["consumers"][tag]
    return {"tag": tag}


@command("consumer.crash")
def consumer_crash(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    tag, conf = _known_consumer(rt, f)
    rt.amqp.crash_consumer(tag)
    conf["running"] = False
    return {"tag": tag}


@command("consumer.restart")
def consumer_restart(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    tag, conf = _known_consumer(rt, f)
    rt.amqp.restart_consumer(tag)
    conf["running"] = True
    return {"tag": tag}


def publish_conf(f: Fields) -> dict[str, Any]:
    """The message template of a `publish` command or an AMQP producer."""
    return {
        "broker": "amqp",
        "target": f.name("exchange", f.command.get("target") or "", allow_empty=True),
        "routing_key": f.key("routing_key"),
        "key_pattern": f.key("key_pattern"),
        "payload": f.payload("body", f.payload("payload")),
        "headers": f.mapping("headers"),
        "priority": f.integer("priority", 0, 0, 255) if f.has("priority") else None,
        "expiration": _expiration(f),
        "mandatory": f.flag("mandatory", False),
    }


def _expiration(f: Fields) -> str | None:
    if not f.has("expiration") or f.command["expiration"] == "":
        return None
    return str(f.integer("expiration", None, 0, MAX_EXPIRATION_MS))
