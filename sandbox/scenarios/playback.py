"""One narrated step playing over wall time: its actions at their times, then its claims.

`Playing` is made by `ScenarioRun.begin()`; while it plays, the runtime hands it the
host's ticks (`plan`, `work` in fair-share slices, `settle`), and `finish()` plays the
rest at once (Next pressed again, a replay, the tests).

On the simulator a tick runs virtual time at the sandbox's speed, stopping exactly at
each breakpoint on the way: an action's `at` (the action is applied there), a chart
sample (every SAMPLE_EVERY virtual seconds), the step's `at` (time pauses, the claims are
checked). `finish()` goes through the same breakpoints in the same order, so a step
played over a minute and one replayed at once end in the same state; that is why Back
lands where the room saw it. Pause and play work mid-step: a tick does nothing while the
sandbox is paused.

Idle stretches: when nothing has moved for `quiet_after(speed)` wall seconds (the last
dots have arrived) and no message is held by a consumer (unacked, or records a group
member is processing), time fast-forwards from 16x, quadrupling its pace every tick (any idle
stretch passes in a few tenths of a second), and stops on the first event that moves a
dot; the narration says so. Nothing is faked: the clock shows the time that passed, and
a step whose consumers are busy processing plays at the sandbox's speed, its held
messages drawn at the consumers. Fast or slow, the same engine actions run in the same
order.

On a real broker time is wall time: actions keep their spacing from the step's start
(counted only while the sandbox is not paused), and once the step's time has passed its
claims are checked every POLL seconds until they hold or `real_timeout` passes; each
tick is short, so no view or host loop waits on a step. `finish()` there waits the
step out (tests, the CLI); the page's Next does not call it on a real broker (it would
hold the sandbox, frames included, for the rest of the step) but sets `asked_to_finish`,
and the note counts down instead. Leaves out fast-forward there (a real broker's time
cannot be hurried).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sandbox import frames
from sandbox.scenarios.claims import ClaimResult
from sandbox.scenarios.loader import ScenarioError, Step


class PlayingRun(Protocol):
    """What a playing step uses of the `ScenarioRun` that began it."""

    runtime: Any  # the SandboxRuntime the run plays on
    note: str
    real_timeout: float
    next_sample: float

    @property
    def simulated(self) -> bool: ...
    def apply(self, cmd: dict[str, Any], step: Step | None) -> None: ...
    def check(self, step: Step | None = None) -> list[ClaimResult]: ...
    def ended(self, playing: Playing) -> None: ...
    def sample(self) -> None: ...
    def sample_until(self, now: float) -> None: ...


SAMPLE_EVERY = 0.25  # virtual seconds between chart samples inside a step
POLL = 0.1  # wall seconds between looks at a real broker's claims
FAST_START = 16.0  # fast-forward starts at 16x the sandbox's speed (at 4x the clock was
# seen crawling for a few ticks with nothing on screen) ...
FAST_STEP = 4.0  # ... and quadruples each tick
MAX_FAST = 4096.0  # its top pace


def quiet_after(speed: float) -> float:
    """Wall seconds with nothing moving before an idle stretch fast-forwards: the time a
    dot takes to travel (`frames.dot_seconds`) and a breath (0.05 s) more."""
    return frames.dot_seconds(speed) + 0.05


class Playing:
    """The step being played: what is left of its actions, and how far it got."""

    def __init__(self, run: PlayingRun, step: Step, start: float) -> None:
        self.run = run
        self.rt = run.runtime
        self.step = step
        self.start = start  # the previous step's `at`: this step's virtual start
        self.actions = sorted(step.actions, key=lambda a: a.get("at", start))  # stable
        self.fast = 1.0  # pace over the sandbox's speed (above 1: fast-forwarding)
        # wall seconds since something last moved: time stood still before the step, so
        # no dot is in flight; a step whose first tick moves nothing fast-forwards at once
        self.quiet = quiet_after(self.rt.time["speed"])
        self.tick_dt, self.seen = 0.0, 0  # this tick's wall seconds, events before it
        self.elapsed = 0.0  # real broker: wall seconds played
        self.last_check = -POLL
        self.next_sample = SAMPLE_EVERY  # real broker: step seconds of the next chart sample
        self.meddled = 0  # commands someone else gave while the step played
        self.refused: list[str] = []  # actions the runtime refused
        self.asked_to_finish = False  # Next pressed on a real broker: the note counts down
        self.done = False
        self.results: list[ClaimResult] | None = None
        self._fire(start)

    # -- what the narration shows ------------------------------------------------------------
    @property
    def duration(self) -> float:
        return self.step.at - self.start

    def progress(self) -> float:
        """How much of the step's time has passed, 0 to 1."""
        if self.duration <= 0:
            return 1.0
        done = self.rt.backend.now - self.start if self.run.simulated else self.elapsed
        return max(0.0, min(1.0, done / self.duration))

    def phase(self) -> str:
        """ "playing", "fast" (fast-forwarding an idle stretch) or "checking" (a real
        broker's step time is over; its claims are polled)."""
        if not self.run.simulated and self.elapsed >= self.duration:
            return "checking"
        return "fast" if self.fast > 1 else "playing"

    # -- time: the host's tick is plan, work slices, settle ---------------------------------
    def plan(self, wall_dt: float) -> bool:
        """Aim at this tick's virtual time (the simulator; True when there is work), or play
        the tick whole (a real broker: False)."""
        rt = self.rt
        if self.done:
            return False
        if not self.run.simulated:
            self._tick_real(wall_dt)
            return False
        self.tick_dt, self.seen = 0.0, len(rt.pending)
        if rt.time["paused"] or wall_dt <= 0:
            return False
        self.tick_dt = wall_dt
        pace = wall_dt * rt.time["speed"] * self.fast
        rt._target = min(rt.backend.now + pace, self.step.at)
        return True

    def work(self, budget: float | None) -> bool:
        """Run toward the planned time for at most `budget` wall seconds; True once this
        tick's work is done (the time reached, a dot moved while fast, the step ended)."""
        target = self.rt._target
        if target is None:
            return True
        if self._play(target, budget, self.fast > 1) == "out":
            return False
        self.rt._target, self.rt.behind = None, False
        return True

    def settle(self) -> None:
        """After a tick: whether something moved, and so whether to fast-forward."""
        rt = self.rt
        if not self.run.simulated or self.tick_dt <= 0:
            return
        rt.collect()
        if any(e.kind in frames.MOVES for e in rt.pending[self.seen :]):
            self.quiet, self.fast = 0.0, 1.0
            return
        self.quiet += self.tick_dt
        if self.fast > 1:
            self.fast = min(MAX_FAST, self.fast * FAST_STEP)
        elif self.quiet >= quiet_after(rt.time["speed"]) and not self._held():
            self.fast = FAST_START

    def finish(self) -> None:
        """Play the rest of the step at once (a real broker: poll until it is checked)."""
        if self.run.simulated:
            self.fast = 1.0
            self._play(self.step.at, None, False)
            return
        last = time.monotonic()
        while not self.done:
            time.sleep(POLL / 2)
            now = time.monotonic()
            self._tick_real(now - last, paused=False)
            last = now

    def step_event(self) -> bool:
        """Pause, run exactly one engine action, or reach the next breakpoint if it comes
        first (an action due then is applied there, as it would be playing)."""
        self.rt.time["paused"] = True
        stop = self._next_stop(self.step.at)
        if self.rt.clock.peek() > stop:
            self._play(stop, None, False)
            return True
        return self.rt.step_engine()

    # -- the simulator -------------------------------------------------------------------------
    def _held(self) -> bool:
        """Whether a consumer holds a message unacked, or a group member records it is
        processing (dots.js draws them at the consumer: that is what the room watches)."""
        state = self.rt.backend.describe()
        amqp, kafka = state.get("amqp") or {}, state.get("kafka") or {}
        if any(c.get("unacked") for c in amqp.get("consumers", [])):
            return True
        return any(m.get("processing") for g in kafka.get("groups", []) for m in g["members"])

    def _play(self, until: float, budget: float | None, stop_at_move: bool) -> str:
        """Run toward virtual time `until`, handling each breakpoint on the way; how it
        stopped ("reached", "moved", "out" of budget: `Runtime.run_to`)."""
        rt = self.rt
        started = time.perf_counter()
        while not self.done:
            stop = self._next_stop(until)
            left = None if budget is None else budget - (time.perf_counter() - started)
            how = rt.run_to(stop, stop_at_move, left)
            if how != "reached":
                return how
            now = rt.backend.now
            self.run.sample_until(now)
            self._fire(now)
            if now >= self.step.at:
                self._end()
            elif now < until:
                continue
            break
        return "reached"

    def _next_stop(self, until: float) -> float:
        stops = [until, self.step.at, self.run.next_sample]
        if self.actions:
            stops.append(self.actions[0].get("at", self.start))
        return min(stops)

    def _fire(self, now: float) -> None:
        """Apply the actions due at `now` (virtual time; a real broker: step seconds)."""
        while self.actions and self.actions[0].get("at", self.start) <= now:
            cmd = self.actions.pop(0)
            try:
                self.run.apply({k: v for k, v in cmd.items() if k != "at"}, self.step)
            except ScenarioError as exc:  # said in the narration; next() raises it
                self.refused.append(str(exc))
                self.run.note = str(exc)

    # -- a real broker -------------------------------------------------------------------------
    def _tick_real(self, wall_dt: float, paused: bool | None = None) -> None:
        rt = self.rt
        rt.pass_time(wall_dt)  # polls the broker, runs the sandbox's own producers
        if rt.time["paused"] if paused is None else paused:
            return
        self.elapsed += wall_dt
        self._fire(self.start + self.elapsed)
        if self.elapsed >= self.next_sample:
            self.run.sample()
            self.next_sample += SAMPLE_EVERY
        if self.elapsed < self.duration or self.elapsed - self.last_check < POLL:
            return
        self.last_check = self.elapsed
        results = self.run.check(self.step)
        timed_out = self.elapsed >= self.duration + self.run.real_timeout
        if timed_out or all(r.ok for r in results):
            self.results = results
            self._end()

    def _end(self) -> None:
        self.done = True
        self.run.ended(self)

    def to_dict(self) -> dict[str, Any]:
        """What frames say about the step playing."""
        return {
            "progress": round(self.progress(), 4),
            "phase": self.phase(),
            "from": self.start,
            "to": self.step.at,
        }
