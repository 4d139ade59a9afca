"""Classroom commands: a scenario narrated inside the runtime, and the owner's edit lock.

The runtime holds at most one `ScenarioRun` (`rt.scenario`), so the narration lives
where the frames are made and every viewer, watch-link viewers included, sees the same
step: each frame carries `"scenario": {slug, title, concepts, index, total, finished,
step, claims}` (see `scenario_frame`), and `"locked"`.

    scenario.load   slug     empty the sandbox, apply the scenario's seed and topology
    scenario.next            play the next step's actions and time, then check its claims
    scenario.back            replay to the previous step (exact: the simulator is
                             deterministic), then check its claims
    scenario.check           measure the current step's claims again
    scenario.close           forget the narration, keep the topology
    sandbox.lock    locked   refuse topology edits (LOCKED_OPS) from every tab and socket

A rebuild outside the scenario (reset, load, an engine failure) forgets the narration.
Leaves out keeping the narration across a runtime unload: the spec holds the topology
only, so an unloaded sandbox comes back without its scenario position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.runtime.fields import CommandError, Fields

if TYPE_CHECKING:
    from playground.runtime.core import SandboxRuntime

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


def _run(rt: SandboxRuntime) -> Any:
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt:
        raise CommandError("No scenario is loaded in this sandbox.", "op")
    return run


def _answer(rt: SandboxRuntime, run: Any, results: list | None) -> dict[str, Any]:
    rt.scenario = run  # ScenarioRun.start rebuilds the runtime, which forgets it
    rt.scenario_claims = [_claim(r) for r in results] if results is not None else []
    rt.dirty = True
    return {"scenario": scenario_frame(rt)}


def _claim(result: Any) -> dict[str, Any]:
    return {
        "ok": bool(result.ok),
        "says": result.says,
        "message": result.message,
        "skipped": bool(result.skipped),
    }


def load(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    from playground.scenarios import ScenarioError, ScenarioRun

    slug = f.name("slug")
    try:
        run = ScenarioRun(slug)
    except ScenarioError as exc:
        raise CommandError(str(exc), "slug") from None
    rt.payloads.clear()
    run.start(rt)
    return {**_answer(rt, run, None), "seed": rt.seed}


def next_step(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.finished:
        raise CommandError("This is the scenario's last step.", "op")
    run.next()
    return _answer(rt, run, run.check())


def back(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.position < 0:
        raise CommandError("This is the scenario's start.", "op")
    run.back()
    return _answer(rt, run, run.check() if run.step else None)


def check(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    return _answer(rt, run, run.check() if run.step else None)


def close(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.scenario = None
    rt.dirty = True
    return {"scenario": None}


def lock(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.locked = bool(f.command.get("locked"))
    rt.dirty = True
    return {"locked": rt.locked}


def scenario_frame(rt: SandboxRuntime) -> dict[str, Any] | None:
    """What every frame says about the narration (None when no scenario is loaded)."""
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt:
        return None
    scenario, step = run.scenario, run.step
    return {
        "slug": scenario.slug,
        "title": scenario.title,
        "summary": scenario.summary,
        "concepts": list(scenario.concepts),
        "index": run.position,
        "total": len(scenario.steps),
        "finished": run.finished,
        "step": step.to_dict() if step is not None else None,
        "claims": list(getattr(rt, "scenario_claims", [])) if step is not None else [],
    }


# op -> (handler, whether success changes the spec)
HANDLERS = {
    "scenario.load": (load, True),
    "scenario.next": (next_step, True),
    "scenario.back": (back, True),
    "scenario.check": (check, False),
    "scenario.close": (close, False),
    "sandbox.lock": (lock, False),
}
