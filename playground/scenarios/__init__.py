"""The scenario gallery: ready-made topologies with a narrated, checkable timeline.

The API the UI uses:

    list_scenarios() -> [meta]     slug, title, summary, concepts, brokers, real, steps
    load(slug) -> Scenario         the validated scenario (ScenarioError if unknown/bad)
    run = ScenarioRun(slug)
    run.start(runtime)             empty the runtime, seed it, apply the topology
    run.next() -> Step | None      play the next step's actions and time; None at the end
    run.back() -> Step | None      rebuild and replay to the previous step (exact)
    run.check() -> [ClaimResult]   each claim of the current step: ok, message, says
    run.step, run.position, run.finished

A `Step` has `index`, `title`, `text`, `at` (virtual seconds), `watch` (node ids in
`playground.protocol`'s scheme to highlight) and `claims`; `step.to_dict()` is
JSON-ready. The files live in `data/`; `loader` documents their shape, `claims` the
measurements a claim can name, `runner` how time is driven on simulator and real brokers.
"""

from playground.scenarios.loader import Scenario, ScenarioError, Step, list_scenarios, load
from playground.scenarios.runner import ClaimResult, ScenarioRun

__all__ = [
    "ClaimResult",
    "Scenario",
    "ScenarioError",
    "ScenarioRun",
    "Step",
    "list_scenarios",
    "load",
]
