"""Narration claims: measurements over a sandbox's state and event history.

A claim in a scenario names a measurement here (`"what"`), its arguments, and a
comparison (`equals`, `at_least`, `at_most`). Each measurement is a plain function of
`Observed` — the backend's `describe()` and the runtime's event history — so a claim is
true only if the broker (simulated or real) really did it. Measurements:

state (describe()):
    queue_ready, queue_unacked, queue_consumers (queue)
    consumer_delivered, consumer_acked, consumer_unacked (consumer)
    group_lag (group, topic?), group_committed (group, topic, partition),
    group_members (group), group_idle_members (group), member_partitions (group, member)
    partition_log_start, partition_log_end, partition_high_watermark,
    partition_leader, partition_isr (topic, partition), topic_records (topic)
events (history):
    event_count (kind, where?, records?)   events of a kind whose fields match `where`;
                                           with records, batch events count their records
    distinct_msgs (kind, where?)           distinct message ids among those events
    duplicates (kind, where?)              message ids seen more than once among them
    delivered_to (consumer, queue?)        deliveries to a consumer (push or basic.get)
    peak_unacked (consumer)                most deliveries a consumer held unacked at once
    delivery_order (queue)                 msg ids in the order first delivered from a queue
    key_partitions (topic, key?)           partitions one key's records went to (the most
                                           over all keys without `key`)
    key_order_breaks (group, topic)        keys whose records the group first processed
                                           out of append order

`broker_of(what, args)` says which broker a claim is about ("amqp" or "kafka"; an event
claim by its event kind), so a sandbox on one real broker can skip the other's claims.
Leaves out claims about wall-clock timing: on a real broker, claims compare counts and
order, never when something happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import brokers.amqp.events  # noqa: F401 - fills EVENT_TYPES with the RabbitMQ kinds
import brokers.kafka.events  # noqa: F401 - and the Kafka kinds
from brokers.events import EVENT_TYPES, Event


@dataclass
class Observed:
    """What claims look at: the backend's state and the events so far (oldest first)."""

    state: dict[str, Any]
    events: list[Event]


@dataclass(frozen=True)
class ClaimKind:
    measure: Callable[..., Any]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


CLAIMS: dict[str, ClaimKind] = {}


def claim(name: str, *required: str, optional: tuple[str, ...] = ()):
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        CLAIMS[name] = ClaimKind(fn, required, optional)
        return fn

    return register


def measure(what: str, args: dict[str, Any], seen: Observed) -> Any:
    """The value of measurement `what` with `args` (raises LookupError when absent)."""
    return CLAIMS[what].measure(seen, **args)


#: claims about RabbitMQ state or deliveries; the other state claims are about Kafka
AMQP_CLAIMS = frozenset(
    {"queue_ready", "queue_unacked", "queue_consumers", "consumer_delivered", "consumer_acked",
     "consumer_unacked", "delivered_to", "peak_unacked", "delivery_order"}
)  # fmt: skip
EVENT_CLAIMS = frozenset({"event_count", "distinct_msgs", "duplicates"})


def broker_of(what: str, args: dict[str, Any]) -> str | None:
    """The broker claim `what` measures ("amqp" or "kafka"; None for an unknown event kind)."""
    if what in EVENT_CLAIMS:
        kind = EVENT_TYPES.get(args.get("kind", ""))
        return kind.broker if kind is not None and kind.broker else None
    return "amqp" if what in AMQP_CLAIMS else "kafka"


def compare(value: Any, expect: dict[str, Any]) -> bool:
    """Whether `value` meets every comparison in `expect`."""
    for op, want in expect.items():
        if op == "equals" and value != want:
            return False
        if op in ("at_least", "at_most") and not isinstance(value, int | float):
            return False
        if op == "at_least" and value < want:
            return False
        if op == "at_most" and value > want:
            return False
    return True


# -- RabbitMQ state ------------------------------------------------------------------------
def _amqp(seen: Observed, section: str, key: str, name: str) -> dict[str, Any]:
    for item in (seen.state.get("amqp") or {}).get(section, []):
        if item.get(key) == name:
            return item
    raise LookupError(f"no {section[:-1]} named {name!r}")


@claim("queue_ready", "queue")
def queue_ready(seen: Observed, queue: str) -> int:
    return _amqp(seen, "queues", "name", queue)["ready"]


