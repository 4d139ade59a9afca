"""`ScenarioRun`: drive a `SandboxRuntime` through a scenario's topology and steps.

`start(runtime)` rebuilds the runtime empty with the scenario's seed and applies the
topology (time 0). `next()` moves to the next step: its actions happen from the previous
step's time (or at their own `at`), then virtual time runs to the step's `at`.
`back()` rebuilds and replays up to the previous step — the simulator is deterministic,
so this lands in exactly the same state. `check()` measures the current step's claims.

On the simulator, time runs only when the run says so: the runtime is left paused, so a
host ticking it between steps changes nothing. On a real broker (a backend that is not
steppable) time is wall time: actions keep their spacing, then the run polls until the
step's claims hold or `real_timeout` passes; claims marked `"real": false` are skipped
there and `"real": {...}` loosens the comparison. Leaves out pausing in the middle of a
step (the UI's own time controls do that).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from playground.runtime import SandboxRuntime
from playground.scenarios import claims
from playground.scenarios.loader import Claim, Scenario, ScenarioError, Step, load

POLL = 0.1  # seconds between looks at a real broker


@dataclass(frozen=True)
class ClaimResult:
    """One claim checked: whether it held, and a sentence saying what was measured."""

    ok: bool
    message: str
    says: str
    skipped: bool = False

    def __iter__(self):  # lets callers unpack `ok, message = result`
        return iter((self.ok, self.message))


class ScenarioRun:
    """One scenario playing on one runtime; `position` is the step shown (-1: none yet)."""

    def __init__(self, scenario: Scenario | str, real_timeout: float = 30.0) -> None:
        self.scenario = load(scenario) if isinstance(scenario, str) else scenario
        self.real_timeout = real_timeout
        self.runtime: SandboxRuntime | None = None
        self.position = -1

    # -- the API the UI uses -----------------------------------------------------------------
    def start(self, runtime: SandboxRuntime) -> None:
        """Empty `runtime`, give it the scenario's seed and apply the topology."""
        self.runtime = runtime
        speed = runtime.spec["time"]["speed"]
        runtime.seed = self.scenario.seed
        runtime.history.clear()
        runtime.build({"time": {"speed": speed, "paused": self.simulated}}, wipe=True)
        for cmd in self.scenario.topology:
            self._apply(cmd, "topology")
        runtime.advance(0.0)
        self.position = -1

    @property
    def simulated(self) -> bool:
        return self.runtime is not None and bool(self.runtime.backend.steppable)

    @property
    def step(self) -> Step | None:
        """The step shown now (None before the first `next()`)."""
        return self.scenario.steps[self.position] if self.position >= 0 else None

    @property
    def finished(self) -> bool:
        return self.position == len(self.scenario.steps) - 1

    def next(self) -> Step | None:
        """Play the next step's actions and time; the step, or None after the last one."""
        rt = self._need_runtime()
        if self.finished:
            return None
        step = self.scenario.steps[self.position + 1]
        began = rt.backend.now
        start_at = self.step.at if self.step else 0.0
        for cmd in sorted(step.actions, key=lambda a: a.get("at", start_at)):
            self._run_until(cmd.get("at", start_at), start_at, began)
            self._apply({k: v for k, v in cmd.items() if k != "at"}, f"step {step.index + 1}")
        self._run_until(step.at, start_at, began)
        self.position += 1
        if not self.simulated:
            self._settle(step)
        return step

    def back(self) -> Step | None:
        """Rebuild and replay to the previous step; that step (None: back at the start)."""
        rt = self._need_runtime()
        target = self.position - 1
        self.start(rt)
        while self.position < target:
            self.next()
        return self.step

    def check(self, step: Step | None = None) -> list[ClaimResult]:
        """Measure `step`'s claims (the current step by default) against the runtime now."""
        step = step or self.step
        if step is None:
            return []
        seen = self.observed()
        return [self._check(c, seen) for c in step.claims]

    def play_all(
        self, runtime: SandboxRuntime | None = None
    ) -> list[tuple[Step, list[ClaimResult]]]:
        """From the start of the topology, every step with its checked claims (tests, CLI)."""
        self.start(runtime or self._need_runtime())
        out = []
        while (step := self.next()) is not None:
            out.append((step, self.check(step)))
        return out

    # -- internals -----------------------------------------------------------------------------
    def observed(self) -> claims.Observed:
        rt = self._need_runtime()
        rt.advance(0.0)  # moves the backend's latest events into the history
        return claims.Observed(state=rt.backend.describe(), events=list(rt.history))

    def _check(self, claim: Claim, seen: claims.Observed) -> ClaimResult:
        expect = claim.expect
        if not self.simulated:
            if claim.real is False:
                return ClaimResult(True, "not checked on a real broker", claim.says, True)
            if isinstance(claim.real, dict):
                expect = claim.real
        full = len(seen.events) >= (self.runtime.history.maxlen or float("inf"))
        try:
            value = claims.measure(claim.what, claim.args, seen)
        except LookupError as exc:
            return ClaimResult(False, f"{claim.what}: {exc}", claim.says)
        ok = claims.compare(value, expect)
        wanted = ", ".join(f"{k.replace('_', ' ')} {v!r}" for k, v in expect.items())
        message = f"{claim.what} {_args(claim.args)} is {value!r} (expected {wanted})"
        if full and not ok:
            message += "; the event history is full, so older events were not counted"
        return ClaimResult(ok, message, claim.says)

    def _apply(self, cmd: dict[str, Any], where: str) -> None:
        rt = self._need_runtime()
        if cmd["op"] == "producer.lose_acks":
            reply = self._lose_acks(cmd)
        else:
            reply = rt.apply(cmd)
        if not reply.get("ok"):
            raise ScenarioError(
                f"{self.scenario.slug}: {where}: {cmd['op']} was refused: {reply.get('error')}"
            )

    def _lose_acks(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Fault injection the protocol has no op for: lose a producer's next acks."""
        kafka = self._need_runtime().backend.kafka
        lose = getattr(kafka, "lose_next_acks", None)
        if lose is None:
            return {"ok": False, "error": "this backend cannot lose produce responses"}
        lose(cmd["name"], int(cmd.get("count", 1)))
        return {"ok": True}

    def _run_until(self, when: float, start_at: float, began: float) -> None:
        """Simulator: run virtual time to `when`. Real: wait until as long after the step
        began as `when` is after the step's start."""
        rt = self._need_runtime()
        if self.simulated:
            if when > rt.backend.now:
                rt.backend.advance(when - rt.backend.now)
            rt.advance(0.0)
            return
        deadline = time.monotonic() + max(0.0, (when - start_at) - (rt.backend.now - began))
        self._poll_while(lambda: time.monotonic() < deadline)

    def _settle(self, step: Step) -> None:
        """Real broker: keep polling until the step's claims hold or the timeout passes."""
        deadline = time.monotonic() + self.real_timeout

        def pending() -> bool:
            return time.monotonic() < deadline and not all(r.ok for r in self.check(step))

        self._poll_while(pending)

    def _poll_while(self, condition) -> None:
        rt = self._need_runtime()
        while condition():
            rt.advance(POLL)  # a real backend polls the broker; the runtime's agents run
            time.sleep(POLL / 2)

    def _need_runtime(self) -> SandboxRuntime:
        if self.runtime is None:
            raise ScenarioError("Call start(runtime) first.")
        return self.runtime


def _args(args: dict[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"
