"""SandboxRuntime: one sandbox's backend, spec, agents and clock speed, with no Django inside.

The runtime is what a command reaches after it crossed the channel layer. `apply(cmd)`
looks the op up in the command table (`runtime.commands`, which the handler modules
fill), validates, calls the backend and records the change in the spec; a refused
command (bad field, broker rule, cap) changes neither.
`tick(wall_dt)` lets `wall_dt * speed` virtual seconds pass and returns one frame for
everything that happened (see `sandbox.frames`); `step()` runs exactly one engine
action. Events also go to a bounded history for the inspector (`message.trace`,
`message.journey`), and published bodies and headers to a bounded `payloads` map.
`build(spec)` throws the backend away and replays a spec on a fresh one with the same
seed: same seed and same spec give the same state. The spec is always the whole
topology: the part a real broker cannot run is kept (`runtime.kept`), described in
frames from the spec and refused to commands. `time` is the clock the engine follows:
the spec's speed and pause on the simulator; real time on a real broker, which leaves
the spec's settings for the return. On a real broker the old backend only disconnects,
and the fresh one finds the queues, messages, topics and offsets again; `build(spec,
wipe=True)` (reset, a loaded file, a scenario) deletes them first, and `destroy()`
deletes them for good. A spec's "scenario" key (a narration's slug and step) brings the
narration back when the spec is built (its restorer, `sandbox.scenarios.commands`). While
a narrated step plays, `plan`/`work`/`settle` hand time to it (`scenario.playing`),
which stops at the step's breakpoints with `run_to`. A frame goes out whenever the clock
moved, so the clock and counters follow every tick. Leaves out undo.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sandbox.runtime.classroom as classroom
import sandbox.runtime.json_values as json_values
import sandbox.runtime.kept as kept
import sandbox.runtime.memory as memory
import sandbox.runtime.spec as specs
from brokers.amqp.api import AmqpApi
from brokers.backend import Backend
from brokers.clock import Clock
from brokers.errors import BrokerError, CapacityExceeded
from brokers.kafka.api import KafkaApi
from sandbox import frames, protocol
from sandbox.runtime.agent import Agent, properties
from sandbox.runtime.commands import COMMANDS, RESTORERS
from sandbox.runtime.fields import CommandError, Fields
from sandbox.runtime.payloads import Payloads

log = logging.getLogger(__name__)

#: events kept for the next frame when none is taken for a while (thinned evenly beyond)
MAX_PENDING = 50_000
#: wall seconds one run of the clock aims at between looks at the work budget
CHUNK_SECONDS = 0.001
MAX_CHUNK = 200


@dataclass(frozen=True)
class Caps:
    """A sandbox's limits (from settings.BP_*; plain values so the runtime stays Django-free)."""

    max_entities: int = 200
    max_retained: int = 10_000
    max_memory: int = 32 * 2**20  # estimated bytes (see SandboxRuntime.memory_estimate)
    max_publish_rate: int = protocol.MAX_PUBLISH_RATE
    event_history: int = 5_000
    max_moves: int = protocol.FRAME_MAX_MOVES
    max_log: int = protocol.FRAME_MAX_LOG
    max_frame_bytes: int = protocol.FRAME_MAX_BYTES - 512  # room for the host's stamps


def _simulator(seed: int) -> Backend:
    from brokers.sim import Simulator

    return Simulator(seed)


