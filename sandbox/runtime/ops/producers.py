"""The producer commands, and publish/send: each runs an `Agent` (`sandbox.runtime.agent`).

A producer (or a `publish`/`send` command with a `count` and a `rate`) is an `Agent`:
message k (from 0) is published at `start + k / rate` virtual seconds, scheduled on the
backend's clock, so a run is the same whatever the tick sizes. Keys and payloads are
templates (see `templates`) expanded with an RNG seeded from the sandbox seed and the
producer's name. With `rate` 0 a command publishes its whole `count` at once.

Caps: a producer's rate, and all running agents' rates together, stay within the
sandbox's publish-rate cap (refused otherwise). When the sandbox retains as many
messages (or as much estimated memory) as its caps allow, agents are *blocked* — they
skip their turn, as RabbitMQ blocks publishers on a resource alarm — and resume when
messages are consumed. On a
real broker that went away an agent is *disconnected*: it tries again every RETRY_AFTER
seconds and goes on from the first publish that succeeds (no burst to catch up), as a
producer application retrying its connection would. Any other refusal (an exchange or
topic deleted under it) stops it with the broker's words as its error.
Leaves out bursts smoother than one timer per message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brokers.errors import BrokerError, CapacityExceeded
from sandbox import protocol
from sandbox.runtime.agent import Agent
from sandbox.runtime.commands import command
from sandbox.runtime.fields import CommandError, Fields
from sandbox.runtime.memory import MESSAGE_BYTES
from sandbox.runtime.ops.amqp import publish_conf
from sandbox.runtime.ops.kafka import send_conf

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime


def _check_rate(rt: SandboxRuntime, rate: float, exclude: str = "") -> None:
    cap = rt.caps.max_publish_rate
    total = rt.total_rate(exclude) + rate
    if total > cap:
        raise CapacityExceeded(
            f"Producers would publish {total:g} msg/s in total; this sandbox's limit is "
            f"{cap} msg/s. Slow or stop a producer first."
        )


def _burst(rt: SandboxRuntime, f: Fields, conf: dict[str, Any]) -> dict[str, Any]:
    """publish/send: `count` messages now (rate 0) or on the clock (rate > 0)."""
    count = conf["count"] = f.integer("count", 1, 1, protocol.MAX_BURST)
    rate = conf["rate"] = f.number("rate", 0.0, 0.0, float(rt.caps.max_publish_rate))
    retained, cap = rt.retained_estimate(), rt.caps.max_retained
    if retained >= cap:
        raise CapacityExceeded(
            f"This sandbox holds {retained} messages, its limit; publishing is refused until "
            "consumers catch up, a queue is purged or retention deletes records."
        )
    if rt.full():
        held, limit = rt.memory_estimate() // 2**20, rt.caps.max_memory // 2**20
        raise CapacityExceeded(
            f"This sandbox holds about {held} MB of messages and history, its limit is "
            f"{limit} MB; publishing is refused until consumers catch up, a queue is purged "
            "or retention deletes records."
        )
    each = MESSAGE_BYTES + len(conf["payload"])
    if rate == 0 and rt.memory_estimate() + count * each > rt.caps.max_memory:
        raise CapacityExceeded(
            f"Publishing {count} messages of about {each} bytes at once would pass this "
            f"sandbox's memory limit of {rt.caps.max_memory // 2**20} MB. Send fewer, or use "
            "a rate."
        )
    if rate == 0 and count > min(cap - retained, rt.caps.max_publish_rate):
        raise CapacityExceeded(
            f"Publishing {count} messages at once is refused: this sandbox holds "
            f"{retained} of at most {cap} messages and sends at most "
            f"{rt.caps.max_publish_rate} in one go. Use a rate, or consume or purge first."
        )
    if rate > 0 and count > 1:
        _check_rate(rt, rate)
    agent = Agent(rt, "", conf, publisher="")
    agent.rng = rt.publish_rng
    msgs = [agent.publish_next()]  # the first one validates the whole command
    if rate == 0:
        msgs += [agent.publish_next() for _ in range(count - 1)]
        return {"msg": msgs[0], "msgs": msgs[:100], "count": len(msgs)}
    if count > 1:
        agent.name = rt.next_burst_name(conf["broker"])
        agent.state, agent._start, agent._k = "running", rt.clock.now, 1
        agent._timer = rt.clock.at(agent._start + 1 / rate, agent._fire)
        rt.bursts[agent.name] = agent
    return {"msg": msgs[0], "msgs": msgs, "count": count}


@command("publish", changes_spec=False)
def publish(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.amqp  # noqa: B018 - refuses on a backend without RabbitMQ
    return _burst(rt, f, publish_conf(f))


@command("send", changes_spec=False)
def send(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.kafka  # noqa: B018 - refuses on a backend without Kafka
    return _burst(rt, f, send_conf(f))


def _producer_conf(rt: SandboxRuntime, f: Fields, base: dict[str, Any], name: str):
    """A producer's settings: the command's fields over `base` (the current ones)."""
    merged = Fields({**base, **{k: v for k, v in f.command.items() if v is not None}})
    broker = merged.choice("broker", ("amqp", "kafka"), "amqp")
    conf = publish_conf(merged) if broker == "amqp" else send_conf(merged)
    conf["acks"] = merged.choice("acks", (0, 1, "all"), "all")
    conf["enable_idempotence"] = merged.flag("enable_idempotence", True)
    conf["linger_ms"] = merged.integer("linger_ms", 0, 0, 60_000)
    conf["running"] = merged.flag("running", True)
    conf["rate"] = merged.number("rate", None, 0.0, float(rt.caps.max_publish_rate))
    conf["count"] = merged.integer("count", 0, 0, protocol.MAX_PRODUCER_COUNT)
    if conf["rate"] <= 0:
        raise CommandError("A producer needs a rate above 0 msg/s.", "rate")
    if conf["running"]:
        _check_rate(rt, conf["rate"], exclude=name)
    rt.check_target(conf)
    return conf


@command("producer.add")
def producer_add(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name = f.name("name")
    if name in rt.spec["producers"]:
        raise CommandError(f"A producer named {name!r} already exists.", "name")
    conf = _producer_conf(rt, f, {}, name)
    agent = Agent(rt, name, conf, publisher=name)
    rt.need_room(1)
    if conf["broker"] == "kafka":
        rt.kafka.add_producer(name, conf["acks"], conf["enable_idempotence"], conf["linger_ms"])
    rt.spec["producers"][name] = conf
    rt.agents[name] = agent
    if conf["running"]:
        agent.start()
    return {"name": name}


def _known(rt: SandboxRuntime, f: Fields) -> tuple[str, Agent]:
    name = f.name("name")
    if name not in rt.agents:
        raise CommandError(f"No producer named {name!r}.", "name")
    return name, rt.agents[name]


@command("producer.update")
def producer_update(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, old = _known(rt, f)
    if f.has("broker") and f.command["broker"] != old.conf["broker"]:
        raise CommandError("A producer cannot change broker; remove it and add another.", "broker")
    conf = _producer_conf(rt, f, old.conf, name)
    agent = Agent(rt, name, conf, publisher=name)
    agent.sent = old.sent
    if conf["broker"] == "kafka":
        settings = ("acks", "enable_idempotence", "linger_ms")
        if any(conf[k] != old.conf[k] for k in settings):
            rt.kafka.remove_producer(name)
            try:
                rt.kafka.add_producer(name, *(conf[k] for k in settings))
            except BrokerError:
                rt.kafka.add_producer(name, *(old.conf[k] for k in settings))
                raise
    old.stop()
    rt.spec["producers"][name] = conf
    rt.agents[name] = agent
    if conf["running"]:
        agent.start()
    return {"name": name}


@command("producer.remove")
def producer_remove(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, agent = _known(rt, f)
    if agent.conf["broker"] == "kafka":
        rt.kafka.remove_producer(name)
    agent.stop()
    del rt.agents[name]
    del rt.spec["producers"][name]
    return {"name": name}


@command("producer.start")
def producer_start(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, agent = _known(rt, f)
    _check_rate(rt, agent.rate, exclude=name)
    agent.start()
    rt.spec["producers"][name]["running"] = True
    return {"name": name}


@command("producer.stop")
def producer_stop(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, agent = _known(rt, f)
    agent.stop()
    rt.spec["producers"][name]["running"] = False
    return {"name": name}