@claim("queue_unacked", "queue")
def queue_unacked(seen: Observed, queue: str) -> int:
    return _amqp(seen, "queues", "name", queue)["unacked"]


@claim("queue_consumers", "queue")
def queue_consumers(seen: Observed, queue: str) -> int:
    return _amqp(seen, "queues", "name", queue)["consumers"]


@claim("consumer_delivered", "consumer")
def consumer_delivered(seen: Observed, consumer: str) -> int:
    return _amqp(seen, "consumers", "tag", consumer)["delivered"]


@claim("consumer_acked", "consumer")
def consumer_acked(seen: Observed, consumer: str) -> int:
    return _amqp(seen, "consumers", "tag", consumer)["acked"]


@claim("consumer_unacked", "consumer")
def consumer_unacked(seen: Observed, consumer: str) -> int:
    return _amqp(seen, "consumers", "tag", consumer)["unacked"]


# -- Kafka state -----------------------------------------------------------------------------
def _group(seen: Observed, group: str) -> dict[str, Any]:
    for g in (seen.state.get("kafka") or {}).get("groups", []):
        if g.get("group_id") == group:
            return g
    raise LookupError(f"no consumer group named {group!r}")


def _partition(seen: Observed, topic: str, partition: int) -> dict[str, Any]:
    for t in (seen.state.get("kafka") or {}).get("topics", []):
        if t.get("name") == topic:
            for p in t["partitions"]:
                if p["partition"] == partition:
                    return p
    raise LookupError(f"no partition {topic}-{partition}")


@claim("group_lag", "group", optional=("topic",))
def group_lag(seen: Observed, group: str, topic: str | None = None) -> int:
    """log end - committed offset, summed; a partition never committed counts from its log
    start (everything in it is still to read)."""
    total = 0
    for row in _group(seen, group).get("offsets", []):
        if topic is not None and row["topic"] != topic:
            continue
        done = row["committed"] if row["committed"] is not None else row.get("log_start", 0)
        total += max(0, row["log_end"] - done)
    return total


@claim("group_committed", "group", "topic", "partition")
def group_committed(seen: Observed, group: str, topic: str, partition: int) -> int | None:
    for row in _group(seen, group).get("offsets", []):
        if row["topic"] == topic and row["partition"] == partition:
            return row["committed"]
    return None


def _live_members(seen: Observed, group: str) -> list[dict[str, Any]]:
    """Members still in the group: a real backend keeps listing the ones that left or
    crashed (with that state); the simulator drops them."""
    members = _group(seen, group).get("members", [])
    return [m for m in members if m.get("state", "active") not in ("left", "crashed")]


@claim("group_members", "group")
def group_members(seen: Observed, group: str) -> int:
    return len(_live_members(seen, group))


@claim("group_idle_members", "group")
def group_idle_members(seen: Observed, group: str) -> int:
    return sum(1 for m in _live_members(seen, group) if not m.get("assignment"))


@claim("member_partitions", "group", "member")
def member_partitions(seen: Observed, group: str, member: str) -> int:
    """How many partitions the member is assigned now."""
    for m in _group(seen, group).get("members", []):
        if m.get("member") == member:
            return len(m.get("assignment") or [])
    raise LookupError(f"no member {member!r} in group {group!r}")


@claim("partition_log_start", "topic", "partition")
def partition_log_start(seen: Observed, topic: str, partition: int) -> int:
    return _partition(seen, topic, partition)["log_start"]


@claim("partition_log_end", "topic", "partition")
def partition_log_end(seen: Observed, topic: str, partition: int) -> int:
    return _partition(seen, topic, partition)["log_end"]


@claim("partition_high_watermark", "topic", "partition")
def partition_high_watermark(seen: Observed, topic: str, partition: int) -> int:
    return _partition(seen, topic, partition)["high_watermark"]


@claim("partition_leader", "topic", "partition")
def partition_leader(seen: Observed, topic: str, partition: int) -> int | None:
    return _partition(seen, topic, partition)["leader"]


@claim("partition_isr", "topic", "partition")
def partition_isr(seen: Observed, topic: str, partition: int) -> int:
    """How many replicas are in sync."""
    return len(_partition(seen, topic, partition)["isr"])


@claim("topic_records", "topic")
def topic_records(seen: Observed, topic: str) -> int:
    """Records still in the log (log end - log start, summed over partitions)."""
    for t in (seen.state.get("kafka") or {}).get("topics", []):
        if t.get("name") == topic:
            return sum(p["log_end"] - p["log_start"] for p in t["partitions"])
    raise LookupError(f"no topic named {topic!r}")


