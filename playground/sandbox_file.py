"""The sandbox as a file: export {format, version, seed, spec} and import it elsewhere.

An import is checked the strict way: the spec is turned into protocol commands
(`spec_commands`) and replayed onto a fresh `SandboxRuntime`; the first command the
runtime refuses refuses the whole file with its message. What comes back is the spec the
replay built, so a file can never hold more than the commands could make. Nothing
outside is touched until the caller installs the result. Leaves out messages in flight,
offsets and counters (the spec has none of them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from playground.runtime import Caps, SandboxRuntime
from playground.runtime.spec import SECTIONS, normalize, topology

FORMAT = "broker-playground-sandbox"
VERSION = 1
MAX_BYTES = 1_000_000
MAX_SEED = 2**63 - 1


class FileRefused(ValueError):
    """An imported file cannot be used; `message` says why, and nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SandboxFile:
    """A checked sandbox file: the seed and the spec to build."""

    seed: int
    spec: dict[str, Any]


def export_sandbox(seed: int, spec: dict[str, Any]) -> dict[str, Any]:
    """The file's content as a dict: {"format", "version", "seed", "spec"} (the whole
    topology, kept parts too; other state in the spec stays behind)."""
    return {"format": FORMAT, "version": VERSION, "seed": seed, "spec": topology(spec)}


def dumps(seed: int, spec: dict[str, Any]) -> str:
    """The file's text (pretty JSON), ready to download."""
    return json.dumps(export_sandbox(seed, spec), indent=2, ensure_ascii=False) + "\n"


def parse_json(data: bytes | str, what: str, max_bytes: int = MAX_BYTES) -> Any:
    """JSON from an upload, refused with a clear message when too big or malformed."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size > max_bytes:
        raise FileRefused(
            f"The {what} is {size:,} bytes; the limit is {max_bytes:,} bytes. Nothing changed."
        )
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError:
        raise FileRefused(f"The {what} is not UTF-8 text. Nothing changed.") from None
    except json.JSONDecodeError as exc:
        raise FileRefused(
            f"The {what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
            "Nothing changed."
        ) from None


def load_sandbox(data: bytes | str, caps: Caps | None = None) -> SandboxFile:
    """Check an uploaded sandbox file; the seed and the spec, or FileRefused."""
    doc = parse_json(data, "sandbox file")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FileRefused(f"This is not a sandbox file (its format should be {FORMAT!r}).")
    if doc.get("version") != VERSION:
        raise FileRefused(
            f"This sandbox file has version {doc.get('version')!r}; this playground reads "
            f"version {VERSION}."
        )
    seed = doc.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise FileRefused("The seed must be a whole number from 0 to 2**63-1.")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise FileRefused("The file has no spec object.")
    return SandboxFile(seed, replay(spec, seed, caps))


def replay(spec: dict[str, Any], seed: int = 1, caps: Caps | None = None) -> dict[str, Any]:
    """Build `spec` command by command on a fresh runtime; the spec it made, or FileRefused."""
    _check_shape(spec)
    rt = SandboxRuntime(seed, caps=caps)
    try:
        for command in spec_commands(spec):
            result = rt.apply(command)
            if not result["ok"]:
                raise FileRefused(f"{_describe(command)}: {result['error']} Nothing changed.")
        return rt.spec
    finally:
        rt.close()


def _check_shape(spec: dict[str, Any]) -> None:
    for key, value in spec.items():
        if key in ("version", "time"):
            continue
        if key not in SECTIONS:
            raise FileRefused(f"The spec has an unknown section {key!r}.")
        if not isinstance(value, SECTIONS[key]):
            kind = "an object" if SECTIONS[key] is dict else "a list"
            raise FileRefused(f"The spec's {key!r} must be {kind}.")
    for key in ("exchanges", "queues", "consumers", "topics", "groups", "producers"):
        for name, conf in spec.get(key, {}).items():
            if not isinstance(conf, dict):
                raise FileRefused(f"{key} entry {name!r} must be an object.")
    for b in spec.get("bindings", []):
        if not isinstance(b, dict):
            raise FileRefused("Every binding must be an object.")


def _describe(command: dict[str, Any]) -> str:
    op = command["op"]
    name = next(
        (command[k] for k in ("name", "tag", "group_id", "destination", "id") if k in command), ""
    )
    return f"{op} {name!r}" if name != "" else op


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
            {**_without(g, "members", "next"), "group_id": group_id, "members": count,
             "op": "group.add"}
        )  # fmt: skip
    out += [{**p, "name": n, "op": "producer.add"} for n, p in s["producers"].items()]
    t = s["time"]
    out.append({"op": "time.speed", "speed": t.get("speed", 1.0)})
    out.append({"op": "time.pause" if t.get("paused") else "time.play"})
    return out


def _without(conf: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in conf.items() if k not in keys}
