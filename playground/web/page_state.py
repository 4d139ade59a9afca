"""The page's one door to the sandbox runtime: send a command, read the state to draw.

Views call `run()` with a protocol command and get the runtime's answer; `state()`
gathers what the diagram and the details panel draw (described brokers, producers and
group settings from the spec, the clock); `binding_key` names a binding, which has no
name of its own. What each kind's details panel shows is `playground.web.kinds`'s.
Leaves out the WebSocket: frames go straight from the runtime to the browser.
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
