"""Classroom commands: a scenario narrated inside the runtime, and the owner's edit lock.

The runtime holds at most one `ScenarioRun` (`rt.scenario`), so the narration lives
where the frames are made and every viewer, watch-link viewers included, sees the same
step: each frame carries `"scenario"` (see `scenario_frame`: the step shown, whether it
is playing and how far, its claims or "…" while it plays, and a `note` saying why the
sandbox jumped), `"chart"` when the chart's history was replaced (a replay), and
`"locked"`.

    scenario.load   slug, position?  empty the sandbox, apply the scenario's seed and
                             topology; with `position`, replay at once to that step's end
    scenario.next            start the next step playing over time (a step still playing
                             is finished at once instead, on the simulator; a real broker's
                             cannot be hurried, so the note says how long it still plays;
                             from a drifted sandbox the shown step is replayed first, and
                             the note says so)
    scenario.back            replay to the previous step's end (from a step playing: to
                             its start); exact on the simulator, a restart on a real broker
    scenario.check           measure the shown step's claims again
    scenario.close           forget the narration, keep the topology
    sandbox.lock    locked   refuse topology edits (LOCKED_OPS) from every tab and socket

The narration is kept in the spec as `"scenario": {"slug", "position"}` (the step shown),
so it survives a runtime unload and a backend switch: `restore` (called when a runtime is
built from such a spec) replays to that step on the simulator; a real broker cannot
replay, so there it starts at the beginning and says so. When the owner changed the
topology since the scenario last built it (the key's `"own": true`), the sandbox keeps
what was built: its narration comes back drifted, and the next Next replays the step
first, saying so.
A rebuild outside the scenario (reset, load) forgets the narration.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from brokers.errors import BrokerError
from sandbox import protocol
from sandbox.runtime.fields import CommandError, Fields

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime

log = logging.getLogger(__name__)

#: ops refused while the owner has locked editing: they change the topology
LOCKED_OPS = frozenset(
    {
        "exchange.declare", "exchange.delete", "queue.declare", "queue.delete",
        "bind", "unbind", "consumer.add", "consumer.update", "consumer.remove",
        "topic.create", "topic.alter", "topic.partitions", "topic.delete",
        "group.add", "group.update", "group.remove",
        "producer.add", "producer.update", "producer.remove",
        "sandbox.reset", "sandbox.load", "scenario.load",
    }
)  # fmt: skip
LOCKED = "Editing is locked by the sandbox's owner; unlock it to change the topology."
#: ops that change what a playing step measures when someone else gives them
MEDDLING = frozenset(protocol.AMQP_OPS + protocol.KAFKA_OPS + protocol.PRODUCER_OPS)
BACKENDS = {"sim": "the simulator", "rabbitmq": "Real RabbitMQ", "kafka": "Real Kafka"}


def _run(rt: SandboxRuntime) -> Any:
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt:
        raise CommandError("No scenario is loaded in this sandbox.", "op")
    return run


def _answer(rt: SandboxRuntime, run: Any) -> dict[str, Any]:
    rt.scenario = run
    shown = run.shown
    rt.spec["scenario"] = {
        "slug": run.scenario.slug,
        "position": shown.index if shown is not None else -1,
    }
    rt.dirty = True
    return {"scenario": scenario_frame(rt)}


def _claim(result: Any) -> dict[str, Any]:
    return {
        "ok": bool(result.ok),
        "says": result.says,
        "message": result.message,
        "skipped": bool(result.skipped),
    }


def _scenario_error() -> type[Exception]:
    from sandbox.scenarios import ScenarioError

    return ScenarioError


def load(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    from sandbox.scenarios import ScenarioRun

    slug = f.name("slug")
    try:
        run = ScenarioRun(slug)
    except _scenario_error() as exc:
        raise CommandError(str(exc), "slug") from None
    position = f.integer("position", -1, -1, len(run.scenario.steps) - 1)
    rt.payloads.clear()
    run.start(rt)
    if position >= 0 and run.simulated:
        run.goto(position)
    return {**_answer(rt, run), "seed": rt.seed}


def next_step(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.playing is not None and not run.simulated:
        run.playing.asked_to_finish = True  # real time cannot be hurried: say so, never wait
    elif run.playing is not None:
        run.finish()
    elif run.finished:
        raise CommandError("This is the scenario's last step.", "op")
    else:
        run.begin()
    return _answer(rt, run)


def back(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.position < 0 and run.playing is None:
        raise CommandError("This is the scenario's start.", "op")
    run.back()
    return _answer(rt, run)


def check(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.playing is not None:
        raise CommandError("The step is still playing; its claims are checked at its end.")
    run.results = run.check()
    return _answer(rt, run)


def close(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.scenario = None
    rt.spec.pop("scenario", None)
    rt.dirty = True
    return {"scenario": None}


def lock(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.locked = bool(f.command.get("locked"))
    rt.dirty = True
    return {"locked": rt.locked}


# -- what the runtime calls ----------------------------------------------------------------
def noticed(rt: SandboxRuntime, op: str, changed_spec: bool) -> None:
    """A command succeeded: count it if someone changed the sandbox under a playing step,
    and mark the kept narration when the owner changed the topology (`restore` keeps it)."""
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt or run.applying or op not in MEDDLING:
        return
    if run.playing is not None:
        run.playing.meddled += 1
    if changed_spec and isinstance(rt.spec.get("scenario"), dict):
        rt.spec["scenario"]["own"] = True


def restore(rt: SandboxRuntime, saved: Any) -> None:
    """Bring back the narration a spec kept (`{"slug", "position"}`), as the module says."""
    from sandbox.scenarios import ScenarioRun

    if not isinstance(saved, dict):
        return
    built = copy_topology(rt.spec)
    own = bool(saved.get("own"))
    try:
        run = ScenarioRun(str(saved.get("slug", "")))
        position = int(saved.get("position", -1))
        run.start(rt)
        if run.simulated:
            run.goto(min(position, len(run.scenario.steps) - 1))
        elif position >= 0:
            here = BACKENDS.get(rt.backend.kind, "this backend")
            run.note = (
                f"On {here} the narration starts again at its beginning: a real broker "
                f"cannot replay the sandbox to step {position + 1}. Press Next to play step 1."
            )
    except (_scenario_error(), BrokerError, ValueError, TypeError) as exc:
        log.info("narration %r not restored: %s", saved, exc)
        rt.build({**built, "time": dict(rt.spec["time"])})
        return
    if own:
        _keep_what_was_built(rt, run, built)
    _answer(rt, run)
    if own:
        rt.spec["scenario"]["own"] = True  # until a replay makes it the scenario's again


def _keep_what_was_built(rt: SandboxRuntime, run: Any, built: dict[str, Any]) -> None:
    """The saved topology is not the scenario's: build it, narration attached but drifted."""
    time_settings = dict(rt.spec["time"])
    rt.build({**built, "time": time_settings})
    run.playing = None
    rt.scenario = run
    run.mark_unknown()
    run.note = (
        "This sandbox was reopened with changes of your own on top of the scenario: they "
        f"are kept. Next replays the scenario to the end of step {run.position + 1} first."
        if run.position >= 0
        else "This sandbox was reopened with changes of your own: they are kept. Next "
        "starts the scenario afresh."
    )


