"""Frames: what every viewer's WebSocket receives, one per tick, bounded in size.

A frame coalesces everything that happened during one tick: the current state from the
backend's `describe()`, a sample of message movements to animate (at most
`FRAME_MAX_MOVES`), the newest events for the log (at most `FRAME_MAX_LOG`, with `more`
counting the ones not shown) and the series for the charts. Whatever the message rate,
the sample and the log slice stay fixed in length, and `fit` trims the frame to a byte
budget (log first, then moves, then the longest state lists), so its size is bounded.

Moves map events to edges between diagram nodes (node ids per `brokers.nodes`):

    published      p:<publisher> -> x:<exchange>      (from is None for a console publish)
    routed         x:<exchange>  -> q:<queue>          (one move per queue)
    unroutable     x:<exchange>  -> None
    returned       x:<exchange>  -> p:<publisher>|None
    delivered      q:<queue>     -> c:<consumer tag>
    acked/nacked/rejected  c:<tag> -> q:<queue>
    requeued       q:<queue>     -> q:<queue>
    dead_lettered  q:<queue>     -> x:<dead-letter exchange>
    expired/dropped  q:<queue>   -> None
    lost           c:<tag>       -> None
    appended       p:<producer>  -> tp:<topic>:<partition>   ("n" records)
    fetched        tp:<topic>:<partition> -> m:<member>      ("n" records)
    committed      m:<member>    -> g:<group>
    produce_failed p:<producer>  -> tp:<topic>:<partition>
    rebalanced     g:<group>     -> m:<member>   ("assigned", "n" partitions handed over)
    member_joined  m:<member>    -> g:<group>    ("joined")
    member_left/crashed  m:<member> -> None      ("left")
Leaves out topology events (they change the state lists, not an edge). `dot_seconds`
is how long a dot takes to travel at a speed (dots.js draws it; the scenario playback
waits for it before fast-forwarding an idle stretch).
"""

from __future__ import annotations

import json
import random
from typing import Any

from brokers import nodes
from brokers.events import Event

Move = dict[str, Any]


def _p(name: str | None) -> str | None:
    return nodes.producer(name) if name else None


def _g(group: str | None) -> str | None:
    return f"g:{group}" if group else None


def _tp(e: Any) -> str:
    return nodes.partition(e.topic, e.partition)


def _one(e: Any, src: str | None, dst: str | None, msg: str | None = None) -> list[Move]:
    return [{"msg": msg if msg is not None else e.msg, "kind": e.kind, "from": src, "to": dst}]


def _batch(e: Any, src: str | None, dst: str | None) -> list[Move]:
    msgs = e.msgs
    return [
        {"msg": msgs[0] if msgs else None, "kind": e.kind, "from": src, "to": dst, "n": len(msgs)}
    ]


MOVES = {
    "published": lambda e: _one(e, _p(e.publisher), nodes.exchange(e.exchange)),
    "routed": lambda e: [
        {"msg": e.msg, "kind": "routed", "from": nodes.exchange(e.exchange), "to": nodes.queue(q)}
        for q in e.queues
    ],
    "unroutable": lambda e: _one(e, nodes.exchange(e.exchange), None),
    "returned": lambda e: _one(e, nodes.exchange(e.exchange), None),
    "delivered": lambda e: _one(e, nodes.queue(e.queue), nodes.consumer(e.consumer_tag)),
    "acked": lambda e: _one(e, nodes.consumer(e.consumer_tag), nodes.queue(e.queue)),
    "nacked": lambda e: _one(e, nodes.consumer(e.consumer_tag), nodes.queue(e.queue)),
    "rejected": lambda e: _one(e, nodes.consumer(e.consumer_tag), nodes.queue(e.queue)),
    "requeued": lambda e: _one(e, nodes.queue(e.queue), nodes.queue(e.queue)),
    "dead_lettered": lambda e: _one(e, nodes.queue(e.queue), nodes.exchange(e.exchange)),
    "expired": lambda e: _one(e, nodes.queue(e.queue), None),
    "dropped": lambda e: _one(e, nodes.queue(e.queue), None),
    "lost": lambda e: _one(e, nodes.consumer(e.consumer_tag), None),
    "appended": lambda e: _batch(e, _p(e.producer), _tp(e)),
    "fetched": lambda e: _batch(e, _tp(e), nodes.member(e.member)),
    "produce_failed": lambda e: _batch(e, _p(e.producer), _tp(e)),
    "committed": lambda e: [
        {
            "msg": None,
            "kind": "committed",
            "from": nodes.member(e.member),
            "to": nodes.group(e.group),
        }
    ],
    "rebalanced": lambda e: [
        {"msg": None, "kind": "assigned", "from": f"g:{e.group}", "to": f"m:{m}", "n": len(ps)}
        for m, ps in e.assignment.items()
        if ps
    ],
    "member_joined": lambda e: [
        {"msg": None, "kind": "joined", "from": f"m:{e.member}", "to": _g(e.group)}
    ],
    "member_left": lambda e: [{"msg": None, "kind": "left", "from": f"m:{e.member}", "to": None}],
    "member_crashed": lambda e: [
        {"msg": None, "kind": "left", "from": f"m:{e.member}", "to": None}
    ],
}


