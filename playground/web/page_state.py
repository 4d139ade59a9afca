"""The page's one door to the sandbox runtime: send a command, read the state to draw.

Views call `run()` with a protocol command and get the runtime's answer; `state()`
gathers what the diagram and the details panel draw (described brokers, producers and
group settings from the spec, the clock). Leaves out the WebSocket: frames go straight
from the runtime to the browser.
"""

from __future__ import annotations

import json
from typing import Any

from playground import limits
from playground.models import Sandbox


def run(sandbox: Sandbox, command: dict[str, Any]) -> dict[str, Any]:
    """Send one command to the sandbox's runtime; `{"ok": bool, "error": str, "field": ...}`.

    Raises `limits.LimitReached` when a cap stops the host running the sandbox at all
    (the view answers 429)."""
    from playground.live.host import call_sync

    try:
        answer = call_sync(sandbox.id, command)
    except TimeoutError:
        return {"ok": False, "error": "The sandbox did not answer in time; try again."}
    limits.raise_for(answer)
    return answer if isinstance(answer, dict) else {"ok": False, "error": "No answer."}


def run_all(sandbox: Sandbox, commands: list[dict[str, Any]], stop: bool = True) -> dict:
    """Run commands in order; stop at the first failure (unless not `stop`) and return it."""
    answer: dict[str, Any] = {"ok": True}
    failed: dict[str, Any] | None = None
    for command in commands:
        answer = run(sandbox, command)
        if not answer.get("ok"):
            if stop:
                return answer
            failed = failed or answer
    return failed or answer


def _as_list(items: Any, key: str) -> list[dict[str, Any]]:
    """Spec collections may be lists or dicts keyed by name; give a list of dicts."""
    if isinstance(items, dict):
        return [{key: name, **(value or {})} for name, value in items.items()]
    return [dict(i) for i in items or [] if isinstance(i, dict)]


def state(sandbox: Sandbox) -> dict[str, Any]:
    """What the page draws: {"amqp", "kafka", "producers", "groups", "now", "seed", ...}."""
    answer = run(sandbox, {"op": "sandbox.snapshot"})
    frame = answer.get("frame") or answer.get("snapshot") or answer
    sandbox.refresh_from_db(fields=["spec", "seed"])
    spec = sandbox.spec or {}
    confs = spec.get("producers") or {}
    producers = [
        {**(confs.get(p.get("name")) or {}), **p} for p in frame.get("producers") or []
    ] or _as_list(confs, "name")
    groups = spec.get("groups") or {}
    if isinstance(groups, list):
        groups = {g.get("group_id"): g for g in groups if isinstance(g, dict)}
    amqp = dict(frame.get("amqp") or {})
    if isinstance(spec.get("consumers"), dict):  # removed consumers linger as "cancelled"
        amqp["consumers"] = [c for c in amqp.get("consumers", []) if c["tag"] in spec["consumers"]]
    return {
        "ok": bool(answer.get("ok", True)),
        "error": answer.get("error", ""),
        "amqp": amqp,
        "kafka": frame.get("kafka") or {},
        "producers": _as_list(producers, "name"),
        "groups": groups,
        "now": frame.get("now", 0.0),
        "seed": frame.get("seed", sandbox.seed),
        "paused": frame.get("paused", False),
        "speed": frame.get("speed", 1.0),
        "status": frame.get("status") or {},
        "kept": frame.get("kept") or {},  # broker -> where it runs: the half kept here
    }


def binding_key(b: dict[str, Any]) -> str:
    """A stable text key naming one binding (bindings have no name of their own)."""
    parts = [
        b["source"],
        b.get("destination_type", "queue"),
        b["destination"],
        b.get("routing_key", ""),
        b.get("arguments") or {},
    ]
    return json.dumps(parts, sort_keys=True, separators=(",", ":"))


