"""The scenario commands: a scenario narrated inside the runtime (`rt.scenario`).

The runtime holds at most one `ScenarioRun` (`rt.scenario`); what every frame says of it
is `sandbox.runtime.classroom.scenario_frame`. These handlers register with the
runtime's command table (`sandbox.runtime.commands`) from here, above the runtime core,
which never imports the scenarios.

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

The narration is kept in the spec as `"scenario": {"slug", "position"}` (the step shown),
so it survives a runtime unload and a backend switch: `restore` (registered `on_build`,
so the runtime calls it when it is built from such a spec) replays to that step on the
simulator; a real broker cannot replay, so there it starts at the beginning and says so.
When the owner changed the topology since the scenario last built it (the key's `"own":
true`), the sandbox keeps what was built: its narration comes back drifted, and the next
Next replays the step first, saying so.
A rebuild outside the scenario (reset, load) forgets the narration.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import sandbox.scenarios.runner as runner  # a module reference: see below
from brokers.errors import BrokerError
from sandbox.runtime.classroom import BACKENDS, scenario_frame
from sandbox.runtime.commands import command, on_build
from sandbox.runtime.fields import CommandError, Fields
from sandbox.scenarios.loader import ScenarioError

# `sandbox.runtime` loads this module while it assembles itself, and the runner imports
# the runtime: when `sandbox.scenarios` is imported first, this module runs while the
# runner is still half loaded. So the runner is reached through the module at call time
# (`runner.ScenarioRun`), never a name taken from it at import time.

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime

log = logging.getLogger(__name__)


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


@command("scenario.load")
def load(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    slug = f.name("slug")
    try:
        run = runner.ScenarioRun(slug)
    except ScenarioError as exc:
        raise CommandError(str(exc), "slug") from None
    position = f.integer("position", -1, -1, len(run.scenario.steps) - 1)
    rt.payloads.clear()
    run.start(rt)
    if position >= 0 and run.simulated:
        run.goto(position)
    return {**_answer(rt, run), "seed": rt.seed}


@command("scenario.next")
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


@command("scenario.back")
def back(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.position < 0 and run.playing is None:
        raise CommandError("This is the scenario's start.", "op")
    run.back()
    return _answer(rt, run)


@command("scenario.check", changes_spec=False)
def check(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    run = _run(rt)
    if run.playing is not None:
        raise CommandError("The step is still playing; its claims are checked at its end.")
    run.results = run.check()
    return _answer(rt, run)


@command("scenario.close")
def close(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    rt.scenario = None
    rt.spec.pop("scenario", None)
    rt.dirty = True
    return {"scenario": None}


@on_build("scenario")
def restore(rt: SandboxRuntime, saved: Any) -> None:
    """Bring back the narration a spec kept (`{"slug", "position"}`), as the module says."""
    if not isinstance(saved, dict):
        return
    built = copy_topology(rt.spec)
    own = bool(saved.get("own"))
    try:
        run = runner.ScenarioRun(str(saved.get("slug", "")))
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
    except (ScenarioError, BrokerError, ValueError, TypeError) as exc:
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
