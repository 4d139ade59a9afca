"""Where every box and line of the topology diagram goes, computed on the server.

`layout(state)` is a pure function of a sandbox's described state (the `amqp` and
`kafka` parts of a frame, plus the producers and group settings from the spec). It
returns nodes with ids from the engine's scheme (`brokers.nodes`) and edges with their SVG
path strings. The template templates/partials/diagram.html draws them (escaping every
label); the browser only animates. Two bands, one per broker, in columns:

    RabbitMQ:  producers → exchanges → queues → consumers
    Kafka:     producers → topics (one tape per partition) → groups → members

A band with nothing in it collapses to one line (its title and what to add), so a
Kafka-only scenario does not spend half the diagram on an empty RabbitMQ band. Edge labels
are placed where they cross no node and no other label (`place_labels`), cut to what
fits between their columns (the full text is the label's tooltip).

Leaves out automatic crossing minimisation beyond ordering each column by its
upstream neighbour, and very large topologies (they simply grow taller; presenter mode
zooms to what a step rings, static/js/presenter.js).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 1500
BAND_TOP = 92  # room for the band title, column heads and a watch tag under them
BAND_BOTTOM = 28
GAP = 22  # between nodes in a column
TAPE_CELLS = 16  # offsets shown per partition tape
PARTITION_ROW = 92  # a tape: its cells, the groups' markers under them, its offsets
REPLICA_LINE = 44  # under a replicated partition's offsets: its leader and its ISR
TOPIC_HEADER = 66
GROUP_COLOURS = 6  # .group-0 … .group-5 in app.css
EMPTY_BAND = 64  # a band with no nodes: one line, its title and its hint
LABEL_CHAR = 10.8  # .edge-label: 18px monospace, 0.6 em a character
LABEL_H = 22  # its box: from 16 above the baseline to 6 below
LABEL_MIN_CHARS = 8

# x and width of each column, per band
AMQP_COLUMNS = {
    "producer": (24, 230),
    "exchange": (370, 270),
    "queue": (790, 300),
    "consumer": (1240, 236),
}
KAFKA_COLUMNS = {
    "producer": (24, 230),
    "topic": (370, 470),
    "group": (990, 230),
    "member": (1270, 206),
}
HEIGHTS = {  # room under the counters' line for them to grow in presenter mode
    "producer": 66,
    "exchange": 68,
    "queue": 98,
    "consumer": 94,
    "group": 128,  # its state on a line of its own: "PreparingRebalance" once hid the lag
    "member": 94,
}
PREDEFINED_EXCHANGES = ("", "amq.")


@dataclass
class Node:
    id: str
    kind: str
    label: str  # shortened for display; `title` has the full name
    title: str
    x: float
    y: float
    w: float
    h: float
    sub: str = ""  # second line: type, settings
    broker: str = "amqp"
    extra: dict[str, Any] = field(default_factory=dict)
    kept: bool = False  # in the half this backend keeps without running (drawn greyed)

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # publish, binding, e2e, ae, dlx, deliver, append, subscribe, member
    d: str
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0  # the label's baseline
    broker: str = "amqp"
    kept: bool = False
    title: str = ""  # the whole label when `label` is cut

    @property
    def lines(self) -> list[str]:
        """The label's lines (a headers binding has one per argument)."""
        return self.label.split("\n") if self.label else []


@dataclass
class Band:
    broker: str
    title: str
    subtitle: str
    y: float
    h: float
    hint: str = ""
    headers: list[tuple[float, str]] = field(default_factory=list)
    kept: str = ""  # where this kept half runs, e.g. "the simulator or real Kafka"

    @property
    def empty(self) -> bool:
        return self.h <= EMPTY_BAND

    @property
    def title_y(self) -> float:
        return self.y + 40

    @property
    def head_y(self) -> float:
        return self.y + 70

    @property
    def hint_y(self) -> float:
        return self.title_y if self.empty else self.y + BAND_TOP + 70


@dataclass
class Diagram:
    width: int
    height: float
    bands: list[Band]
    nodes: list[Node]
    edges: list[Edge]

    def node(self, node_id: str) -> Node | None:
        """The node with this id, if drawn."""
        return next((n for n in self.nodes if n.id == node_id), None)


DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000


def duration(ms: object) -> str:
    """Milliseconds in the largest whole unit: 604800000 -> "7d", 1500 -> "1500ms"."""
    if not isinstance(ms, int) or isinstance(ms, bool):
        return str(ms)
    if ms < 0:
        return "forever"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def short(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bezier(*points: tuple[float, float]) -> str:
    """An SVG path: move to the first point, one cubic Bézier through the other three."""
    (x0, y0), *rest = points
    return f"M{_num(x0)} {_num(y0)} C" + " ".join(f"{_num(x)} {_num(y)}" for x, y in rest)


def curve(x1: float, y1: float, x2: float, y2: float) -> tuple[str, float, float]:
    """A left-to-right cubic Bézier and its midpoint (for a label)."""
    dx = max(40.0, (x2 - x1) * 0.45)
    c1x, c2x = x1 + dx, x2 - dx
    t = 0.5
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    lx = a * x1 + b * c1x + c * c2x + d * x2
    ly = a * y1 + b * y1 + c * y2 + d * y2
    path = bezier((x1, y1), (c1x, y1), (c2x, y2), (x2, y2))
    return path, lx, ly


def loop_right(x: float, y1: float, y2: float, reach: float = 70) -> tuple[str, float, float]:
    """A loop out of the right side and back into it: links within one column."""
    path = bezier((x, y1), (x + reach, y1), (x + reach, y2), (x, y2))
    return path, x + reach * 0.75, (y1 + y2) / 2


def loop_back(src: Node, dst: Node) -> tuple[str, float, float]:
    """From the bottom of `src` back to the bottom of an upstream `dst` (dead-lettering)."""
    x1, y1 = src.x + 30, src.y + src.h
    x2, y2 = dst.right - 30, dst.y + dst.h
    low = max(y1, y2) + 36
    path = bezier((x1, y1), (x1, low), (x2, low), (x2, y2))
    return path, (x1 + x2) / 2, low - 6


def link(src: Node, dst: Node, kind: str, label: str = "") -> Edge:
    """An edge from `src` to `dst`, shaped by where they sit."""
    if kind == "dlx" or dst.x < src.x:
        d, lx, ly = loop_back(src, dst)
    elif dst.x == src.x:
        d, lx, ly = loop_right(src.right, src.cy, dst.cy)
    else:
        d, lx, ly = curve(src.right, src.cy, dst.x, dst.cy)
    return Edge(src.id, dst.id, kind, d, label, lx, ly - 6, src.broker, title=label)


def stack(nodes: list[Node], top: float, height: float) -> None:
    """Place a column's nodes one under another, centred in the band."""
    used = sum(n.h for n in nodes) + GAP * max(0, len(nodes) - 1)
    y = top + max(0.0, (height - used) / 2)
    for n in nodes:
        n.y = round(y)
        y += n.h + GAP


def column_height(nodes: list[Node]) -> float:
    return sum(n.h for n in nodes) + GAP * max(0, len(nodes) - 1)


def _order_by(items: list[str], upstream: dict[str, list[str]], order: list[str]) -> list[str]:
    """Sort `items` by the position of their first upstream neighbour in `order`."""
    rank = {name: i for i, name in enumerate(order)}

    def key(item: str) -> tuple[int, int]:
        ups = [rank[u] for u in upstream.get(item, []) if u in rank]
        return (min(ups) if ups else len(order), items.index(item))

    return sorted(items, key=key)


# -- edge labels -----------------------------------------------------------------------

Box = tuple[float, float, float, float]  # x1, y1, x2, y2


def path_points(d: str) -> list[tuple[float, float]]:
    """The four points of a path `bezier` wrote: "M x y C x y x y x y"."""
    nums = [float(v) for v in d.replace("M", " ").replace("C", " ").split()]
    return list(zip(nums[::2], nums[1::2], strict=True))


def point_at(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def label_box(text: str, x: float, baseline: float) -> Box:
    """Where a centred edge label's text lies (a little larger than the glyphs); a label
    of several lines (a headers binding's arguments) has its first baseline there."""
    lines = text.split("\n")
    half = (max(len(line) for line in lines) * LABEL_CHAR) / 2 + 3
    return (x - half, baseline - 16, x + half, baseline + 6 + LABEL_H * (len(lines) - 1))


def _hits(a: Box, b: Box) -> float:
    """How much two boxes overlap (area; 0 when apart)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


LABEL_TS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)


def place_labels(edges: list[Edge], nodes: list[Node], band: Band) -> None:
    """Put each edge's label on its curve where it hides no node and no other label.

    A label is first cut to the room between its ends (so it fits between two columns),
    then tried at points along its curve from the middle outwards, and 8 units above
    or below each; the first spot that touches nothing wins, else the one that touches
    least. Labels placed earlier are obstacles for the later ones.
    """
    blocked: list[Box] = [(n.x, n.y, n.right, n.y + n.h) for n in nodes if n.kind != "partition"]
    blocked += [(x - 70, band.head_y - 16, x + 70, band.head_y + 4) for x, _ in band.headers]
    blocked.append((0, band.y, 400, band.y + 52))  # the band's title
    by_id = {n.id: n for n in nodes}
    for e in edges:
        if not e.title:
            continue
        src, dst = by_id.get(e.source), by_id.get(e.target)
        room = abs(dst.x - src.right) if src and dst and dst.x > src.right else 150.0
        chars = max(LABEL_MIN_CHARS, int((room - 10) // LABEL_CHAR))
        e.label = "\n".join(short(line, chars) for line in e.title.split("\n"))
        if e.label == e.title:
            e.title = ""
        else:
            e.title = e.title.replace("\n", " ")
        points = path_points(e.d)
        best: tuple[float, float, float] | None = None
        for t in LABEL_TS:
            x, y = point_at(points, t)
            for dy in (-6, 16, -16, 26):
                box = label_box(e.label, x, y + dy)
                cost = sum(_hits(box, b) for b in blocked)
                if best is None or cost < best[0]:
                    best = (cost, x, y + dy)
                if cost == 0:
                    break
            if best and best[0] == 0:
                break
        assert best is not None
        _, e.label_x, e.label_y = best
        blocked.append(label_box(e.label, e.label_x, e.label_y))


# -- RabbitMQ ------------------------------------------------------------------------


def _visible_exchanges(amqp: dict, producers: list[dict]) -> list[dict]:
    """User exchanges, plus predefined ones something refers to."""
    used = {b["source"] for b in amqp.get("bindings", [])}
    used |= {
        b["destination"] for b in amqp.get("bindings", []) if b["destination_type"] == "exchange"
    }
    used |= {p.get("target", "") for p in producers if p.get("broker", "amqp") == "amqp"}
    for e in amqp.get("exchanges", []):
        if ae := (e.get("arguments") or {}).get("alternate-exchange"):
            used.add(ae)
    for q in amqp.get("queues", []):
        if dlx := (q.get("arguments") or {}).get("x-dead-letter-exchange"):
            used.add(dlx)
    shown = []
    for e in amqp.get("exchanges", []):
        predefined = e["name"] == "" or e["name"].startswith("amq.")
        if not predefined or e["name"] in used:
            shown.append(e)
    if "" in used and not any(e["name"] == "" for e in shown):
        shown.insert(0, {"name": "", "type": "direct"})
    return shown


def _exchange_node(e: dict) -> Node:
    x, w = AMQP_COLUMNS["exchange"]
    flags = [e.get("type", "direct")]
    if e.get("internal"):
        flags.append("internal")
    if ae := (e.get("arguments") or {}).get("alternate-exchange"):
        flags.append(f"AE → {short(ae, 12)}")
    label = e["name"] or "(default)"
    return Node(
        "x:" + e["name"],
        "exchange",
        short(label, 19),
        label,
        x,
        0,
        w,
        HEIGHTS["exchange"],
        " · ".join(flags),
    )


def _queue_node(q: dict) -> Node:
    x, w = AMQP_COLUMNS["queue"]
    args = q.get("arguments") or {}
    flags = [q.get("type") or args.get("x-queue-type", "classic")]
    if "x-message-ttl" in args:
        flags.append(f"ttl {args['x-message-ttl']}ms")
    if "x-max-length" in args:
        flags.append(f"max {args['x-max-length']}")
    if "x-max-priority" in args:
        flags.append(f"prio ≤{args['x-max-priority']}")
    if args.get("x-single-active-consumer"):
        flags.append("SAC")
    extra = {"ready": q.get("ready", 0), "unacked": q.get("unacked", 0)}
    return Node(
        "q:" + q["name"],
        "queue",
        short(q["name"], 21),
        q["name"],
        x,
        0,
        w,
        HEIGHTS["queue"],
        " · ".join(flags),
        extra=extra,
    )


def _consumer_node(c: dict) -> Node:
    x, w = AMQP_COLUMNS["consumer"]
    ack = "auto-ack" if c.get("auto_ack") else f"prefetch {c.get('prefetch', 0)}"
    extra = {"state": c.get("state", ""), "acked": c.get("acked", 0)}
    return Node(
        "c:" + c["tag"],
        "consumer",
        short(c["tag"], 15),
        c["tag"],
        x,
        0,
        w,
        HEIGHTS["consumer"],
        ack,
        extra=extra,
    )


def _producer_node(p: dict, columns: dict, broker: str) -> Node:
    x, w = columns["producer"]
    target = p.get("target", "")
    rate = p.get("rate") or 0
    how = f"{_num(rate)}/s" if rate else f"×{p.get('count') or 1}"
    sub = f"→ {short(target or '(default)', 12)} · {how}"
    return Node(
        "p:" + p["name"],
        "producer",
        short(p["name"], 14),
        p["name"],
        x,
        0,
        w,
        HEIGHTS["producer"],
        sub,
        broker,
    )


def layout_amqp(
    amqp: dict, producers: list[dict], top: float
) -> tuple[Band, list[Node], list[Edge]]:
    """The RabbitMQ band: producers → exchanges → queues → consumers."""
    producers = [p for p in producers if p.get("broker", "amqp") == "amqp"]
    exchanges = [_exchange_node(e) for e in _visible_exchanges(amqp, producers)]
    bindings = amqp.get("bindings", [])
    queue_ups: dict[str, list[str]] = {}
    for b in bindings:
        if b["destination_type"] == "queue":
            queue_ups.setdefault(b["destination"], []).append(b["source"])
    for p in producers:  # the default exchange routes to the queue named by the key
        if not p.get("target"):
            queue_ups.setdefault(p.get("routing_key", ""), []).append("")
    queue_names = _order_by(
        [q["name"] for q in amqp.get("queues", [])],
        queue_ups,
        [n.title if n.id != "x:" else "" for n in exchanges],
    )
    by_name = {q["name"]: q for q in amqp.get("queues", [])}
    queues = [_queue_node(by_name[n]) for n in queue_names]
    consumer_list = amqp.get("consumers", [])
    tags = _order_by(
        [c["tag"] for c in consumer_list],
        {c["tag"]: [c["queue"]] for c in consumer_list},
        queue_names,
    )
    by_tag = {c["tag"]: c for c in consumer_list}
    consumers = [_consumer_node(by_tag[t]) for t in tags]
    x_order = [n.id[2:] for n in exchanges]
    p_order = _order_by(
        [p["name"] for p in producers],
        {p["name"]: [p.get("target", "")] for p in producers},
        x_order,
    )
    by_p = {p["name"]: p for p in producers}
    prods = [_producer_node(by_p[n], AMQP_COLUMNS, "amqp") for n in p_order]

    columns = [prods, exchanges, queues, consumers]
    height = max([column_height(c) for c in columns] + [120]) + 40  # room for DLX loops
    for col in columns:
        stack(col, top + BAND_TOP, height)
    nodes = prods + exchanges + queues + consumers
    index = {n.id: n for n in nodes}
    edges = _amqp_edges(amqp, producers, index)
    band = Band(
        "amqp",
        "RabbitMQ — the courier",
        "push · one copy per queue · gone once acked",
        top,
        BAND_TOP + height + BAND_BOTTOM if nodes else EMPTY_BAND,
        "" if nodes else "Empty. Add an exchange, a queue and a binding from the Build panel.",
        [
            (x + w / 2, name)
            for name, (x, w) in zip(
                ("producers", "exchanges", "queues", "consumers"),
                AMQP_COLUMNS.values(),
                strict=True,
            )
        ]
        if nodes
        else [],
    )
    place_labels(edges, nodes, band)
    return band, nodes, edges


def _binding_label(b: dict) -> str:
    args = {k: v for k, v in (b.get("arguments") or {}).items() if k != "x-match"}
    if args:  # one line each: "all:", "format=pdf", "type=report" fit between two columns
        match = (b.get("arguments") or {}).get("x-match", "all")
        return "\n".join([f"{match}:", *(f"{k}={v}" for k, v in args.items())])
    return b.get("routing_key", "")


def _amqp_edges(amqp: dict, producers: list[dict], index: dict[str, Node]) -> list[Edge]:
    edges: list[Edge] = []

    def add(src: str, dst: str, kind: str, label: str = "") -> None:
        if src in index and dst in index:
            edges.append(link(index[src], index[dst], kind, label))

    for p in producers:
        add("p:" + p["name"], "x:" + p.get("target", ""), "publish", p.get("routing_key", ""))
        if not p.get("target"):
            add("x:", "q:" + p.get("routing_key", ""), "binding", p.get("routing_key", ""))
    for b in amqp.get("bindings", []):
        prefix = "q:" if b["destination_type"] == "queue" else "x:"
        add(
            "x:" + b["source"],
            prefix + b["destination"],
            "binding" if prefix == "q:" else "e2e",
            _binding_label(b),
        )
    for e in amqp.get("exchanges", []):
        if ae := (e.get("arguments") or {}).get("alternate-exchange"):
            add("x:" + e["name"], "x:" + ae, "ae", "alternate")
    for q in amqp.get("queues", []):
        args = q.get("arguments") or {}
        if "x-dead-letter-exchange" in args:
            add("q:" + q["name"], "x:" + args["x-dead-letter-exchange"], "dlx", "dead letters")
    for c in amqp.get("consumers", []):
        add("q:" + c["queue"], "c:" + c["tag"], "deliver")
    return edges


# -- Kafka ---------------------------------------------------------------------------


def _topic_nodes(t: dict) -> list[Node]:
    """A topic box and one tape node per partition inside it."""
    x, w = KAFKA_COLUMNS["topic"]
    parts = t.get("partitions", [])
    replicated = t.get("replication_factor", 1) > 1 and all("leader" in p for p in parts)
    row = PARTITION_ROW + (REPLICA_LINE if replicated else 0)
    h = TOPIC_HEADER + row * max(1, len(parts)) + 8
    configs = t.get("configs") or {}
    count = f"{len(parts)} partition" + ("" if len(parts) == 1 else "s")
    bits = [count, f"rf {t.get('replication_factor', 1)}"]
    if configs.get("cleanup.policy", "delete") != "delete":
        bits.append(str(configs["cleanup.policy"]))
    retention = configs.get("retention.ms")
    if retention not in (None, DEFAULT_RETENTION_MS):
        bits.append(f"retention {duration(retention)}")
    topic = Node(
        "t:" + t["name"],
        "topic",
        short(t["name"], 30),
        t["name"],
        x,
        0,
        w,
        h,
        " · ".join(bits),
        "kafka",
    )
    nodes = [topic]
    for p in parts:
        n = p["partition"]
        extra = {
            "partition": n,
            "log_start": p.get("log_start", 0),
            "high_watermark": p.get("high_watermark", 0),
            "log_end": p.get("log_end", 0),
        }
        if replicated:
            extra["replicas"] = replica_line(p)
        tape = Node(
            f"tp:{t['name']}:{n}",
            "partition",
            f"P{n}",
            f"{t['name']} partition {n}",
            x + 16,
            0,
            w - 32,
            row - 8,
            broker="kafka",
            extra=extra,
        )
        nodes.append(tape)
    return nodes


def replica_line(p: dict) -> str:
    """A replicated partition's leader and in-sync replicas, as `kafka-topics --describe`
    names them (static/js/counters.js writes the same line live)."""
    leader = p.get("leader")
    isr = ",".join(str(r) for r in p.get("isr") or []) or "none"
    return f"leader {leader if leader is not None and leader >= 0 else 'none'} · ISR {isr}"


def tape_window(log_start: int, high_watermark: int, log_end: int) -> list[str]:
    """What each cell of a tape shows: the last TAPE_CELLS offsets up to the log end.

    A cell is "gone" (deleted by retention), "record" (readable), "unreplicated" (past
    the high watermark) or "empty". static/js/counters.js draws the same window.
    """
    first = max(0, log_end - TAPE_CELLS)
    states = []
    for offset in range(first, first + TAPE_CELLS):
        if offset >= log_end:
            states.append("empty")
        elif offset < log_start:
            states.append("gone")
        elif offset >= high_watermark:
            states.append("unreplicated")
        else:
            states.append("record")
    return states


def _place_tapes(topic: Node, tapes: list[Node]) -> None:
    for i, tape in enumerate(tapes):
        tape.y = topic.y + TOPIC_HEADER + i * (tape.h + 8)
        cell_x = tape.x + 48
        cell_w = (tape.w - 56) / TAPE_CELLS
        states = tape_window(
            tape.extra["log_start"], tape.extra["high_watermark"], tape.extra["log_end"]
        )
        tape.extra["cells"] = [
            (round(cell_x + k * cell_w, 1), round(cell_w - 3, 1), state)
            for k, state in enumerate(states)
        ]
        tape.extra["cell_y"] = tape.y + 4
        tape.extra["tape_x"] = cell_x
        tape.extra["tape_w"] = round(cell_w * TAPE_CELLS, 1)


def _group_topics(group: dict, settings: dict[str, dict]) -> list[str]:
    topics = list((settings.get(group["group_id"]) or {}).get("topics") or [])
    for o in group.get("offsets", []):
        topics.append(o["topic"])
    for m in group.get("members", []):
        topics.extend(tp[0] for tp in m.get("assignment", []))
    return list(dict.fromkeys(topics))


def layout_kafka(
    kafka: dict, producers: list[dict], groups_spec: dict[str, dict], top: float
) -> tuple[Band, list[Node], list[Edge]]:
    """The Kafka band: producers → topics (partition tapes) → groups → members."""
    producers = [p for p in producers if p.get("broker") == "kafka"]
    topic_order = [t["name"] for t in kafka.get("topics", [])]
    p_order = _order_by(
        [p["name"] for p in producers],
        {p["name"]: [p.get("target", "")] for p in producers},
        topic_order,
    )
    by_p = {p["name"]: p for p in producers}
    prods = [_producer_node(by_p[n], KAFKA_COLUMNS, "kafka") for n in p_order]
    topic_boxes: list[Node] = []
    tapes_of: dict[str, list[Node]] = {}
    for t in kafka.get("topics", []):
        box, *tapes = _topic_nodes(t)
        topic_boxes.append(box)
        tapes_of[box.id] = tapes
    groups_data = kafka.get("groups", [])
    subscribed = {g["group_id"]: _group_topics(g, groups_spec) for g in groups_data}
    g_order = _order_by([g["group_id"] for g in groups_data], subscribed, topic_order)
    by_g = {g["group_id"]: g for g in groups_data}
    colour = {gid: i % GROUP_COLOURS for i, gid in enumerate(g_order)}
    groups = [_group_node(by_g[gid], colour[gid]) for gid in g_order]
    members = [
        _member_node(m, by_g[gid], colour[gid])
        for gid in g_order
        for m in by_g[gid].get("members", [])
    ]

    columns = [prods, topic_boxes, groups, members]
    height = max([column_height(c) for c in columns] + [120])
    for col in columns:
        stack(col, top + BAND_TOP, height)
    for box in topic_boxes:
        _place_tapes(box, tapes_of[box.id])
        for tape in tapes_of[box.id]:
            tape.extra["markers"] = [
                {"group": gid, "colour": colour[gid], "initial": short(gid, 10)}
                for gid in g_order
                if box.title in subscribed[gid]
            ]
    tapes = [tape for box in topic_boxes for tape in tapes_of[box.id]]
    nodes = prods + topic_boxes + tapes + groups + members
    edges = _kafka_edges(producers, groups_data, subscribed, {n.id: n for n in nodes}, tapes_of)
    band = Band(
        "kafka",
        "Kafka — the pickup board",
        "pull · records stay · every group reads at its own pace",
        top,
        BAND_TOP + height + BAND_BOTTOM if nodes else EMPTY_BAND,
        "" if nodes else "Empty. Add a topic and a consumer group from the Build panel.",
        [
            (x + w / 2, name)
            for name, (x, w) in zip(
                ("producers", "topics · partitions", "groups", "members"),
                KAFKA_COLUMNS.values(),
                strict=True,
            )
        ]
        if nodes
        else [],
    )
    place_labels(edges, nodes, band)
    return band, nodes, edges


def _group_node(g: dict, colour: int) -> Node:
    x, w = KAFKA_COLUMNS["group"]
    sub = f"{g.get('assignor', 'range')} · gen {g.get('generation', 0)}"
    extra = {"lag": g.get("lag", 0), "state": g.get("state", ""), "colour": colour}
    return Node(
        "g:" + g["group_id"],
        "group",
        short(g["group_id"], 16),
        g["group_id"],
        x,
        0,
        w,
        HEIGHTS["group"],
        sub,
        "kafka",
        extra,
    )


def _member_node(m: dict, g: dict, colour: int) -> Node:
    x, w = KAFKA_COLUMNS["member"]
    parts = [f"P{tp[1]}" for tp in m.get("assignment", [])]
    sub = ",".join(parts) if parts else "idle"
    extra = {"state": m.get("state", ""), "colour": colour, "group": g["group_id"],
             "processed": m.get("processed", 0)}  # fmt: skip
    return Node(
        "m:" + m["member"],
        "member",
        short(m["member"], 13),  # a wider name ran past the box
        m["member"],
        x,
        0,
        w,
        HEIGHTS["member"],
        short(sub, 20),
        "kafka",
        extra,
    )


def _kafka_edges(
    producers: list[dict],
    groups: list[dict],
    subscribed: dict[str, list[str]],
    index: dict[str, Node],
    tapes_of: dict[str, list[Node]],
) -> list[Edge]:
    edges: list[Edge] = []
    for p in producers:
        src = index.get("p:" + p["name"])
        for tape in tapes_of.get("t:" + p.get("target", ""), []):
            if src:
                edges.append(link(src, tape, "append"))
    for g in groups:
        gnode = index["g:" + g["group_id"]]
        for topic in subscribed[g["group_id"]]:
            for tape in tapes_of.get("t:" + topic, []):
                e = link(tape, gnode, "subscribe")
                e.d, _, _ = curve(tape.right, tape.cy, gnode.x, gnode.cy)
                edges.append(e)
        for m in g.get("members", []):
            edges.append(link(gnode, index["m:" + m["member"]], "member"))
    return edges


# -- both ----------------------------------------------------------------------------


def layout(state: dict[str, Any]) -> Diagram:
    """The whole diagram for a sandbox state.

    `state` has "amqp" and "kafka" (as `describe()` returns them), "producers" (a list
    of producer settings with name, broker, target, routing_key, rate, count) and
    optionally "groups" (group settings by group id, for the subscribed topics) and
    "kept" (broker -> where it runs, for the half the backend keeps without running).
    """
    producers = list(state.get("producers") or [])
    amqp_band, amqp_nodes, amqp_edges = layout_amqp(state.get("amqp") or {}, producers, 0)
    kafka_band, kafka_nodes, kafka_edges = layout_kafka(
        state.get("kafka") or {}, producers, state.get("groups") or {}, amqp_band.h
    )
    for band, nodes, edges in (
        (amqp_band, amqp_nodes, amqp_edges),
        (kafka_band, kafka_nodes, kafka_edges),
    ):
        _mark_kept(band, nodes, edges, (state.get("kept") or {}).get(band.broker, ""))
    return Diagram(
        WIDTH,
        amqp_band.h + kafka_band.h,
        [amqp_band, kafka_band],
        amqp_nodes + kafka_nodes,
        amqp_edges + kafka_edges,
    )


def _mark_kept(band: Band, nodes: list[Node], edges: list[Edge], where: str) -> None:
    """Mark a half the backend keeps without running (`where` it runs; "" when it runs)."""
    band.kept = where
    for n in nodes:
        n.kept = bool(where)
        if where and n.kind == "member":
            n.sub = ""  # not "idle": nothing assigns its partitions here
    for e in edges:
        e.kept = bool(where)