# -- events --------------------------------------------------------------------------------
def _matching(seen: Observed, kind: str, where: dict[str, Any] | None) -> list[Event]:
    where = where or {}
    return [
        e
        for e in seen.events
        if e.kind == kind and all(getattr(e, k, _ABSENT) == v for k, v in where.items())
    ]


_ABSENT = object()


def _ids(event: Event) -> list[str]:
    msgs = getattr(event, "msgs", None)
    if msgs is not None:
        return list(msgs)
    msg = getattr(event, "msg", None)
    return [msg] if msg is not None else []


@claim("event_count", "kind", optional=("where", "records"))
def event_count(seen: Observed, kind: str, where: dict | None = None, records: bool = False):
    hits = _matching(seen, kind, where)
    return sum(len(_ids(e)) for e in hits) if records else len(hits)


@claim("distinct_msgs", "kind", optional=("where",))
def distinct_msgs(seen: Observed, kind: str, where: dict | None = None) -> int:
    return len({m for e in _matching(seen, kind, where) for m in _ids(e)})


@claim("duplicates", "kind", optional=("where",))
def duplicates(seen: Observed, kind: str, where: dict | None = None) -> int:
    ids = [m for e in _matching(seen, kind, where) for m in _ids(e)]
    return len(ids) - len(set(ids))


@claim("delivered_to", "consumer", optional=("queue",))
def delivered_to(seen: Observed, consumer: str, queue: str | None = None) -> int:
    where = {"consumer_tag": consumer, **({"queue": queue} if queue else {})}
    return len(_matching(seen, "delivered", where))


@claim("peak_unacked", "consumer")
def peak_unacked(seen: Observed, consumer: str) -> int:
    held, peak = 0, 0
    for e in seen.events:
        if getattr(e, "consumer_tag", None) != consumer:
            continue
        if e.kind == "delivered" and not e.auto_ack:
            held += 1
        elif e.kind in ("acked", "nacked", "rejected"):
            held = max(0, held - 1)
        elif e.kind in ("consumer_crashed", "consumer_cancelled"):
            held = 0
        peak = max(peak, held)
    return peak


@claim("delivery_order", "queue")
def delivery_order(seen: Observed, queue: str) -> list[str]:
    order: list[str] = []
    for e in _matching(seen, "delivered", {"queue": queue}):
        if e.msg not in order:
            order.append(e.msg)
    return order


def _keys_by_msg(seen: Observed, topic: str) -> dict[str, tuple[str | None, int, int]]:
    """msg -> (key, partition, offset) from the Appended events of `topic`."""
    out = {}
    for e in _matching(seen, "appended", {"topic": topic}):
        for i, (msg, key) in enumerate(zip(e.msgs, e.keys, strict=False)):
            out.setdefault(msg, (key, e.partition, e.offset + i))
    return out


@claim("key_partitions", "topic", optional=("key",))
def key_partitions(seen: Observed, topic: str, key: str | None = None) -> int:
    by_key: dict[str | None, set[int]] = {}
    for k, partition, _ in _keys_by_msg(seen, topic).values():
        if k is not None:
            by_key.setdefault(k, set()).add(partition)
    if key is not None:
        return len(by_key.get(key, ()))
    return max((len(ps) for ps in by_key.values()), default=0)


@claim("key_order_breaks", "group", "topic")
def key_order_breaks(seen: Observed, group: str, topic: str) -> int:
    placed = _keys_by_msg(seen, topic)
    first_seen: dict[str | None, list[str]] = {}
    done: set[str] = set()
    for e in _matching(seen, "processed", {"group": group, "topic": topic}):
        for msg in e.msgs:
            if msg in done or msg not in placed:
                continue
            done.add(msg)
            first_seen.setdefault(placed[msg][0], []).append(msg)
    breaks = 0
    for key, msgs in first_seen.items():
        if key is None:
            continue
        appended = sorted(msgs, key=lambda m: (placed[m][1], placed[m][2]))
        breaks += msgs != appended
    return breaks


@dataclass(frozen=True)
class ClaimResult:
    """One claim checked: whether it held, and a sentence saying what was measured."""

    ok: bool
    message: str
    says: str
    skipped: bool = False

    def __iter__(self):  # lets callers unpack `ok, message = result`
        return iter((self.ok, self.message))
