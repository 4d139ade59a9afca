"""The classroom inside the runtime: the narration as every frame shows it, and the lock.

The runtime holds at most one `ScenarioRun` (`rt.scenario`, see `sandbox.scenarios`), so
the narration lives where the frames are made and every viewer, watch-link viewers
included, sees the same step: each frame carries `"scenario"` (see `scenario_frame`: the
step shown, whether it is playing and how far, its claims or "…" while it plays, and a
`note` saying why the sandbox jumped), `"chart"` when the chart's history was replaced (a
replay), and `"locked"`. `noticed` counts the commands someone gave under a playing step.
While the owner has locked editing (`sandbox.lock`, in `control`), the runtime refuses
the LOCKED_OPS. The `scenario.*` commands themselves are `sandbox.scenarios.commands`'s.
"""

from __future__ import annotations

from typing import Any, Protocol

from sandbox import protocol


class Narrated(Protocol):
    """What these functions use of the runtime: its narration, spec, backend and lock."""

    scenario: Any  # a sandbox.scenarios.ScenarioRun, or None
    spec: dict[str, Any]
    backend: Any
    locked: bool
    dirty: bool


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


def _claim(result: Any) -> dict[str, Any]:
    return {
        "ok": bool(result.ok),
        "says": result.says,
        "message": result.message,
        "skipped": bool(result.skipped),
    }


# -- what the runtime calls ----------------------------------------------------------------
def noticed(rt: Narrated, op: str, changed_spec: bool) -> None:
    """A command succeeded: count it if someone changed the sandbox under a playing step,
    and mark the kept narration when the owner changed the topology (`restore` keeps it)."""
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt or run.applying or op not in MEDDLING:
        return
    if run.playing is not None:
        run.playing.meddled += 1
    if changed_spec and isinstance(rt.spec.get("scenario"), dict):
        rt.spec["scenario"]["own"] = True


def scenario_frame(rt: Narrated) -> dict[str, Any] | None:
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


def chart_frame(rt: Narrated, snapshot: bool) -> dict[str, Any] | None:
    """The chart's history for a frame: in every snapshot while a scenario is loaded,
    and in the next frame after a replay replaced it (None otherwise)."""
    run = getattr(rt, "scenario", None)
    if run is None or run.runtime is not rt or not (snapshot or run.chart_replaced):
        return None
    if not snapshot:
        run.chart_replaced = False
    return run.chart()
