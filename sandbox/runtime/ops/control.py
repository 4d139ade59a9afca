"""Time and sandbox commands: play, pause, step, speed, reset, snapshot, trace.

`time.step` runs one engine action and leaves its events for the next frame, so every
viewer sees the step, not only the one who asked. `sandbox.reset` empties the whole
topology (kept parts too) and takes a new `seed` when given. `sandbox.snapshot` answers with a full
frame (the newest history in its log) without disturbing what the next tick sends.
`message.trace` (an addition to the protocol) answers with the history's events about
one message, for the inspector's "why did this message land here?". `sandbox.load`
replaces the topology (and seed) with a spec it first checks by replaying it as
commands on a fresh runtime with the same caps (`sandbox.runtime.replay`): a refused
spec changes neither the spec nor the backend. Reset and load delete what the old
topology held on a real broker (its queues and their messages, its topics and offsets):
the sandbox starts over there too.
`time.at` runs a command `after` virtual seconds from now, on the engine's clock (so a
loaded comparison crashes its consumer at t=2 exactly, and replays alike); a rebuild
drops what was scheduled, and so does a runtime unload (it is not part of the spec).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sandbox.runtime.replay as replay
import sandbox.runtime.spec as specs
from sandbox import protocol
from sandbox.runtime.commands import COMMANDS, command
from sandbox.runtime.fields import CommandError, Fields

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime

log = logging.getLogger(__name__)
#: what `time.at` may not schedule: time itself, the whole sandbox, narration, reads
UNSCHEDULABLE = ("time.", "sandbox.", "scenario.", "message.")
MAX_AFTER = 3600.0


@command("time.play")
def play(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.time["paused"] = False
    return {"paused": False}


@command("time.pause")
def pause(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.time["paused"] = True
    return {"paused": True}


def _virtual_time(rt: SandboxRuntime, what: str) -> None:
    if not rt.backend.steppable:
        raise CommandError(
            f"{what} needs the simulator's virtual clock; a real broker runs in real time.", "op"
        )


@command("time.step")
def step(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    _virtual_time(rt, "Step")
    stepped = rt.step_once()
    return {"stepped": stepped, "now": rt.backend.now, "paused": True}


@command("time.speed")
def speed(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    value = f.number("speed", None, protocol.SPEED_MIN, protocol.SPEED_MAX)
    if value != 1.0:
        _virtual_time(rt, "Speed")
    rt.time["speed"] = value
    return {"speed": value}


@command("sandbox.reset")
def reset(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    """Empty the whole topology (kept parts too), with a new seed if one is given."""
    seed = f.integer("seed", rt.seed, 0, protocol.MAX_SEED)
    fresh = specs.empty_spec()
    fresh["time"] = dict(rt.spec["time"])
    rt.seed = seed
    rt.history.clear()
    rt.payloads.clear()
    rt.build(fresh, wipe=True)
    return {"seed": seed}


@command("sandbox.load")
def load(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    """Replace the topology with a spec that replays as commands, and the seed if given."""
    spec = f.command.get("spec")
    if not isinstance(spec, dict):
        raise CommandError("sandbox.load needs a spec object.", "spec")
    seed = f.integer("seed", rt.seed, 0, protocol.MAX_SEED)
    checked = replay.checked_spec(spec, type(rt)(seed, caps=rt.caps))
    (old_seed, old_spec), rt.seed = (rt.seed, rt.spec), seed
    rt.history.clear()
    rt.payloads.clear()
    try:
        rt.build(checked, wipe=True)
    except Exception:  # a broker refused part of it: the old topology is declared again
        rt.seed = old_seed  # (on a real broker without the messages the wipe deleted)
        rt.build(old_spec, wipe=True)
        raise
    return {"seed": seed}


@command("sandbox.snapshot", changes_spec=False)
def snapshot(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    return {"frame": rt.frame()}


@command("message.trace", changes_spec=False)
def trace(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    msg = f.name("msg") if f.has("msg") else None
    limit = f.integer("limit", 200, 1, 1000)
    return {"events": rt.trace(msg, limit)}


@command("time.at", changes_spec=False)
def at(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    after = f.number("after", None, 0.0, MAX_AFTER)
    scheduled = f.mapping("command")
    op = scheduled.get("op")
    if not isinstance(op, str) or op not in COMMANDS:
        raise CommandError(f"time.at needs a command with a known op, not {op!r}.", "command")
    if op.startswith(UNSCHEDULABLE):
        raise CommandError(f"time.at schedules engine commands; {op} cannot wait.", "command")
    due = rt.clock.now + after

    def fire() -> None:  # a rebuild makes a new clock, so this never outlives the topology
        reply = rt.apply(scheduled)
        if not reply["ok"]:
            log.info("scheduled %s at t=%.3f refused: %s", op, due, reply.get("error"))

    rt.clock.at(due, fire)
    return {"at": due}


@command("sandbox.lock", changes_spec=False)
def lock(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.locked = bool(f.command.get("locked"))
    rt.dirty = True
    return {"locked": rt.locked}
