"""Inspector commands: one message's journey, search, and the messages around one node.

`message.journey` rebuilds a message's journey from the runtime's event history with
`brokers.journey.journey`, adding what events do not carry: a body preview and the
headers, which the runtime remembers when it publishes (`sandbox.runtime.payloads`,
bounded like the history). `message.search` finds ids by id, key or payload text.
`message.recent` lists the messages a diagram node has seen lately: a queue's ready and
unacked messages, a partition's offsets, a consumer's or member's recent deliveries, a
producer's or an exchange's recent publishes. Leaves out messages older than the history.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from brokers import journey
from sandbox.layout import TAPE_CELLS  # the window of a partition's tape
from sandbox.runtime.commands import command
from sandbox.runtime.fields import CommandError, Fields

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime

RECENT_LIMIT = 40
GONE = ("acked", "dropped", "expired", "dead_lettered", "lost")


def _history(rt: SandboxRuntime) -> Any:
    """The history including events the engine made since the last tick."""
    rt._collect()
    return rt.history


@command("message.journey", changes_spec=False)
def message_journey(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    msg = f.name("msg")
    known = rt.payloads.get(msg)
    body, headers = known if known else (None, {})
    describe = rt.backend.describe()
    found = journey.journey(_history(rt), msg, describe, headers or None).to_dict()
    return {"journey": found, "body": body, "headers": headers}


@command("message.search", changes_spec=False)
def message_search(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    text = f.text("text", "", max_len=200)
    limit = f.integer("limit", 50, 1, 200)
    return {"msgs": journey.search(_history(rt), text, rt.payloads.bodies(), limit)}


@command("message.recent", changes_spec=False)
def message_recent(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    """Recent messages at node `node`; for a partition, `cell` picks one tape cell."""
    node = f.text("node", "", max_len=600)
    prefix, _, name = node.partition(":")
    events = [e.to_dict() for e in _history(rt)]
    if prefix == "q":
        return {"items": _queue_messages(events, name)}
    if prefix == "tp":
        topic, _, number = name.rpartition(":")
        if not number.isdigit():
            raise CommandError("A partition node is tp:<topic>:<partition>.", "node")
        cell = f.integer("cell", -1, -1, TAPE_CELLS - 1) if f.has("cell") else -1
        return _partition_messages(rt, events, topic, int(number), cell)
    reader = _READERS.get(prefix)
    if reader is None:
        raise CommandError(f"No messages are listed for node {node!r}.", "node")
    return {"items": reader(events, name)[-RECENT_LIMIT:]}


def _item(e: dict, msg: str, text: str) -> dict[str, Any]:
    return {"msg": msg, "t": e["t"], "kind": e["kind"], "text": text}


def _queue_messages(events: list[dict], queue: str) -> list[dict[str, Any]]:
    """Messages still in the queue (ready or unacked), else the last ones it held."""
    where: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for e in events:
        if e.get("queue") != queue or "msg" not in e:
            continue
        kind, msg = e["kind"], e["msg"]
        if kind in ("enqueued", "requeued"):
            where[msg] = _item(e, msg, "ready")
            where.move_to_end(msg)
        elif kind == "delivered" and msg in where:
            where[msg] = _item(e, msg, f"unacked, with {e['consumer_tag']}")
        elif kind in GONE and msg in where:
            where[msg] = {**where[msg], "gone": True, "text": kind.replace("_", " ")}
    held = [i for i in where.values() if not i.get("gone")]
    return (held or list(where.values()))[-RECENT_LIMIT:]


def _partition_messages(
    rt: SandboxRuntime, events: list[dict], topic: str, partition: int, cell: int
) -> dict[str, Any]:
    by_offset: dict[int, dict[str, Any]] = {}
    for e in events:
        if e["kind"] == "appended" and (e["topic"], e["partition"]) == (topic, partition):
            for i, msg in enumerate(e["msgs"]):
                key = (e.get("keys") or [None] * len(e["msgs"]))[i]
                offset = e["offset"] + i
                by_offset[offset] = {**_item(e, msg, f"offset {offset}"), "offset": offset}
                by_offset[offset]["key"] = key
    answer: dict[str, Any] = {"items": [by_offset[o] for o in sorted(by_offset)][-RECENT_LIMIT:]}
    if cell >= 0:
        log_end = _log_end(rt, topic, partition)
        offset = max(0, log_end - TAPE_CELLS) + cell
        answer["offset"] = offset
        answer["msg"] = by_offset[offset]["msg"] if offset in by_offset else None
    return answer


def _log_end(rt: SandboxRuntime, topic: str, partition: int) -> int:
    kafka = rt.backend.describe().get("kafka") or {}
    for t in kafka.get("topics", []):
        if t["name"] == topic:
            for p in t.get("partitions", []):
                if p["partition"] == partition:
                    return int(p.get("log_end", 0))
    return 0


def _consumer_messages(events: list[dict], tag: str) -> list[dict[str, Any]]:
    out = []
    for e in events:
        if e["kind"] == "delivered" and e.get("consumer_tag") == tag:
            again = ", redelivered" if e.get("redelivered") else ""
            out.append(_item(e, e["msg"], f"tag {e['delivery_tag']} from {e['queue']}{again}"))
    return out


def _member_messages(events: list[dict], member: str) -> list[dict[str, Any]]:
    out = []
    for e in events:
        if e["kind"] in ("fetched", "processed") and e.get("member") == member:
            dups = set(e.get("duplicates") or ())
            for msg in e["msgs"]:
                note = " (again)" if msg in dups else ""
                out.append(_item(e, msg, f"{e['kind']} from {e['topic']}[{e['partition']}]{note}"))
    return out


def _exchange_messages(events: list[dict], exchange: str) -> list[dict[str, Any]]:
    return [
        _item(e, e["msg"], f"routing key {e['routing_key']!r}")
        for e in events
        if e["kind"] == "published" and e.get("exchange") == exchange
    ]


def _producer_messages(events: list[dict], producer: str) -> list[dict[str, Any]]:
    out = []
    for e in events:
        if e["kind"] == "published" and e.get("publisher") == producer:
            out.append(_item(e, e["msg"], f"routing key {e['routing_key']!r}"))
        elif e["kind"] == "sent" and e.get("producer") == producer and e.get("attempt", 1) == 1:
            out += [_item(e, m, f"to {e['topic']}[{e['partition']}]") for m in e["msgs"]]
    return out


_READERS = {
    "c": _consumer_messages,
    "m": _member_messages,
    "x": _exchange_messages,
    "p": _producer_messages,
}
