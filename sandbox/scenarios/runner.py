"""`ScenarioRun`: drive a `SandboxRuntime` through a scenario's topology and steps.

`start(runtime)` rebuilds the runtime empty with the scenario's seed and applies the
topology (time 0). `begin()` starts the next step playing over wall time (see
`playback`): the runtime's ticks run it, and at its end time pauses, `position` moves
on and its claims are checked (`results`). `finish()` plays the rest of a playing step
at once; `next()` is `begin()` and `finish()` together (tests, replays). `goto(k)`
rebuilds and replays to the end of step k: the simulator is deterministic, so this
lands in exactly the state the room saw; `back()` goes to the previous step's end (from
a step still playing: to its own start). `check()` measures a step's claims again.

Free play between steps: `drift()` says what moved since the shown step ended (time ran,
the topology changed, something happened); `begin()` from a drifted state first replays
to the shown step's end and says so in `note`, so the next step's claims measure the
step, not what was played meanwhile.

On the simulator time runs only while a step plays: at the step's end the runtime is
paused. On a real broker (a backend that is not steppable) time is wall time, claims
marked `"real": false` are skipped there and `"real": {...}` loosens the comparison;
a step cannot be replayed, so Back and a drifted Next say so instead. A backend that
runs one broker plays the scenario's part on it: the other broker's commands are not
sent (they stay in the spec, kept and drawn greyed) and its claims are skipped, saying
which broker they need.

Chart samples (`samples`, every `playback.SAMPLE_EVERY` virtual seconds inside steps)
are part of the replay too, so after Back the chart shows what it showed then.
"""

from __future__ import annotations

import json
from typing import Any

import sandbox.runtime.kept as kept
import sandbox.scenarios.claims as claims
from sandbox import frames
from sandbox.runtime.core import SandboxRuntime
from sandbox.scenarios.claims import ClaimResult
from sandbox.scenarios.loader import RUNNER_OPS, Claim, Scenario, ScenarioError, Step, load
from sandbox.scenarios.playback import SAMPLE_EVERY, Playing

MAX_SAMPLES = 4000  # chart samples kept per run (a long scenario is thinned when sent)
BROKER_NAMES = {"amqp": "RabbitMQ", "kafka": "Kafka"}
#: the spec sections of each broker's half (producers go by their own broker)
KEPT_SECTIONS = {
    "amqp": ("exchanges", "queues", "bindings", "consumers"),
    "kafka": ("topics", "groups"),
}
UNKNOWN = ("unknown",)  # a drift mark: the sandbox was built by someone else
BACKEND_NAMES = {"sim": "the simulator", "rabbitmq": "Real RabbitMQ", "kafka": "Real Kafka"}