def find_binding(st: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The binding whose `binding_key` is `key`."""
    return next((b for b in st["amqp"].get("bindings", []) if binding_key(b) == key), None)


def _find(items: list[dict], key: str, name: str) -> dict[str, Any] | None:
    return next((i for i in items if i.get(key) == name), None)


def _settings(item: dict[str, Any], skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    rows = []
    for key, value in item.items():
        if key in skip:
            continue
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True) if value else "—"
        rows.append((key.replace("_", " "), str(value)))
    return rows


def details(st: dict[str, Any], node_id: str) -> dict[str, Any] | None:
    """What the details panel shows for one diagram node, or None if it is gone."""
    prefix, _, name = node_id.partition(":")
    reader = _DETAILS.get(prefix)
    found = reader(st, name) if reader else None
    kept = (st.get("kept") or {}).get(found["broker"]) if found else None
    if kept:  # shown, not driven: its commands would be refused
        found.update(kept=kept, actions=[], initial=None)
    return found


def _exchange(st: dict, name: str) -> dict | None:
    from playground.web.forms import ExchangeForm

    e = _find(st["amqp"].get("exchanges", []), "name", name)
    if e is None and name == "":
        e = {"name": "", "type": "direct"}
    if e is None:
        return None
    predefined = name == "" or name.startswith("amq.")
    bindings = [
        {**b, "key": binding_key(b)} for b in st["amqp"].get("bindings", []) if b["source"] == name
    ]
    return {
        "kind": "exchange",
        "broker": "amqp",
        "title": name or "(default exchange)",
        "name": name,
        "settings": _settings(e, ("name",)),
        "counters": [],
        "bindings": bindings,
        "initial": None if predefined else ExchangeForm.initial_from(e),
    }


def _queue(st: dict, name: str) -> dict | None:
    from playground.web.forms import QueueForm

    q = _find(st["amqp"].get("queues", []), "name", name)
    if q is None:
        return None
    return {
        "kind": "queue",
        "broker": "amqp",
        "title": name,
        "name": name,
        "settings": _settings(q, ("name", "ready", "unacked", "consumers", "bytes")),
        "counters": [
            ("ready", "ready", q.get("ready", 0)),
            ("unacked", "unacked", q.get("unacked", 0)),
            ("consumers", "consumers", q.get("consumers", 0)),
        ],
        "actions": [("queue.purge", name, "Purge")],
        "initial": QueueForm.initial_from(q),
    }


def _consumer(st: dict, tag: str) -> dict | None:
    from playground.web.forms import ConsumerForm

    c = _find(st["amqp"].get("consumers", []), "tag", tag)
    if c is None:
        return None
    counters = ("delivered", "acked", "nacked", "unacked")
    return {
        "kind": "consumer",
        "broker": "amqp",
        "title": tag,
        "name": tag,
        "settings": _settings(c, ("tag", "state") + counters),
        "counters": [("state", "state", c.get("state", ""))]
        + [(k, k, c.get(k, 0)) for k in counters],
        "actions": [("consumer.crash", tag, "Crash"), ("consumer.restart", tag, "Restart")],
        "initial": ConsumerForm.initial_from(c),
    }


def _producer(st: dict, name: str) -> dict | None:
    from playground.web.forms import ProducerForm

    p = _find(st["producers"], "name", name)
    if p is None:
        return None
    return {
        "kind": "producer",
        "broker": p.get("broker", "amqp"),
        "title": name,
        "name": name,
        "settings": _settings(p, ("name",)),
        "counters": [],
        "actions": [("producer.start", name, "Start"), ("producer.stop", name, "Stop")],
        "initial": ProducerForm.initial_from(p),
    }


def _topic(st: dict, name: str) -> dict | None:
    from playground.web.forms import TopicForm

    t = _find(st["kafka"].get("topics", []), "name", name)
    if t is None:
        return None
    return {
        "kind": "topic",
        "broker": "kafka",
        "title": name,
        "name": name,
        "settings": _settings(t, ("name", "partitions")),
        "partitions": t.get("partitions", []),
        "counters": [],
        "initial": TopicForm.initial_from(t),
    }


def _partition(st: dict, rest: str) -> dict | None:
    topic, _, number = rest.rpartition(":")
    t = _find(st["kafka"].get("topics", []), "name", topic)
    if t is None or not number.isdigit():
        return None
    p = _find(t.get("partitions", []), "partition", int(number))
    if p is None:
        return None
    fields = ("log_start", "high_watermark", "log_end")
    return {
        "kind": "partition",
        "broker": "kafka",
        "title": f"{topic} · partition {number}",
        "name": topic,
        "settings": _settings(p, fields),
        "counters": [(f.replace("_", " "), f, p.get(f, 0)) for f in fields],
        "topic_node": "t:" + topic,
        "initial": None,
    }


def _group(st: dict, group_id: str) -> dict | None:
    from playground.web.forms import GroupForm

    g = _find(st["kafka"].get("groups", []), "group_id", group_id)
    if g is None:
        return None
    settings = st["groups"].get(group_id) or {}
    return {
        "kind": "group",
        "broker": "kafka",
        "title": group_id,
        "name": group_id,
        "settings": _settings(g, ("group_id", "members", "offsets", "lag")),
        "counters": [("lag", "lag", g.get("lag", 0)), ("state", "state", g.get("state", ""))],
        "offsets": g.get("offsets", []),
        "members": g.get("members", []),
        "actions": [("member.add", group_id, "Add member")],
        "initial": GroupForm.initial_from(g, settings),
    }


def _member(st: dict, member: str) -> dict | None:
    for g in st["kafka"].get("groups", []):
        m = _find(g.get("members", []), "member", member)
        if m is not None:
            return {
                "kind": "member",
                "broker": "kafka",
                "title": member,
                "name": member,
                "settings": _settings({"group": g["group_id"], **m}, ("member", "state")),
                "counters": [("state", "state", m.get("state", ""))],
                "actions": [("member.leave", member, "Leave"), ("member.crash", member, "Crash")],
                "initial": None,
            }
    return None


_DETAILS = {
    "x": _exchange,
    "q": _queue,
    "c": _consumer,
    "p": _producer,
    "t": _topic,
    "tp": _partition,
    "g": _group,
    "m": _member,
}
