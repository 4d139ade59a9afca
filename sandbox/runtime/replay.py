"""A whole spec from outside, checked by building it with the same commands a user sends.

Every door that brings a whole spec — `sandbox.load` over the WebSocket, an uploaded
sandbox file, a definitions.json import — goes through `checked_spec`: the spec becomes
protocol commands (`spec_commands`, in replay order) applied one by one to a fresh,
empty runtime with the sandbox's own caps. The first command refused refuses the whole
spec with its message (`SpecRefused`), so the field rules and the caps exist once, in
the command handlers, and a spec can never hold more than commands could make. What
comes back is the spec the replay built. Leaves out messages, offsets and counters
(a spec has none of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.runtime.fields import CommandError
from sandbox.runtime.json_values import shown
from sandbox.runtime.spec import SECTIONS, normalize

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime


class SpecRefused(CommandError):
    """A spec cannot be built; the message names the first part refused."""


def checked_spec(spec: Any, scratch: SandboxRuntime) -> dict[str, Any]:
    """Build `spec` command by command on `scratch` (a fresh runtime, closed here); the
    spec it made, or SpecRefused."""
    try:
        if not isinstance(spec, dict):
            raise SpecRefused("A spec is an object with exchanges, queues, topics...", "spec")
        check_shape(spec)
        for command in spec_commands(spec):
            result = scratch.apply(command)
            if not result["ok"]:
                raise SpecRefused(f"{describe(command)}: {result['error']}", "spec")
        return scratch.spec
    finally:
        scratch.close()


def check_shape(spec: dict[str, Any]) -> None:
    """Refuse unknown sections and entries of the wrong kind before replaying."""
    for key, value in spec.items():
        if key == "version":
            continue
        if key == "time":
            if not isinstance(value, dict) or not isinstance(value.get("paused", False), bool):
                raise SpecRefused("The spec's 'time' must be an object; paused is true "
                                  "or false.", "spec")  # fmt: skip
            continue
        if key not in SECTIONS:
            raise SpecRefused(f"The spec has an unknown section {shown(str(key))!r}.", "spec")
        if not isinstance(value, SECTIONS[key]):
            kind = "an object" if SECTIONS[key] is dict else "a list"
            raise SpecRefused(f"The spec's {key!r} must be {kind}.", "spec")
    for key in ("exchanges", "queues", "consumers", "topics", "groups", "producers"):
        for name, conf in spec.get(key, {}).items():
            if not isinstance(conf, dict):
                raise SpecRefused(f"{key} entry {shown(name)!r} must be an object.", "spec")
    for b in spec.get("bindings", []):
        if not isinstance(b, dict):
            raise SpecRefused("Every binding must be an object.", "spec")


def describe(command: dict[str, Any]) -> str:
    """A command in a few words for a message, e.g. "queue.declare 'jobs'"."""
    op = command["op"]
    keys = ("name", "tag", "group_id", "destination", "id")
    name = next((command[k] for k in keys if command.get(k) not in (None, "")), "")
    return f"{op} {shown(str(name))!r}" if name != "" else op


def spec_commands(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The protocol commands that build `spec` on an empty sandbox, in replay order."""
    s = normalize(spec)
    out: list[dict[str, Any]] = []
    out += [{**x, "name": n, "op": "exchange.declare"} for n, x in s["exchanges"].items()]
    out += [{**q, "name": n, "op": "queue.declare"} for n, q in s["queues"].items()]
    out += [{**b, "op": "bind"} for b in s["bindings"]]
    out += [{**t, "name": n, "op": "topic.create"} for n, t in s["topics"].items()]
    out += [{"op": "broker.stop", "id": b} for b in s["brokers_down"]]
    for tag, c in s["consumers"].items():
        out.append({**_without(c, "running"), "tag": tag, "op": "consumer.add"})
        if c.get("running") is False:
            out.append({"op": "consumer.crash", "tag": tag})
    for group_id, g in s["groups"].items():
        members = g.get("members")
        count = len(members) if isinstance(members, list) else members
        out.append(
            {**_without(g, "members", "next"), "group_id": group_id, "members": count or 1,
             "op": "group.add"}
        )  # fmt: skip
        if count == 0:  # every member left: one joins and leaves, as it happened
            out.append({"op": "member.leave", "member": f"{group_id}-1"})
    out += [{**p, "name": n, "op": "producer.add"} for n, p in s["producers"].items()]
    t = s["time"]
    out.append({"op": "time.speed", "speed": t.get("speed", 1.0)})
    out.append({"op": "time.pause" if t.get("paused") else "time.play"})
    return out


def _without(conf: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in conf.items() if k not in keys}