def copy_topology(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec's topology alone (no time, no narration), as plain JSON data."""
    return json.loads(json.dumps({k: v for k, v in spec.items() if k not in ("time", "scenario")}))


def scenario_frame(rt: SandboxRuntime) -> dict[str, Any] | None:
    """What every frame says about the narration (None when no scenario is loaded)."""
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt:
        return None
    scenario, step, playing = run.scenario, run.shown, run.playing
    if playing is not None:
        claims = [
            {"ok": None, "pending": True, "says": c.says, "message": "checked at the step's end"}
            for c in playing.step.claims
        ]
    else:
        claims = [_claim(r) for r in run.results] if step is not None else []
    return {
        "slug": scenario.slug,
        "title": scenario.title,
        "summary": scenario.summary,
        "concepts": list(scenario.concepts),
        "index": step.index if step is not None else -1,
        "total": len(scenario.steps),
        "finished": run.finished and playing is None,
        "playing": playing.to_dict() if playing is not None else None,
        "step": step.to_dict() if step is not None else None,
        "claims": claims,
        "note": _note(run),
        "backend": BACKENDS.get(getattr(rt.backend, "kind", ""), "a real broker"),
        "real": not run.simulated,
    }


def _note(run: Any) -> str:
    """The run's note, and while a real broker's step plays after Next was pressed, how
    long it still takes (counting down frame by frame)."""
    playing = run.playing
    if playing is None or not getattr(playing, "asked_to_finish", False):
        return run.note
    if playing.phase() == "checking":
        left = playing.duration + run.real_timeout - playing.elapsed
        wait = (
            f"The step's time is over; its claims are checked on the broker until they hold "
            f"(at most {max(0.0, left):.0f} s more)."
        )
    else:
        when = " once you press Play" if run.runtime.time["paused"] else ""
        wait = (
            f"A real broker's time cannot be hurried: this step plays "
            f"{max(0.0, playing.duration - playing.elapsed):.0f} s more{when}, then its "
            f"claims are checked."
        )
    return f"{run.note} {wait}" if run.note else wait


def chart_frame(rt: SandboxRuntime, snapshot: bool) -> dict[str, Any] | None:
    """The chart's history for a frame: in every snapshot while a scenario is loaded,
    and in the next frame after a replay replaced it (None otherwise)."""
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt or not (snapshot or run.chart_replaced):
        return None
    if not snapshot:
        run.chart_replaced = False
    return run.chart()


# op -> (handler, whether success changes the spec)
HANDLERS = {
    "scenario.load": (load, True),
    "scenario.next": (next_step, True),
    "scenario.back": (back, True),
    "scenario.check": (check, False),
    "scenario.close": (close, True),
    "sandbox.lock": (lock, False),
}
