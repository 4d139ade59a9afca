"""What the compare page draws: a preset played on one clock, each side's diagram and a
timeline, as plain geometry for the templates (no Django here).

`play(preset)` runs the preset the way `sandbox.compare.presets.run_preset` does, but keeps
the final state so each side can be drawn with `sandbox.layout` (RabbitMQ's band on
the left, Kafka's on the right). `timeline(...)` turns the events into lanes of dots,
one lane per kind of thing that happened, with the preset's actions as marked
instants. Results are cached per preset and seed: a run is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sandbox.compare import presets
from sandbox.layout import WIDTH, Diagram, layout_amqp, layout_kafka
from sandbox.runtime import SandboxRuntime

TIMELINE_W = 1400
LEFT = 190  # room for lane labels
LANE_H = 34
TOP = 36

#: side -> [(lane label, event kinds, what counts)]
LANES: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
    "amqp": [
        ("published", ("published",), "msg"),
        ("delivered", ("delivered",), "msg"),
        ("redelivered", ("delivered",), "redelivered"),
        ("acked", ("acked",), "msg"),
        ("lost / dropped", ("lost", "dropped", "expired", "dead_lettered"), "msg"),
    ],
    "kafka": [
        ("appended", ("appended",), "msgs"),
        ("fetched", ("fetched",), "msgs"),
        ("processed", ("processed",), "msgs"),
        ("processed again", ("processed",), "duplicates"),
        ("committed", ("committed",), "one"),
    ],
}


@dataclass(frozen=True)
class Played:
    """A preset's run: counters, failed claims, final state and events."""

    counters: dict[str, dict[str, Any]]
    failed_claims: list[str]
    state: dict[str, Any]
    events: list[dict[str, Any]]
    start: float
    end: float


@lru_cache(maxsize=16)
def play(name: str, seed: int = 1) -> Played:
    """Run preset `name` like `presets.run_preset`, keeping the final state."""
    preset = presets.PRESETS[name]
    rt = SandboxRuntime(seed, work_budget=None)
    try:
        for cmd in [*preset.amqp, *preset.kafka]:
            presets._apply(rt, cmd)
        rt.advance(0.5)
        for cmd in presets.stream_commands(preset):
            presets._apply(rt, cmd)
        start = rt.backend.now
        for at, cmd in sorted(preset.actions, key=lambda a: a[0]):
            rt.advance(max(0.0, start + at - rt.backend.now))
            presets._apply(rt, cmd)
        rt.advance(max(0.0, start + preset.seconds - rt.backend.now))
        events = list(rt.history)
        state = rt.backend.describe()
        counters = {
            "amqp": presets.amqp_counters(events, state["amqp"]),
            "kafka": presets.kafka_counters(events, state["kafka"]),
        }
        state = {**state, "producers": [a.describe() | a.conf for a in rt.agents.values()]}
        state["groups"] = rt.spec["groups"]
        end = rt.backend.now
    finally:
        rt.close()
    failed = [
        f"{side}.{k}: claimed {want!r}, got {counters[side].get(k)!r}"
        for side, claims in preset.claims.items()
        for k, want in claims.items()
        if counters[side].get(k) != want
    ]
    return Played(counters, failed, state, [e.to_dict() for e in events], start, end)


def side_diagram(played: Played, side: str) -> Diagram:
    """One broker's band of the diagram, cropped to what it draws."""
    producers = [p for p in played.state["producers"] if p["broker"] == side]
    if side == "amqp":
        band, nodes, edges = layout_amqp(played.state["amqp"], producers, 0)
    else:
        band, nodes, edges = layout_kafka(
            played.state["kafka"], producers, played.state["groups"], 0
        )
    return Diagram(WIDTH, band.h, [band], nodes, edges)


def view_box(diagram: Diagram, margin: float = 24) -> str:
    """The SVG viewBox around what a side draws, so a half-width column is not mostly empty."""
    if not diagram.nodes:
        return f"0 0 {diagram.width} {diagram.height:.0f}"
    left = max(0.0, min(n.x for n in diagram.nodes) - margin)
    right = min(float(diagram.width), max(n.x + n.w for n in diagram.nodes) + margin)
    return f"{left:.0f} 0 {right - left:.0f} {diagram.height:.0f}"


