"""The sandbox as a file: export {format, version, seed, spec} and import it elsewhere.

An import is checked the strict way, the way `sandbox.load` checks every spec: the spec
is turned into protocol commands and replayed onto a fresh `SandboxRuntime`
(`sandbox.runtime.replay`); the first command the runtime refuses refuses the whole
file with its message. What comes back is the spec the replay built, so a file can never
hold more than the commands could make. The JSON itself is read by `json_values.loads`,
the parser every door uses. Nothing outside is touched until the caller installs it.
Leaves out messages in flight, offsets and counters (the spec has none of them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox import protocol
from sandbox.runtime import Caps, SandboxRuntime, json_values
from sandbox.runtime.replay import SpecRefused, checked_spec
from sandbox.runtime.spec import topology

FORMAT = "broker-playground-sandbox"
VERSION = 1
MAX_BYTES = 1_000_000


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
    """JSON from an upload, refused with a clear message when too big, too deep or
    malformed, or holding what no JSON door takes (`json_values`)."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > max_bytes:
        raise FileRefused(
            f"The {what} is {size:,} bytes; the limit is {max_bytes:,} bytes. Nothing changed."
        )
    try:
        return json_values.loads(data, f"The {what}")
    except json_values.ValueRefused as exc:
        raise FileRefused(f"{exc.message} Nothing changed.") from None


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
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= protocol.MAX_SEED:
        raise FileRefused("The seed must be a whole number from 0 to 2**63-1.")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise FileRefused("The file has no spec object.")
    return SandboxFile(seed, replay(spec, seed, caps))


def replay(spec: dict[str, Any], seed: int = 1, caps: Caps | None = None) -> dict[str, Any]:
    """Build `spec` command by command on a fresh runtime; the spec it made, or FileRefused."""
    try:
        return checked_spec(spec, SandboxRuntime(seed, caps=caps))
    except SpecRefused as exc:
        raise FileRefused(f"{exc.message} Nothing changed.") from None