class SandboxRuntime:
    """A sandbox's live state: drive it with `apply`, `tick` and `step`."""

    def __init__(
        self,
        seed: int,
        spec: dict[str, Any] | None = None,
        caps: Caps | None = None,
        backend_factory: Callable[[int], Backend] = _simulator,
        work_budget: float | None = None,
    ) -> None:
        self.seed = seed
        self.caps = caps or Caps()
        self.factory = backend_factory
        #: wall seconds one tick may spend advancing the engine (None: no limit, tests)
        self.work_budget = work_budget
        self.history: deque = deque(maxlen=self.caps.event_history)
        #: body previews and headers of published messages, for the inspector
        self.payloads = Payloads(self.caps.event_history)
        self.seq = 0
        self.events_seen = 0  # events collected in all (free play moves it: a drift)
        self._framed_now: float | None = None  # backend time of the last frame
        self.spec_version = 0
        self.backend: Backend | None = None
        self.locked = False  # the owner locked editing (classroom.LOCKED_OPS refused)
        try:
            self.build(spec)
        except BaseException:  # a half-built real backend would go on consuming unseen
            self.close()
            raise

    # -- building ------------------------------------------------------------------------
    def build(self, spec: dict[str, Any] | None, wipe: bool = False) -> None:
        """Replace the backend with a fresh one (same seed) holding `spec`'s topology;
        with `wipe`, what the old one held on a real broker is deleted first."""
        owed = wipe and not self.destroy()
        self.close()
        self.scenario = None  # a rebuild forgets the narration (ScenarioRun puts it back)
        self.scenario_claims: list[dict[str, Any]] = []
        self.backend = self.factory(self.seed)
        if owed:  # the broker was down: delete what it holds once it answers
            self.backend.destroy_when_connected()
        self.clock: Clock = getattr(self.backend, "clock", None) or Clock()
        self.spec = specs.normalize(spec)
        narration = self.spec.pop("scenario", None)  # put back by its restorer (on_build)
        self.kept = kept.kept_brokers(self.backend)
        # a real broker runs in real time; the spec keeps the user's speed for the return
        self.time = self.spec["time"] if self.backend.steppable else {"speed": 1.0, "paused": False}
        self.agents: dict[str, Agent] = {}
        self.bursts: dict[str, Agent] = {}
        self.publish_rng = random.Random(f"{self.seed}:publish")
        self.sample_rng = random.Random(f"{self.seed}:frames")
        self._bursts_made = 0
        self._retained = 0
        self._published_since = 0
        self._retained_bytes = 0
        self._published_bytes = 0
        self.behind = False
        self._target: float | None = None  # virtual time the engine works toward (plan/work)
        self._chunk = MAX_CHUNK  # clock actions per chunk of work (adapts to their cost)
        specs.realize(self.backend, self.spec)
        for name, conf in self.spec["producers"].items():
            if conf.get("broker") in self.kept:
                continue
            agent = self.agents[name] = Agent(self, name, conf, publisher=name)
            if conf.get("running"):
                agent.start()
        self.pending: list = []
        self.thinned = 0
        self._collect()
        self.dirty = True
        if narration is not None and "scenario" in RESTORERS:
            RESTORERS["scenario"](self, narration)

    def close(self) -> None:
        """Release the backend; a real broker keeps what this sandbox made there."""
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    def destroy(self) -> bool:
        """Delete what the backend holds on its broker and release it; False when the
        broker could not be reached (True with no backend, or the simulator)."""
        backend, self.backend = self.backend, None
        return backend.destroy() if backend is not None else True

    # -- commands ------------------------------------------------------------------------
    def apply(self, command: dict[str, Any]) -> dict[str, Any]:
        """Run one protocol command; {"ok": True, ...} or {"ok": False, "error", "field"}."""
        try:
            json_values.check(command)  # every door's values, whatever door they came by
        except json_values.ValueRefused as exc:
            return _refused(exc.message, exc.field)
        op = command.get("op") if isinstance(command, dict) else None
        entry = COMMANDS.get(op) if isinstance(op, str) else None
        if entry is None:
            return _refused(f"Unknown command {op!r}.", "op")
        handler, changes_spec = entry
        if self.locked and op in classroom.LOCKED_OPS:
            return _refused(classroom.LOCKED, "op")
        broker = kept.command_broker(op, command, self.spec)
        if broker in self.kept:
            return _refused(kept.refusal(broker, self.backend.kind), "op")
        saved = copy.deepcopy(self.spec) if changes_spec else None
        seed = self.seed
        try:
            result = handler(self, Fields(command))
        except CommandError as exc:
            return _refused(exc.message, exc.field)
        except BrokerError as exc:
            return _refused(exc.message, None)
        except Exception:
            log.exception("command %s failed inside the engine; rebuilding from the spec", op)
            self.build(saved if saved is not None else self.spec)
            return _refused("Something went wrong inside the engine; the sandbox was rebuilt.")
        classroom.noticed(self, op, changes_spec and self.spec != saved)
        if changes_spec and (self.spec != saved or self.seed != seed):
            self.spec_version += 1  # the host saves spec and seed
        self.dirty = True
        return {"ok": True, **result}

    # -- time ----------------------------------------------------------------------------
    def tick(self, wall_dt: float) -> dict[str, Any] | None:
        """Let wall_dt * speed virtual seconds pass; a frame if anything happened."""
        self.advance(wall_dt)
        return self.take_frame()

    def advance(self, wall_dt: float) -> None:
        """Let wall_dt * speed virtual seconds pass (unless paused); events wait for a frame."""
        self.plan(wall_dt)
        self.work(self.work_budget)
        self.settle()

    def playing(self) -> Any:
        """The narrated step playing now (`playback.Playing`), or None."""
        return self.scenario.playing if self.scenario is not None else None

    def plan(self, wall_dt: float) -> bool:
        """Aim the engine at wall_dt * speed virtual seconds on; True if `work` has some.

        The host splits a tick into `plan`, any number of `work` slices (other sandboxes
        run between them) and `settle`. A real broker runs on its own: it advances here.
        A narrated step playing plans its own time, up to its next breakpoint.
        """
        self._target = None
        playing = self.playing()
        if playing is not None:
            return playing.plan(wall_dt)
        return self._plan_free(wall_dt)

    def _plan_free(self, wall_dt: float) -> bool:
        if self.time["paused"] or wall_dt <= 0:
            if not self.backend.steppable:
                self.backend.advance(0.0)  # a real broker runs on: keep its state and link fresh
            return False
        seconds = wall_dt * self.time["speed"]
        if not self.backend.steppable:
            self.backend.advance(seconds)
            self._sync_own_clock()
            return False
        self._target = self.backend.now + seconds
        return True

    def work(self, budget: float | None) -> bool:
        """Run the engine toward the planned time for at most `budget` wall seconds (None:
        no limit); True once it got there (or nothing was planned)."""
        playing = self.playing()
        if playing is not None:
            return playing.work(budget)
        return self._work_free(budget)

    def _work_free(self, budget: float | None) -> bool:
        target = self._target
        if target is None:
            return True
        if budget is None:
            self.backend.advance(target - self.backend.now)
            self._sync_own_clock()
            self._target, self.behind = None, False
            return True
        started, clock = time.perf_counter(), self.clock
        while clock.peek() <= target:
            began = time.perf_counter()
            steps = clock.run(until=target, max_steps=self._chunk)
            done = time.perf_counter()
            if steps == self._chunk:  # keep a chunk near CHUNK_SECONDS, whatever a step costs
                scale = CHUNK_SECONDS / max(done - began, 1e-6)
                self._chunk = max(1, min(MAX_CHUNK, int(self._chunk * scale) or 1))
            if done - started > budget:
                return False
        self.backend.advance(target - self.backend.now)
        self._target, self.behind = None, False
        return True

    def settle(self) -> None:
        """End a tick's engine work: behind if the planned time was not reached."""
        playing = self.playing()
        if playing is not None:
            playing.settle()
        if self._target is not None:
            self.behind, self._target = True, None
        self._collect()
        self._count_retained(self.backend.describe())

    def pass_time(self, wall_dt: float) -> None:
        """Let wall_dt * speed seconds pass the ordinary way, at once (a real broker's
        narrated step runs its sandbox so)."""
        if self._plan_free(wall_dt):
            self._work_free(None)

    def run_to(self, target: float, stop_at_move: bool = False, budget: float | None = None) -> str:
        """Simulator: run the engine to exactly virtual time `target`: "reached"; "moved"
        when `stop_at_move` and an event that moves a dot happened (time stays at that
        event); "out" when `budget` wall seconds ran out first."""
        clock, started = self.clock, time.perf_counter()
        while clock.peek() <= target:
            if stop_at_move:
                seen = len(self.pending)
                clock.step()
                self._collect()
                if any(e.kind in frames.MOVES for e in self.pending[seen:]):
                    return "moved"
            else:
                clock.run(until=target, max_steps=self._chunk)
            if budget is not None and time.perf_counter() - started > budget:
                return "out"
        clock.run(until=target)  # nothing is due before it: now becomes `target`
        return "reached"

    def collect(self) -> None:
        """Move the backend's new events to the history (and the next frame)."""
        self._collect()

    def take_frame(self) -> dict[str, Any] | None:
        """A frame of the events since the last one, or None if nothing happened (time
        moving counts: the clock and the counters follow every tick)."""
        self._collect()
        if not self.pending and not self.dirty and self.backend.now == self._framed_now:
            return None
        events, self.pending = self.pending, []
        frame = self.frame(events)
        self.thinned = 0
        return frame

    def _collect(self) -> None:
        """Move the backend's new events to the history and to the next frame's list."""
        events = self.backend.drain()
        if not events:
            return
        self.events_seen += len(events)
        self.history.extend(events)
        self.pending.extend(events)
        if len(self.pending) > MAX_PENDING:  # no frame taken for a while: thin, keep the tail
            tail = self.caps.max_log
            kept = frames.sample(self.pending[:-tail], MAX_PENDING // 2, self.sample_rng)
            self.thinned += len(self.pending) - tail - len(kept)
            self.pending = kept + self.pending[-tail:]

    def _sync_own_clock(self) -> None:
        if self.clock is not getattr(self.backend, "clock", None):
            self.clock.run(until=self.backend.now)

    def step_once(self) -> bool:
        """Pause, run exactly one engine action; its events wait for the next frame. (A
        narrated step playing stops at its breakpoints on the way: `Playing.step_event`.)"""
        playing = self.playing()
        if playing is not None and playing.run.simulated:
            stepped = playing.step_event()
            self._collect()
            self.dirty = True
            return stepped
        return self.step_engine()

    def step_engine(self) -> bool:
        """Pause and run exactly the next engine action."""
        self.time["paused"] = True
        stepped = self.backend.step() if self.backend.steppable else False
        self._collect()
        self.dirty = True
        return stepped

    def step(self) -> dict[str, Any]:
        """Run exactly one engine action (pausing first); the frame of what it did."""
        stepped = self.step_once()
        frame = self.take_frame()
        frame["stepped"] = stepped
        return frame

    # -- frames --------------------------------------------------------------------------
    def frame(self, events: list | None = None) -> dict[str, Any]:
        """A frame of the current state and `events` (a snapshot when None)."""
        snapshot = events is None
        if not snapshot:
            self.dirty = False
        shown = list(self.history)[-self.caps.max_log :] if snapshot else events
        state = self.backend.describe()
        self._count_retained(state)
        self._framed_now = self.backend.now
        self.seq += 1
        log_items, more = frames.log_slice(shown, self.caps.max_log)
        now = state.get("now", self.backend.now)
        frame = {
            "type": "frame",
            "seq": self.seq,
            "now": now,
            "speed": self.time["speed"],
            "paused": self.time["paused"],
            "behind": self.behind,
            "seed": self.seed,
            "status": state.get("status") or self.backend.status(),
            "amqp": kept.describe_amqp(self.spec) if "amqp" in self.kept else state.get("amqp"),
            "kafka": kept.describe_kafka(self.spec) if "kafka" in self.kept else state.get("kafka"),
            "kept": {broker: kept.RUNS_ON[broker] for broker in self.kept},
            "producers": [a.describe() for a in self.agents.values()]
            + kept.describe_producers(self.spec, self.kept),
            "moves": [] if snapshot else frames.moves(events, self.caps.max_moves, self.sample_rng),
            "log": log_items,
            "more": 0 if snapshot else more + self.thinned,
            "series": frames.series(state, now),
            "caps": self.usage(),
            "locked": self.locked,
            "scenario": classroom.scenario_frame(self),
            "dot_ms": round(1000 * frames.dot_seconds(self.time["speed"])),
        }
        chart = classroom.chart_frame(self, snapshot)
        if chart is not None:
            frame["chart"] = chart
        frames.fit(frame, self.caps.max_frame_bytes)
        return frame

    def usage(self) -> dict[str, int]:
        """How much of each cap the sandbox uses."""
        return {
            "entities": specs.count_entities(self.spec),
            "max_entities": self.caps.max_entities,
            "retained": self._retained,
            "max_retained": self.caps.max_retained,
            "max_publish_rate": self.caps.max_publish_rate,
            "memory": self.memory_estimate(),
            "max_memory": self.caps.max_memory,
        }

    def _count_retained(self, state: dict[str, Any]) -> None:
        self._retained, self._published_since = frames.retained(state), 0
        self._retained_bytes, self._published_bytes = frames.retained_bytes(state), 0

    def trace(self, msg: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Events from the history, about message `msg` when given, newest last."""
        if msg:
            hits = [e for e in self.history if _mentions(e, msg)]
        else:
            hits = list(self.history)
        return [e.to_dict() for e in hits[-limit:]]

    # -- helpers the command handlers use -------------------------------------------------
    @property
    def amqp(self) -> AmqpApi:
        if self.backend.amqp is None:
            raise CommandError(kept.refusal("amqp", self.backend.kind), "op")
        return self.backend.amqp

    @property
    def kafka(self) -> KafkaApi:
        if self.backend.kafka is None:
            raise CommandError(kept.refusal("kafka", self.backend.kind), "op")
        return self.backend.kafka

    def need_room(self, added: int) -> None:
        """Refuse when `added` more entities would pass the entity cap."""
        held, cap = specs.count_entities(self.spec), self.caps.max_entities
        if held + added <= cap:
            return
        if held >= cap:
            raise CapacityExceeded(
                f"This sandbox holds {held} entities, its limit; delete some first."
            )
        raise CapacityExceeded(
            f"This would add {added} entities to the {held} this sandbox holds; its limit is "
            f"{cap}. Delete some first."
        )

    def retained_estimate(self) -> int:
        """Messages held at the last frame plus those published since."""
        return self._retained + self._published_since

    def memory_estimate(self) -> int:
        """Bytes this runtime holds, estimated (see `sandbox.runtime.memory`)."""
        bodies = self._retained_bytes + self._published_bytes
        return memory.estimate(self.retained_estimate(), bodies, len(self.history))

    def full(self) -> bool:
        """Whether the sandbox holds the messages, or the memory, its caps allow."""
        if self.retained_estimate() >= self.caps.max_retained:
            return True
        return self.memory_estimate() >= self.caps.max_memory

    def total_rate(self, exclude: str = "") -> float:
        """msg/s of every running producer and paced publish, but `exclude`."""
        agents = list(self.agents.values()) + list(self.bursts.values())
        return sum(a.rate for a in agents if a.active and a.name != exclude)

    def next_burst_name(self, broker: str) -> str:
        self._bursts_made += 1
        return f"{'publish' if broker == 'amqp' else 'send'}#{self._bursts_made}"

    def agent_finished(self, agent: Agent) -> None:
        self.bursts.pop(agent.name, None)

    def check_target(self, conf: dict[str, Any]) -> None:
        """Refuse a producer whose exchange or topic does not exist."""
        state = self.backend.describe()
        if conf["broker"] == "amqp":
            names = {x["name"] for x in (state.get("amqp") or {}).get("exchanges", [])}
            what = "exchange"
        else:
            names = {t["name"] for t in (state.get("kafka") or {}).get("topics", [])}
            what = "topic"
        if conf["target"] not in names | ({""} if what == "exchange" else set()):
            raise CommandError(f"No {what} named {conf['target']!r}.", "target")

    def publish_message(self, conf: dict[str, Any], key: str, body: str, publisher: str) -> str:
        """Publish (AMQP) or send (Kafka) one message from a template; returns its id."""
        if conf["broker"] == "amqp":
            msg = self.amqp.basic_publish(
                conf["target"], key, body, properties(conf),
                conf.get("mandatory", False), publisher,
            )  # fmt: skip
            self._published_since += 1
            self._published_bytes += len(body)
            self.payloads.remember(msg, body, conf.get("headers"))
            return msg
        headers = [(k, str(v).encode()) for k, v in (conf.get("headers") or {}).items()]
        msg = self.kafka.send(
            conf["target"], body, key or None, conf.get("partition"), headers or None,
            producer=publisher or "default",
        )  # fmt: skip
        self._published_since += 1
        self._published_bytes += len(body)
        self.payloads.remember(msg, body, conf.get("headers"))
        return msg


def _refused(message: str, field: str | None = None) -> dict[str, Any]:
    return {"ok": False, "error": message, "field": field}


def _mentions(event: Any, msg: str) -> bool:
    return getattr(event, "msg", None) == msg or msg in (getattr(event, "msgs", None) or ())