def _count(e: dict[str, Any], what: str) -> int:
    if what == "msg":
        return 1
    if what == "redelivered":
        return 1 if e.get("redelivered") else 0
    if what == "one":
        return 1
    return len(e.get(what) or ())


def timeline(played: Played, preset: presets.Preset) -> dict[str, Any]:
    """Lanes of dots (x in the SVG), tick marks and the preset's actions on one time axis."""
    t0 = max(0.0, played.start - 0.5)
    last = max([e["t"] for e in played.events] + [played.start + at for at, _ in preset.actions])
    end = min(played.end, last + 1.0)  # quiet seconds at the end would squash the action
    span = max(0.001, end - t0)

    def x(t: float) -> float:
        return round(LEFT + (t - t0) / span * (TIMELINE_W - LEFT - 20), 1)

    lanes, y = [], TOP
    for side in ("amqp", "kafka"):
        for label, kinds, what in LANES[side]:
            dots = []
            for e in played.events:
                if e["kind"] in kinds and (n := _count(e, what)):
                    dots.append({"x": x(e["t"]), "n": n, "r": min(9, 4 + n)})
            total = sum(d["n"] for d in dots)
            lanes.append({"side": side, "label": label, "y": y, "dots": dots, "total": total})
            y += LANE_H
        y += 14
    seconds = end - played.start
    ticks = [{"x": x(played.start + s), "label": f"{s:g}s"} for s in _tick_seconds(seconds)]
    actions = [
        {"x": x(played.start + at), "label": _action_label(cmd), "at": at}
        for at, cmd in preset.actions
    ]
    return {"width": TIMELINE_W, "height": y + 30, "lanes": lanes, "ticks": ticks,
            "actions": actions, "left": LEFT, "axis_y": y + 4}  # fmt: skip


def _tick_seconds(seconds: float) -> list[float]:
    step = 0.5 if seconds <= 4 else 1.0 if seconds <= 10 else 2.0
    return [i * step for i in range(int(seconds // step) + 1)]


def _action_label(cmd: dict[str, Any]) -> str:
    target = cmd.get("tag") or cmd.get("member") or cmd.get("group_id") or cmd.get("queue") or ""
    return f"{cmd['op']} {target}".strip()


COUNTER_ROWS = [
    ("published", "published", "messages the stream produced"),
    ("copies_stored", "copies stored", "one per queue reached vs one per record"),
    ("stored_now", "stored now", "what the broker still holds at the end"),
    ("retained_after_consumption", "retained after consumption", "read and still kept"),
    ("could_still_read", "who could still read them", ""),
    ("delivered", "delivered / fetched", ""),
    ("processed", "processed", ""),
    ("redelivered", "redelivered", ""),
    ("duplicates", "duplicates", "processed more than once"),
    ("lost", "lost", "dropped, expired or deleted"),
]


def counter_rows(played: Played, preset: presets.Preset) -> list[dict[str, Any]]:
    """One row per counter: both sides' values, whether each was claimed, and a hint."""
    rows = []
    for key, label, hint in COUNTER_ROWS:
        row = {"key": key, "label": label, "hint": hint}
        for side in ("amqp", "kafka"):
            value = played.counters[side].get(key)
            if isinstance(value, list):
                value = ", ".join(value) if value else "nobody"
            row[side] = value
            row[f"{side}_claimed"] = key in preset.claims.get(side, {})
        row["differs"] = row["amqp"] != row["kafka"]
        rows.append(row)
    return rows


def load_commands(preset: presets.Preset) -> list[dict[str, Any]]:
    """What "Load into my sandbox" runs: reset, both topologies, the stream, and the
    timeline's actions scheduled at their times from the stream's start. Time stands
    still while it loads, so everything starts at the same virtual instant."""
    return [
        {"op": "time.pause"},
        {"op": "sandbox.reset"},
        *preset.amqp,
        *preset.kafka,
        *presets.stream_commands(preset),
        *({"op": "time.at", "after": at, "command": cmd} for at, cmd in preset.actions),
        {"op": "time.play"},
    ]