def dot_seconds(speed: float) -> float:
    """Wall seconds a dot takes along its edge: 0.8 s at 1x, shorter when faster (at
    least 0.3 s, at most 2.4 s), so a dot is seen moving at every speed."""
    return min(2.4, max(0.3, 0.8 / max(speed, 0.01) ** 0.5))


def sample(items: list, k: int, rng: random.Random) -> list:
    """`k` items in order, one picked at random from each of k equal strata.

    Stratified rather than every n-th: the engine emits events in fixed patterns
    (published, routed, enqueued...), and a plain stride can alias with the pattern
    and show only one kind. The RNG is seeded, so the sample is deterministic.
    """
    n = len(items)
    if n <= k:
        return list(items)
    bounds = [i * n // k for i in range(k + 1)]  # integer strata: none empty, none overlap
    strata = zip(bounds[:-1], bounds[1:], strict=True)
    return [items[lo + int(rng.random() * (hi - lo))] for lo, hi in strata]


def moves(events: list[Event], limit: int, rng: random.Random | None = None) -> list[Move]:
    """At most `limit` moves, sampled across the tick's events."""
    rng = rng or random.Random(0)
    out: list[Move] = []
    for event in sample(events, 2 * limit, rng):
        mapper = MOVES.get(event.kind)
        if mapper is not None:
            out.extend(mapper(event))
    return sample(out, limit, rng)


def log_slice(events: list[Event], limit: int) -> tuple[list[dict[str, Any]], int]:
    """The newest `limit` events as dicts (newest last), and how many were left out."""
    shown = events[-limit:] if limit else []
    return [e.to_dict() for e in shown], len(events) - len(shown)


def series(state: dict[str, Any], now: float) -> dict[str, Any]:
    """Chart points: total lag per consumer group, depth (ready + unacked) per queue."""
    amqp = state.get("amqp") or {}
    kafka = state.get("kafka") or {}
    return {
        "now": now,
        "lag": {g["group_id"]: group_lag(g) for g in kafka.get("groups", [])},
        "depth": {
            q["name"]: q.get("ready", 0) + q.get("unacked", 0) for q in amqp.get("queues", [])
        },
    }


def group_lag(group: dict[str, Any]) -> int:
    """Records the group has still to read: log end - committed offset, summed; a
    partition never committed counts from its log start (as the narration's claims do;
    the broker's own "lag" leaves such a partition out, which reads as caught up)."""
    offsets = group.get("offsets")
    if not offsets:
        return group.get("lag") or 0
    total = 0
    for row in offsets:
        done = row["committed"] if row.get("committed") is not None else row.get("log_start", 0)
        total += max(0, row.get("log_end", 0) - done)
    return total


def retained(state: dict[str, Any]) -> int:
    """Messages the sandbox holds: queued or unacked, plus records kept in partitions."""
    amqp = state.get("amqp") or {}
    kafka = state.get("kafka") or {}
    held = sum(q.get("ready", 0) + q.get("unacked", 0) for q in amqp.get("queues", []))
    for topic in kafka.get("topics", []):
        for p in topic.get("partitions", []):
            held += p.get("log_end", 0) - p.get("log_start", 0)
    return held


def retained_bytes(state: dict[str, Any]) -> int:
    """Bytes of the messages `retained` counts: queue bodies and partition sizes."""
    amqp = state.get("amqp") or {}
    kafka = state.get("kafka") or {}
    held = sum(q.get("bytes") or 0 for q in amqp.get("queues", []))
    for topic in kafka.get("topics", []):
        held += sum(p.get("size") or 0 for p in topic.get("partitions", []))
    return held


def encode(frame: dict[str, Any]) -> str:
    """The frame as compact JSON text."""
    return json.dumps(frame, separators=(",", ":"), default=str)


_TRIMMABLE = (("amqp", "bindings"), ("amqp", "consumers"), ("amqp", "queues"),
              ("kafka", "groups"), ("kafka", "topics"), ("amqp", "exchanges"))  # fmt: skip


def fit(frame: dict[str, Any], max_bytes: int) -> str:
    """Encode the frame, trimming it in place until it fits in `max_bytes`."""
    text = encode(frame)
    while len(text.encode()) > max_bytes:
        if not _trim_once(frame):
            break
        text = encode(frame)
    return text


def _trim_once(frame: dict[str, Any]) -> bool:
    if frame.get("chart"):  # the chart's history is a nicety; the next snapshot has it
        del frame["chart"]
        return True
    if frame.get("log"):
        cut = len(frame["log"]) // 2
        frame["more"] = frame.get("more", 0) + len(frame["log"]) - cut
        frame["log"] = frame["log"][len(frame["log"]) - cut :]
        return True
    if frame.get("moves"):
        frame["moves"] = frame["moves"][: len(frame["moves"]) // 2]
        return True
    longest = max(
        _TRIMMABLE, key=lambda k: len((frame.get(k[0]) or {}).get(k[1]) or []), default=None
    )
    items = (frame.get(longest[0]) or {}).get(longest[1]) or []
    if not items:
        return False
    frame[longest[0]][longest[1]] = items[: len(items) // 2]
    frame.setdefault("truncated", []).append(".".join(longest))
    return True