class ScenarioRun:
    """One scenario playing on one runtime; `position` is the last step ended (-1: none)."""

    def __init__(self, scenario: Scenario | str, real_timeout: float = 30.0) -> None:
        self.scenario = load(scenario) if isinstance(scenario, str) else scenario
        self.real_timeout = real_timeout
        self.runtime: SandboxRuntime | None = None
        self.position = -1
        self.playing: Playing | None = None
        self.results: list[ClaimResult] = []
        self.note = ""  # what the narration says about the last jump or refusal
        self.samples: list[dict[str, Any]] = []
        self.next_sample = 0.0
        self.applying = False
        self.chart_replaced = False
        self._mark: tuple | None = None  # (now, events seen, topology) when a step ended

    # -- the API the UI uses -----------------------------------------------------------------
    def start(self, runtime: SandboxRuntime) -> None:
        """Empty `runtime`, give it the scenario's seed and apply the topology."""
        self.runtime = runtime
        speed = runtime.spec["time"]["speed"]
        runtime.seed = self.scenario.seed
        runtime.history.clear()
        paused = bool(runtime.backend.steppable)  # the simulator's time runs in steps only
        runtime.build({"time": {"speed": speed, "paused": paused}}, wipe=True)
        runtime.scenario = self
        self.position, self.playing, self.results = -1, None, []
        self.samples, self.next_sample = [], 0.0
        self.chart_replaced = True  # the next frame carries the chart's (new) history
        for cmd in self.scenario.topology:
            self.apply(cmd, None)
        if runtime.kept:
            self._keep_other_half()
        runtime.collect()
        self.sample_until(runtime.backend.now)
        self._mark = self._state_mark()

    @property
    def simulated(self) -> bool:
        return self.runtime is not None and bool(self.runtime.backend.steppable)

    @property
    def step(self) -> Step | None:
        """The last step that ended (None before the first one)."""
        return self.scenario.steps[self.position] if self.position >= 0 else None

    @property
    def shown(self) -> Step | None:
        """The step the narration shows: the one playing, else the last that ended."""
        return self.playing.step if self.playing is not None else self.step

    @property
    def finished(self) -> bool:
        return self.position == len(self.scenario.steps) - 1

    def begin(self) -> Step | None:
        """Start the next step playing (replaying first if the sandbox drifted); the step,
        or None after the last one. A step already playing is finished first."""
        rt = self._need_runtime()
        if self.playing is not None:
            self.finish()
        if self.finished:
            return None
        self.note = ""
        drifted = self.drift()
        if drifted:
            self._replay_for(drifted)
        step = self.scenario.steps[self.position + 1]
        start_at = self.step.at if self.step else 0.0
        if self.simulated:
            rt.time["paused"] = False
        self.playing = Playing(self, step, start_at)
        if not self._runs_here(step):
            brokers = {claims.broker_of(c.what, c.args) for c in step.claims} - {None}
            name = " and ".join(BROKER_NAMES[b] for b in sorted(brokers))
            here = BACKEND_NAMES.get(rt.backend.kind, "this backend")
            self.note = (
                f"This step is about {name}, which {here} does not run, so it is skipped "
                f"here: switch to the simulator or Real {name} to see it."
            )
            self.playing.results = self._check_all(step)
            self.playing.done = True
            self.ended(self.playing)
        return step

    def finish(self) -> None:
        """Play the rest of the playing step at once, then check its claims."""
        if self.playing is not None:
            self.playing.finish()

    def next(self) -> Step | None:
        """Play the next step at once; the step, or None after the last one (ScenarioError
        when the runtime refused one of its actions)."""
        step = self.begin()
        playing = self.playing
        self.finish()
        if playing is not None and playing.refused:
            raise ScenarioError(playing.refused[0])
        return step

    def goto(self, position: int) -> None:
        """Rebuild and replay, at once, to the end of step `position` (-1: the start)."""
        rt = self._need_runtime()
        self.start(rt)
        while self.position < position:
            self.next()

    def back(self) -> Step | None:
        """Go to the previous step's end (from a step playing: to its start); that step."""
        target = self.position if self.playing is not None else self.position - 1
        if not self.simulated:
            self.start(self._need_runtime())
            if target >= 0:
                self.note = (
                    f"A real broker cannot go back in time, so the scenario started again "
                    f"from its beginning (fresh queues and topics): press Next to play step "
                    f"1. Steps 1 to {target + 1} replay at once only on the simulator."
                )
            return None
        self.goto(target)
        return self.step

    def check(self, step: Step | None = None) -> list[ClaimResult]:
        """Measure `step`'s claims (the last ended step by default) against the runtime now."""
        step = step or self.step
        return [] if step is None else self._check_all(step)

    def play_all(
        self, runtime: SandboxRuntime | None = None
    ) -> list[tuple[Step, list[ClaimResult]]]:
        """From the start of the topology, every step with its checked claims (tests, CLI)."""
        self.start(runtime or self._need_runtime())
        out = []
        while (step := self.next()) is not None:
            out.append((step, list(self.results)))
        return out

    def drift(self) -> str:
        """What moved since the shown step ended, in words ("" when nothing did)."""
        if self._mark is None or self.playing is not None:
            return ""
        if self._mark == UNKNOWN:
            return "reopened the sandbox with changes of your own"
        now, events, topology = self._state_mark()
        was_now, was_events, was_topology = self._mark
        said = []
        if self.simulated and now > was_now:
            said.append(f"played {now - was_now:.1f} s on your own")
        if topology != was_topology:
            said.append("changed the topology")
        if self.simulated and events != was_events and not said:
            said.append("changed the sandbox")
        return " and ".join(said)

    def mark_unknown(self) -> None:
        """The runtime holds a state the run did not make: the next begin() replays."""
        self._mark = UNKNOWN

    # -- what the playing step calls -------------------------------------------------------
    def ended(self, playing: Playing) -> None:
        """The playing step reached its end: pause, move on, check its claims."""
        rt = self._need_runtime()
        rt.collect()
        self.playing = None
        self.position = playing.step.index
        if self.simulated:
            rt.time["paused"] = True
        self.results = playing.results if playing.results is not None else self.check()
        if playing.meddled:
            self.note = (
                f"You gave {playing.meddled} command{'s' if playing.meddled > 1 else ''} of "
                f"your own while this step played: its claims measure the result, yours "
                f"included."
            )
        self._mark = self._state_mark()
        rt.dirty = True

    def apply(self, cmd: dict[str, Any], step: Step | None) -> None:
        """Apply one topology command or step action (not sent when the backend does not
        run its broker); ScenarioError when the runtime refuses it."""
        rt = self._need_runtime()
        if not self._runs(cmd):
            return
        if cmd["op"] == "producer.lose_acks":
            reply = self._lose_acks(cmd)
        else:
            self.applying = True  # the runtime counts other commands as meddling
            try:
                reply = rt.apply(cmd)
            finally:
                self.applying = False
        if not reply.get("ok"):
            where = f"step {step.index + 1}" if step else "topology"
            raise ScenarioError(
                f"{self.scenario.slug}: {where}: {cmd['op']} was refused: {reply.get('error')}"
            )

    def sample_until(self, now: float) -> None:
        """Chart samples for every sample time up to virtual time `now`."""
        if self.next_sample > now:
            return
        self.sample()
        while self.next_sample <= now:
            self.next_sample += SAMPLE_EVERY

    def sample(self) -> None:
        """One chart sample of the runtime now."""
        rt = self._need_runtime()
        self.samples.append(frames.series(rt.backend.describe(), rt.backend.now))
        if len(self.samples) > MAX_SAMPLES:
            del self.samples[: len(self.samples) - MAX_SAMPLES]

    def chart(self, limit: int = 240) -> dict[str, Any]:
        """The samples so far, at most `limit` of them, column by column (frames' "chart")."""
        kept = self.samples
        if len(kept) > limit:
            kept = [kept[i * len(kept) // limit] for i in range(limit - 1)] + [kept[-1]]
        columns: dict[str, dict[str, list]] = {"lag": {}, "depth": {}}
        for i, sample in enumerate(kept):
            for kind in ("lag", "depth"):
                for name, value in sample[kind].items():
                    columns[kind].setdefault(name, [None] * len(kept))[i] = value
        return {"t": [round(s["now"], 3) for s in kept], **columns}

    # -- internals -----------------------------------------------------------------------------
    def observed(self) -> claims.Observed:
        rt = self._need_runtime()
        rt.collect()  # moves the backend's latest events into the history
        return claims.Observed(state=rt.backend.describe(), events=list(rt.history))

    def _check_all(self, step: Step) -> list[ClaimResult]:
        seen = self.observed()
        return [self._check(c, seen) for c in step.claims]

    def _check(self, claim: Claim, seen: claims.Observed) -> ClaimResult:
        broker = claims.broker_of(claim.what, claim.args)
        if broker is not None and not self._has(broker):
            return ClaimResult(True, self._elsewhere(broker), claim.says, True)
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

    def _has(self, broker: str) -> bool:
        return getattr(self._need_runtime().backend, broker, None) is not None

    def _elsewhere(self, broker: str) -> str:
        here = BACKEND_NAMES.get(self._need_runtime().backend.kind, "this backend")
        name = BROKER_NAMES[broker]
        return f"about {name}, which {here} does not run: see it on the simulator or Real {name}"

    def _broker(self, cmd: dict[str, Any]) -> str | None:
        if cmd["op"] in RUNNER_OPS:
            return "kafka"
        return kept.command_broker(cmd["op"], cmd, self._need_runtime().spec)

    def _runs(self, cmd: dict[str, Any]) -> bool:
        broker = self._broker(cmd)
        return broker is None or self._has(broker)

    def _keep_other_half(self) -> None:
        """The topology's part for the broker this backend lacks, into the spec as kept
        (drawn greyed, `runtime.kept`), as a simulator would have built it."""
        rt = self._need_runtime()
        shadow = SandboxRuntime(self.scenario.seed)
        for cmd in self.scenario.topology:
            if cmd["op"] not in RUNNER_OPS:
                shadow.apply(cmd)
        for section in (s for broker in rt.kept for s in KEPT_SECTIONS.get(broker, ())):
            rt.spec[section] = shadow.spec[section]
        for name, conf in shadow.spec["producers"].items():
            if conf.get("broker") in rt.kept:
                rt.spec["producers"][name] = conf
        shadow.close()

    def _runs_here(self, step: Step) -> bool:
        """Whether any of the step's claims is about a broker this backend runs."""
        brokers = {claims.broker_of(c.what, c.args) for c in step.claims}
        return any(b is None or self._has(b) for b in brokers)

    def _replay_for(self, drifted: str) -> None:
        shown = self.position + 1
        where = f"step {shown} ended" if shown else "the scenario was built"
        if not self.simulated:
            self.note = (
                f"You {drifted} since {where}; a real broker cannot replay, so step "
                f"{shown + 1} plays on what is there now."
            )
            return
        self.goto(self.position)
        back_to = f"the end of step {shown}" if shown else "the scenario's start"
        self.note = (
            f"You {drifted} since {where}, so the sandbox was replayed to {back_to} before "
            f"step {shown + 1}: its claims measure the step, not the free play."
        )

    def _state_mark(self) -> tuple:
        rt = self._need_runtime()
        rt.collect()
        topology = {k: v for k, v in rt.spec.items() if k not in ("time", "scenario")}
        return (rt.backend.now, rt.events_seen, json.dumps(topology, sort_keys=True))

    def _lose_acks(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Fault injection the protocol has no op for: lose a producer's next acks."""
        kafka = self._need_runtime().backend.kafka
        lose = getattr(kafka, "lose_next_acks", None)
        if lose is None:
            return {"ok": False, "error": "this backend cannot lose produce responses"}
        lose(cmd["name"], int(cmd.get("count", 1)))
        return {"ok": True}

    def _need_runtime(self) -> SandboxRuntime:
        if self.runtime is None:
            raise ScenarioError("Call start(runtime) first.")
        return self.runtime


def _args(args: dict[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"
