"""The inspector: one message's whole journey, rebuilt from the event history.

`journey(events, msg)` reads events (objects or their `to_dict()` dicts, oldest first)
and returns a `Journey`: one `Step` per thing that happened to the message, each with the
node it happened at (a node id of `brokers.nodes`), a one-line explanation and
plain details — the bindings that matched with their word-by-word reasons, the bindings
that did not and why, deliveries with consumer, delivery tag and `redelivered`, the
`x-death` history; for Kafka the partition and why, the offset, who fetched it, which
commits covered it and whether a group processed it twice. `search(events, text)` finds
message ids by id, routing key or record key.

Events do not carry bodies or headers, so searching payload text needs the caller's
`payloads` map, and a headers binding that did not match is explained from its table
alone unless the caller passes the message's `headers`. Topology for "not reached"
comes from a `describe()` dict when given, else from the declare/bind events before the
routing. Leaves out exchange-to-exchange hops beyond what `routed` events report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from brokers import nodes
from brokers.amqp.routing import headers_match, topic_words


@dataclass(frozen=True)
class Step:
    """One thing that happened to the message."""

    t: float
    kind: str
    where: str  # a node id (`brokers.nodes`): "x:<exchange>", "q:<queue>", "tp:<topic>:<p>", ...
    text: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Journey:
    """A message's journey; `summary` holds the facts a panel shows at the top."""

    msg: str
    broker: str  # "amqp", "kafka" or "" when the history does not mention the message
    steps: list[Step]
    summary: dict[str, Any]

    @property
    def found(self) -> bool:
        return bool(self.steps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: {"msg", "broker", "found", "steps": [{t, kind, where, text,
        details}], "summary"}."""
        return {
            "msg": self.msg,
            "broker": self.broker,
            "found": self.found,
            "steps": [asdict(s) for s in self.steps],
            "summary": self.summary,
        }


def _plain(event: Any) -> dict[str, Any]:
    return event if isinstance(event, dict) else event.to_dict()


def _mentions(e: dict[str, Any], msg: str) -> bool:
    return (
        e.get("msg") == msg or msg in (e.get("msgs") or ()) or msg in (e.get("removed_msgs") or ())
    )


def journey(
    events: Iterable[Any],
    msg: str,
    describe: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
) -> Journey:
    """The journey of message `msg` ("m7", "k3" or "n5") through `events`, oldest first.

    `describe` is a backend's `describe()` (or its "amqp" part) for the bindings not
    reached; `headers` are the message's headers, if known, to explain headers bindings.
    """
    history = [_plain(e) for e in events]
    own = [e for e in history if _mentions(e, msg)]
    if not own:
        return Journey(msg, "", [], {})
    if own[0].get("broker") == "kafka":
        return _kafka_journey(history, own, msg)
    if own[0].get("broker") == "nats":
        return _nats_journey(own, msg)
    amqp = (describe or {}).get("amqp", describe) if describe else None
    return _amqp_journey(history, own, msg, amqp, dict(headers or {}))


def search(
    events: Iterable[Any], text: str, payloads: Mapping[str, str] | None = None, limit: int = 50
) -> list[str]:
    """Message ids whose id, routing key, record key (or payload, if given) contains `text`.

    An exact id comes first; the rest in order of first appearance.
    """
    needle = text.strip().lower()
    if not needle:
        return []
    found: dict[str, None] = {}
    for e in map(_plain, events):
        for msg, key in _ids_and_keys(e):
            if needle == msg.lower():
                found = {msg: None, **found}
            elif needle in msg.lower() or (key is not None and needle in key.lower()):
                found.setdefault(msg, None)
    for msg, body in (payloads or {}).items():
        if needle in str(body).lower():
            found.setdefault(msg, None)
    return list(found)[:limit]


def _ids_and_keys(e: dict[str, Any]) -> list[tuple[str, str | None]]:
    kind = e.get("kind")
    if kind == "published":
        return [(e["msg"], e.get("routing_key"))]
    if kind == "appended":
        return list(zip(e["msgs"], e.get("keys") or [None] * len(e["msgs"]), strict=False))
    if kind == "sent":
        return [(m, None) for m in e["msgs"]]
    if kind == "nats_published":
        return [(e["msg"], e.get("subject"))]
    return []


# -- RabbitMQ ------------------------------------------------------------------------
def _amqp_journey(
    history: list[dict], own: list[dict], msg: str, amqp: Mapping | None, headers: dict
) -> Journey:
    steps: list[Step] = []
    summary: dict[str, Any] = {
        "exchange": None,
        "routing_key": None,
        "queues": [],
        "not_reached": [],
        "deliveries": [],
        "x_death": [],
        "fates": {},
        "returned": False,
    }
    for e in own:
        step = _amqp_step(history, e, amqp, headers, summary)
        if step is not None:
            steps.append(step)
    return Journey(msg, "amqp", steps, summary)


def _amqp_step(
    history: list[dict], e: dict, amqp: Mapping | None, headers: dict, s: dict
) -> Step | None:
    kind, t = e["kind"], e["t"]
    if kind == "published":
        s["exchange"] = s["exchange"] if s["exchange"] is not None else e["exchange"]
        s["routing_key"] = s["routing_key"] if s["routing_key"] is not None else e["routing_key"]
        who = f" by {e['publisher']}" if e.get("publisher") else ""
        flags = ", mandatory" if e.get("mandatory") else ""
        text = (
            f"Published{who} to {_xname(e['exchange'])} with routing key "
            f"{e['routing_key']!r} ({e['size']} bytes{flags})."
        )
        where = (
            nodes.producer(e["publisher"]) if e.get("publisher") else nodes.exchange(e["exchange"])
        )
        return Step(t, kind, where, text, {"size": e["size"], "mandatory": e.get("mandatory")})
    if kind in ("routed", "unroutable"):
        return _routing_step(history, e, amqp, headers, s)
    if kind == "returned":
        s["returned"] = True
        text = f"Returned to the publisher: {e['reply_code']} {e['reply_text']} (mandatory)."
        return Step(t, kind, nodes.exchange(e["exchange"]), text, {"reply_code": e["reply_code"]})
    if kind == "confirmed":
        verdict = "ack" if e["ack"] else "nack"
        why = f" ({e['reason']})" if e.get("reason") else ""
        return Step(t, kind, "", f"Publisher confirm: {verdict}{why}.", {"ack": e["ack"]})
    if kind == "enqueued":
        s["queues"].append(e["queue"]) if e["queue"] not in s["queues"] else None
        s["fates"][e["queue"]] = "ready"
        at = f" at stream offset {e['offset']}" if e.get("offset") is not None else ""
        text = f"Stored in queue {e['queue']!r}{at}; {e['depth']} message(s) now in it."
        return Step(t, kind, nodes.queue(e["queue"]), text, {"depth": e["depth"]})
    if kind == "delivered":
        return _delivery_step(e, s)
    return _after_delivery_step(e, s)


def _delivery_step(e: dict, s: dict) -> Step:
    s["fates"][e["queue"]] = "unacked" if not e.get("auto_ack") else "delivered"
    d = {
        "queue": e["queue"],
        "consumer": e["consumer_tag"],
        "delivery_tag": e["delivery_tag"],
        "redelivered": e["redelivered"],
        "delivery_count": e.get("delivery_count", 0),
        "auto_ack": e.get("auto_ack", False),
        "t": e["t"],
    }
    s["deliveries"].append(d)
    how = "Pulled with basic.get" if e.get("get") else "Delivered"
    text = (
        f"{how} from {e['queue']!r} to consumer {e['consumer_tag']!r}: delivery tag "
        f"{e['delivery_tag']}, redelivered={e['redelivered']}"
        + (", auto-ack" if e.get("auto_ack") else "")
        + (f" — {e['reason']}" if e.get("reason") else "")
        + "."
    )
    return Step(e["t"], "delivered", nodes.consumer(e["consumer_tag"]), text, d)


def _after_delivery_step(e: dict, s: dict) -> Step | None:
    kind, t, queue = e["kind"], e["t"], e.get("queue")
    fates = s["fates"]
    if kind == "acked":
        fates[queue] = "acked"
        text = f"Acked by {e['consumer_tag']!r} (tag {e['delivery_tag']}); removed from {queue!r}."
        return Step(
            t, kind, nodes.consumer(e["consumer_tag"]), text, {"delivery_tag": e["delivery_tag"]}
        )
    if kind in ("nacked", "rejected"):
        verb = "Nacked" if kind == "nacked" else "Rejected"
        then = "requeue" if e["requeue"] else "no requeue: dropped or dead-lettered"
        text = f"{verb} by {e['consumer_tag']!r} (tag {e['delivery_tag']}), {then}."
        return Step(t, kind, nodes.consumer(e["consumer_tag"]), text, {"requeue": e["requeue"]})
    if kind == "requeued":
        fates[queue] = "ready"
        text = f"Requeued in {queue!r} at position {e['position']}: {e['reason']}."
        return Step(t, kind, nodes.queue(queue), text, {"position": e["position"]})
    if kind == "expired":
        fates[queue] = "expired"
        text = f"Expired in {queue!r} after its TTL of {e['ttl_ms']} ms."
        return Step(t, kind, nodes.queue(queue), text, {"ttl_ms": e["ttl_ms"]})
    if kind == "dead_lettered":
        fates[queue] = "dead-lettered"
        s["x_death"] = list(e["x_death"])
        keys = ", ".join(repr(k) for k in e["routing_keys"])
        text = (
            f"Dead-lettered from {queue!r} ({e['reason']}) to {_xname(e['exchange'])} "
            f"with routing key {keys}; x-death: {_x_death_text(e['x_death'])}."
        )
        details = {"reason": e["reason"], "exchange": e["exchange"], "x_death": e["x_death"]}
        return Step(t, kind, nodes.queue(queue), text, details)
    if kind == "dropped":
        fates[queue] = "dropped"
        return Step(t, kind, nodes.queue(queue), f"Dropped from {queue!r}: {e['reason']}.", {})
    if kind == "lost":
        fates[queue] = "lost"
        text = f"Lost by {e['consumer_tag']!r}: {e['reason']}."
        return Step(t, kind, nodes.consumer(e["consumer_tag"]), text, {})
    return None


def _x_death_text(x_death: Iterable[dict]) -> str:
    return "; ".join(f"{d['queue']} {d['reason']} ×{d['count']}" for d in x_death) or "empty"


def _xname(exchange: str) -> str:
    return "the default exchange" if exchange == "" else f"exchange {exchange!r}"


def _routing_step(
    history: list[dict], e: dict, amqp: Mapping | None, headers: dict, s: dict
) -> Step:
    exchange, key = e["exchange"], e["routing_key"]
    xtype, bindings = _topology_at(history, e, amqp, exchange)
    matched = [dict(m) for m in e.get("matches") or ()]
    taken = {(m["destination_type"], m["destination"], m["binding_key"]) for m in matched}
    missed = [
        {
            "destination": b["destination"],
            "destination_type": b["destination_type"],
            "binding_key": b["routing_key"],
            "arguments": b.get("arguments") or {},
            "reason": _why_not(xtype, b, key, headers),
        }
        for b in bindings
        if (b["destination_type"], b["destination"], b["routing_key"]) not in taken
        and not (xtype == "headers" and _headers_taken(b, matched))
    ]
    s["not_reached"].extend(m for m in missed if m["destination"] not in e.get("queues", ()))
    details = {"exchange_type": xtype, "matched": matched, "not_matched": missed}
    if e["kind"] == "unroutable":
        text = f"Unroutable at {_xname(exchange)}: {e['reason']}."
        return Step(e["t"], "unroutable", nodes.exchange(exchange), text, details)
    queues = list(e.get("queues") or ())
    details["queues"] = queues
    copies = f"one copy each to {', '.join(map(repr, queues))}" if queues else "no queue"
    via = f"{xtype} " if xtype else ""
    text = f"Routed by {via}{_xname(exchange)}: {len(matched)} binding(s) matched, {copies}."
    return Step(e["t"], "routed", nodes.exchange(exchange), text, details)


def _headers_taken(b: dict, matched: list[dict]) -> bool:
    # a headers match carries no table; one binding per destination and key is the usual case
    return any(
        m["destination"] == b["destination"] and m["binding_key"] == b["routing_key"]
        for m in matched
    )


def _topology_at(
    history: list[dict], routed: dict, amqp: Mapping | None, exchange: str
) -> tuple[str, list[dict]]:
    """The exchange's type and bindings: from `amqp` when given, else replayed from events."""
    if amqp:
        xtype = next((x["type"] for x in amqp.get("exchanges", ()) if x["name"] == exchange), "")
        bindings = [b for b in amqp.get("bindings", ()) if b["source"] == exchange]
        return xtype or ("direct" if exchange == "" else ""), bindings
    xtype = "direct" if exchange == "" else ""
    bindings: list[dict] = []
    for e in history:
        if e is routed:
            break
        kind = e.get("kind")
        if kind == "exchange_declared" and e["exchange"] == exchange:
            xtype, bindings = e["type"], []
        elif kind in ("bound", "unbound") and e["source"] == exchange:
            ident = (e["destination_type"], e["destination"], e["routing_key"])
            bindings = [
                b for b in bindings
                if (b["destination_type"], b["destination"], b["routing_key"]) != ident
            ]  # fmt: skip
            if kind == "bound":
                bindings.append(e)
    return xtype, bindings


def _why_not(xtype: str, b: dict, key: str, headers: dict) -> str:
    pattern = b["routing_key"]
    if xtype == "direct":
        return f"routing key {key!r} is not the binding key {pattern!r}"
    if xtype == "topic":
        return explain_topic_miss(pattern, key)
    if xtype == "headers":
        table = b.get("arguments") or {}
        if headers:
            return headers_match(table, headers)[1]
        return f"the message's headers did not satisfy {table!r}"
    return "did not match"


def explain_topic_miss(pattern: str, key: str) -> str:
    """Why a topic pattern does not take a key, word by word.

    >>> explain_topic_miss("order.eu.*", "order.us.new")
    "pattern 'order.eu.*' vs key 'order.us.new': order=order, then 'eu' ≠ 'us'"
    """
    pwords, kwords = topic_words(pattern), topic_words(key)
    head = f"pattern {pattern!r} vs key {key!r}: "
    i, agreed = 0, []
    while i < len(pwords) and pwords[i] != "#" and i < len(kwords):
        if pwords[i] != "*" and pwords[i] != kwords[i]:
            then = f"{', '.join(agreed)}, then " if agreed else ""
            return f"{head}{then}{pwords[i]!r} ≠ {kwords[i]!r}"
        agreed.append(f"{pwords[i]}={kwords[i]}")
        i += 1
    if i < len(pwords) and pwords[i] == "#":
        rest = [w for w in pwords[i:] if w not in ("#", "*")]
        missing = [w for w in rest if w not in kwords[i:]]
        if missing:
            return f"{head}no key word after '#' is {missing[0]!r}"
        return f"{head}the words after '#' do not line up with the key's last words"
    if i < len(pwords):
        return f"{head}the key has {len(kwords)} word(s), the pattern needs {len(pwords)}"
    return f"{head}the key has {len(kwords)} word(s), the pattern takes exactly {len(pwords)}"


# -- Kafka ---------------------------------------------------------------------------
def _kafka_journey(history: list[dict], own: list[dict], msg: str) -> Journey:
    s: dict[str, Any] = {
        "topic": None,
        "partition": None,
        "offset": None,
        "key": None,
        "partition_reason": None,
        "fetched_by": [],
        "commits": [],
        "processed": [],
        "processed_twice": False,
        "deleted": None,
    }
    steps: list[Step] = []
    for e in own:
        step = _kafka_step(e, msg, s)
        if step is not None:
            steps.append(step)
    if s["offset"] is not None:
        steps.extend(_coverage_steps(history, s))
        steps.sort(key=lambda st: st.t)  # stable: same-time steps keep their order
    counts: dict[str, int] = {}
    for p in s["processed"]:
        counts[p["group"]] = counts.get(p["group"], 0) + 1
    twice = sorted(g for g, n in counts.items() if n > 1)
    s["processed_twice"] = bool(twice) or any(p["duplicate"] for p in s["processed"])
    s["processed_twice_by"] = twice
    return Journey(msg, "kafka", steps, s)


def _kafka_step(e: dict, msg: str, s: dict) -> Step | None:
    kind, t = e["kind"], e["t"]
    tp = nodes.partition(e.get("topic"), e.get("partition"))
    if kind == "sent":
        text = f"Sent by producer {e['producer']!r} to {e['topic']}[{e['partition']}]" + (
            f" (attempt {e['attempt']})." if e["attempt"] > 1 else "."
        )
        return Step(t, kind, nodes.producer(e["producer"]), text, {"attempt": e["attempt"]})
    if kind == "appended":
        i = e["msgs"].index(msg)
        s.update(
            topic=e["topic"], partition=e["partition"], offset=e["offset"] + i,
            key=e["keys"][i], partition_reason=e["reasons"][i],
        )  # fmt: skip
        text = (
            f"Appended to {e['topic']} partition {e['partition']} at offset {s['offset']} "
            f"(key {e['keys'][i]!r}): {e['reasons'][i]}."
        )
        details = {"offset": s["offset"], "key": s["key"], "why": e["reasons"][i]}
        return Step(t, kind, tp, text, details)
    if kind == "deduplicated":
        text = (
            f"A retry of this batch was recognised (producer id {e['producer_id']}, "
            f"sequence {e['sequence']}) and not written again."
        )
        return Step(t, kind, tp, text, {})
    if kind == "produce_acked":
        return Step(
            t, kind, nodes.producer(e["producer"]), f"Producer got its ack (acks={e['acks']}).", {}
        )
    if kind == "ack_lost":
        return Step(t, kind, nodes.producer(e["producer"]), "The produce response was lost.", {})
    if kind == "produce_failed":
        retry = ", retrying" if e["retrying"] else ", given up"
        return Step(t, kind, tp, f"Produce failed: {e['error']} — {e['reason']}{retry}.", {})
    if kind == "fetched":
        who = {"group": e["group"], "member": e["member"], "t": t}
        s["fetched_by"].append(who)
        span = f"offsets {e['from_offset']}–{e['to_offset']}"
        text = f"Fetched by {e['member']!r} of group {e['group']!r} ({span})."
        return Step(t, kind, nodes.member(e["member"]), text, who)
    if kind == "processed":
        dup = msg in (e.get("duplicates") or ())
        s["processed"].append(
            {"group": e["group"], "member": e["member"], "t": t, "duplicate": dup}
        )
        again = " AGAIN — the group had already processed it (a duplicate)" if dup else ""
        text = f"Processed by {e['member']!r} of group {e['group']!r}{again}."
        return Step(t, kind, nodes.member(e["member"]), text, {"duplicate": dup})
    if kind == "compacted":
        s["deleted"] = "compacted"
        return Step(t, kind, tp, f"Removed by compaction: {e['reason']}.", {})
    return None


def _coverage_steps(history: list[dict], s: dict) -> list[Step]:
    """Commits covering the record, resets that rewind past it, deletions and truncations."""
    topic, partition, offset = s["topic"], s["partition"], s["offset"]
    tp = nodes.partition(topic, partition)
    covered: set[str] = set()
    steps = []
    for e in history:
        if e.get("topic") != topic or e.get("partition") != partition:
            continue
        kind = e["kind"]
        if kind == "committed" and e["offset"] > offset and e["group"] not in covered:
            covered.add(e["group"])
            c = {"group": e["group"], "member": e["member"], "offset": e["offset"], "t": e["t"]}
            s["commits"].append({**c, "reason": e["reason"]})
            text = (
                f"Group {e['group']!r} committed offset {e['offset']} ({e['reason']}): "
                f"this record counts as consumed for that group."
            )
            steps.append(Step(e["t"], kind, nodes.group(e["group"]), text, c))
        elif kind == "offset_reset" and e["offset"] is not None and e["offset"] <= offset:
            if e["group"] in covered:
                covered.discard(e["group"])
                text = (
                    f"Group {e['group']!r} reset to offset {e['offset']}: "
                    "it will read this record again."
                )
                steps.append(
                    Step(e["t"], kind, nodes.group(e["group"]), text, {"offset": e["offset"]})
                )
        elif kind == "retention_deleted" and e["log_start"] > offset and not s["deleted"]:
            s["deleted"] = "retention"
            text = f"Deleted by retention ({e['reason']}); the log now starts at {e['log_start']}."
            steps.append(Step(e["t"], kind, tp, text, {}))
        elif kind == "leader_changed" and offset in (e.get("lost_offsets") or ()):
            s["deleted"] = "truncated"
            text = f"Truncated by an unclean leader election: {e['reason']}."
            steps.append(Step(e["t"], kind, tp, text, {}))
    return steps


# -- NATS ----------------------------------------------------------------------------
#: where each NATS event happened: a node id of the live view's NATS band
_NATS_WHERE = {
    "nats_published": lambda e: f"subj:{e['subject']}",
    "nats_routed": lambda e: f"subj:{e['subject']}",
    "nats_dropped": lambda e: f"subj:{e['subject']}",
    "nats_no_responders": lambda e: f"subj:{e['subject']}",
    "nats_request_timed_out": lambda e: f"subj:{e['subject']}",
    "nats_delivered": lambda e: f"sub:{e['sub']}",
    "nats_replied": lambda e: f"sub:{e['sub']}",
    "nats_reply_received": lambda e: f"subj:{e.get('sub', '')}",
    "js_stored": lambda e: f"js:{e['stream']}",
    "js_pub_acked": lambda e: f"js:{e['stream']}",
    "js_duplicate": lambda e: f"js:{e['stream']}",
    "js_refused": lambda e: f"js:{e['stream']}" if e.get("stream") else f"subj:{e.get('msg')}",
    "js_removed": lambda e: f"js:{e['stream']}",
}
_NATS_TEXT = {
    "nats_published": lambda e: (
        f"published to {e['subject']}"
        + (" (JetStream: waits for a PubAck)" if e.get("jetstream") else "")
    ),
    "nats_routed": lambda e: f"{len(e['matches'])} subscription(s) match {e['subject']}",
    "nats_delivered": lambda e: f"{e['sub']} got it: {e.get('reason', '')}",
    "js_pub_acked": lambda e: (
        f"PubAck from {e['stream']}: seq {e['stream_seq']}"
        + (" (duplicate)" if e.get("duplicate") else "")
    ),
    "nats_replied": lambda e: f"{e['sub']} replied ({e['reply_msg']})",
    "nats_reply_received": lambda e: f"reply from {e['sub']} after {e['elapsed']:g}s",
    "js_delivered": lambda e: (
        f"delivered to {e['worker']} by {e['consumer']} (stream seq "
        f"{e['stream_seq']}, consumer seq {e['consumer_seq']}, delivery {e['num_delivered']}): "
        f"{e.get('reason', '')}"
    ),
    "js_acked": lambda e: f"acked by {e['worker']} on {e['consumer']}",
}


def _nats_journey(own: list[dict], msg: str) -> Journey:
    steps = []
    summary: dict[str, Any] = {"deliveries": 0, "acked_by": [], "removed": None}
    for e in own:
        kind = e["kind"]
        if kind == "nats_published":
            summary.update(subject=e["subject"], jetstream=e.get("jetstream", False))
        elif kind == "js_stored":
            summary.update(stream=e["stream"], stream_seq=e["stream_seq"])
        elif kind == "js_delivered":
            summary["deliveries"] += 1
        elif kind == "js_acked":
            summary["acked_by"].append(e["consumer"])
        elif kind == "js_removed":
            summary["removed"] = {"cause": e["cause"], "reason": e["reason"]}
        elif kind == "nats_dropped":
            summary["removed"] = {"cause": "dropped", "reason": e["reason"]}
        where_of = _NATS_WHERE.get(kind)
        where = where_of(e) if where_of else f"jc:{e.get('stream', '')}:{e.get('consumer', '')}"
        text_of = _NATS_TEXT.get(kind)
        text = text_of(e) if text_of else e.get("reason") or kind.replace("_", " ")
        details = {k: v for k, v in e.items() if k not in ("t", "kind", "broker", "msg")}
        steps.append(Step(e["t"], kind, where, text, details))
    return Journey(msg, "nats", steps, summary)
