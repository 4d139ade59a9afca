"""The scenario gallery: ready-made topologies with a narrated, checkable timeline.

The API the UI uses:

    list_scenarios() -> [meta]     slug, title, summary, concepts, brokers, real, steps
    load(slug) -> Scenario         the validated scenario (ScenarioError if unknown/bad)
    run = ScenarioRun(slug)
    run.start(runtime)             empty the runtime, seed it, apply the topology
    run.begin() -> Step | None     start the next step playing over time (the runtime's
                                   ticks run it; replays first if the sandbox drifted)
    run.finish()                   play the rest of the playing step at once
    run.next() -> Step | None      begin() + finish(); None at the end
    run.back() -> Step | None      replay to the previous step's end (exact)
    run.goto(k)                    replay to the end of step k
    run.results, run.check()       the last ended step's claims: ok, message, says
    run.step, run.shown, run.playing, run.position, run.finished, run.note, run.chart()

A `Step` has `index`, `title`, `text`, `at` (virtual seconds), `watch` (node ids in
`sandbox.protocol`'s scheme to highlight) and `claims`; `step.to_dict()` is
JSON-ready. The files live in `data/`; `loader` documents their shape, `claims` the
measurements a claim can name, `runner` how steps, replays and drift work, `playback`
how time is driven inside a step on the simulator and on real brokers.
"""

from sandbox.scenarios.claims import ClaimResult
from sandbox.scenarios.loader import Scenario, ScenarioError, Step, list_scenarios, load
from sandbox.scenarios.runner import ScenarioRun

__all__ = [
    "ClaimResult",
    "Scenario",
    "ScenarioError",
    "ScenarioRun",
    "Step",
    "list_scenarios",
    "load",
]
