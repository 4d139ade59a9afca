"""The runtime host: owns the live SandboxRuntimes, applies commands, ticks, sends frames.

Views and the WebSocket consumer talk to it only through the channel layer, with
`call(sandbox_id, command)` (or `call_sync` from sync code): the command goes to the
channel "bp-runtime" as `{"type": "runtime.command", "sandbox", "command", "reply"}`
and the answer comes back on the reply channel as `{"type": "runtime.reply", "result"}`.
Viewers arriving and leaving are `{"type": "runtime.viewers", "sandbox", "delta"}`.
The same code runs two ways:

- embedded (settings.BP_RUNTIME_IN_PROCESS, the default, with the in-memory channel
  layer): the serving process runs the host itself, started lazily in its event loop by
  `ensure_host_started()` on the first `call` or WebSocket connect. (A sync view under
  Django's test client runs in an event loop of its own that ends with the call; the
  host's loops end with it and start again in the next one, its runtimes kept.)
- separate (`python manage.py runhost`, with REDIS_URL): one host process serves every
  daphne process over channels-redis.

Frames are encoded to JSON once and sent to the sandbox's group f"sb-{id}" as one
`{"type": "frame.message", "text"}` per frame; each serving process is one member of the
group and hands the frame to its own sockets (`playground.live.fanout`), so a frame costs the
layer one message per process, not one per viewer. Frames go out each tick for a sandbox
with viewers or activity (at most FRAME_SENDS_PER_S deliveries a second in all), and at
least once a second (a heartbeat) while it has viewers. Simulator runtimes share each
tick's budget fairly (`sandbox.fairshare`): a heavy sandbox falls behind, its
neighbours do not. A runtime nobody watches or commands for UNLOAD_AFTER is unloaded
(its spec kept); a sandbox not in use for BP_IDLE_MINUTES is deleted (`reclaim_once`).
Loading a runtime past a cap (`playground.limits`) first unloads the least recently used
one nobody watches, else answers a refusal. Unloading a runtime on a real broker only
disconnects it: the broker keeps the sandbox's queues and messages, topics, records and
committed offsets, and the next load finds them again (so does a switch back to that
broker). They are deleted on Reset and with the sandbox (`discard`). Every command and
tick is guarded: an error is logged and answered, and the loop goes on.

A sandbox on a real broker (`Sandbox.backend`, see `playground.backend_choice`) makes
blocking network calls: its load, commands, ticks and close run on REAL_POOL threads
(one at a time per sandbox, under its own lock), so a slow or vanished broker never
stalls the loop that serves the other sandboxes. `{"op": "sandbox.reload"}` (sent after
the backend changed in the database) closes the runtime and builds it again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from brokers.errors import BrokerError
from playground import backend_choice, limits
from playground.models import Sandbox
from sandbox import fairshare, frames
from sandbox.runtime import Caps, SandboxRuntime
from sandbox.runtime.memory import MB

log = logging.getLogger(__name__)

CHANNEL = "bp-runtime"
NO_ANSWER = {"ok": False, "error": "The sandbox runtime did not answer", "field": None}
GONE = {"ok": False, "error": "This sandbox no longer exists.", "field": None}
HEARTBEAT = 1.0  # seconds between frames to viewers of a quiet sandbox
RECLAIM_EVERY = 60.0
UNLOAD_AFTER = 600.0  # seconds without viewers or commands before a runtime is unloaded
FRAME_SENDS_PER_S = 4000  # frame deliveries a second across all viewers of this host
MIN_FRAME_HZ = 5
MAX_TICK = 0.25  # longest wall time one tick covers: a stalled host does not catch up at once
RELOAD = "sandbox.reload"
FORGET = "sandbox.forget"  # unload the runtime of a sandbox about to be deleted
DISCARD = "sandbox.discard"  # a deleted sandbox: {"kind"} says which broker held its resources
READ_ONLY = ("sandbox.snapshot", "message.trace")
WAITING = "The broker does not answer (%s); this sandbox's topology is declared when it does."
REFUSED = "The broker cannot run this sandbox's topology: %s Nothing changed."
#: threads for real-broker sandboxes' blocking calls (loads, commands, ticks, closes)
REAL_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="bp-real")


def group_name(sandbox_id: str) -> str:
    """The channel-layer group of a sandbox's viewers."""
    return f"sb-{sandbox_id}"


def caps_from_settings() -> Caps:
    """The sandbox caps configured in settings."""
    return Caps(
        max_entities=settings.BP_MAX_ENTITIES,
        max_retained=settings.BP_MAX_RETAINED,
        max_publish_rate=settings.BP_MAX_PUBLISH_RATE,
        event_history=settings.BP_EVENT_HISTORY,
        max_memory=settings.BP_SANDBOX_MEMORY_MB * MB,
    )


class Refused(Exception):
    """A cap stops the host loading one more runtime; `answer` says which."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["error"])
        self.answer = answer


@dataclass
class Live:
    """A loaded runtime and what the host knows about who watches it."""

    runtime: SandboxRuntime
    owner: str = ""
    saved_version: int = 0
    viewers: int = 0
    last_tick: float = 0.0
    last_sent: float = 0.0
    next_frame: float = 0.0  # when the next frame falls due (monotonic)
    last_active: float = 0.0
    last_touch: float = 0.0
    real: bool = False  # on a real broker: blocking calls go to REAL_POOL
    pending: dict[str, Any] | None = None  # a spec the broker was down for: declared on return
    refused: str = ""  # the broker answered but refused the topology (its message)
    ticking: asyncio.Future | None = None
    frame_cost: float = 0.0  # seconds its settle-and-frame is expected to take (fairshare)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()  # one command or tick at a time on this runtime


class RuntimeHost:
    """Live runtimes by sandbox id, and the loops that drive them."""

    def __init__(
        self,
        caps: Caps | None = None,
        tick_hz: int | None = None,
        unload_after: float = UNLOAD_AFTER,
    ) -> None:
        self.caps = caps or caps_from_settings()
        self.tick_hz = tick_hz or settings.BP_TICK_HZ
        self.unload_after = unload_after
        self.budget = fairshare.tick_budget(self.tick_hz)
        self.headroom = 1.0  # part of the budget the engines get (fairshare.headroom)
        self.turn = 0  # where this tick's round robin starts
        self.swept = 0.0  # when reclaim last refreshed the sandboxes in use
        self.live: dict[str, Live] = {}
        self._lock = threading.RLock()  # sync views may reach the host from other threads
        self._loading: dict[str, threading.Lock] = {}
        self._admitting: set[str] = set()  # admitted, being built: they count as live

    # -- loading and saving --------------------------------------------------------------
    async def load(self, sandbox_id: str) -> Live | None:
        """The sandbox's live runtime, built from the database on first use."""
        live = self.live.get(sandbox_id)
        if live is not None:
            return live
        row = await database_sync_to_async(_row)(sandbox_id)
        if row is None:
            return None
        if not backend_choice.is_real(row["backend"]):
            return self._install(sandbox_id, row)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(REAL_POOL, self._install, sandbox_id, row)

    def _load_sync(self, sandbox_id: str) -> Live | None:
        row = _row(sandbox_id)
        return None if row is None else self._install(sandbox_id, row)

    def _install(self, sandbox_id: str, row: dict[str, Any]) -> Live:
        """Build the runtime of `row` unless another thread already did (one per sandbox:
        two real backends with one prefix would delete each other's resources on close)."""
        with self._lock:
            gate = self._loading.setdefault(sandbox_id, threading.Lock())
        with gate:
            live = self.live.get(sandbox_id)
            if live is not None:
                return live
            self._admit(sandbox_id, row.get("owner", ""))
            try:
                return self._build(sandbox_id, row)
            finally:
                with self._lock:
                    self._admitting.discard(sandbox_id)

    def _build(self, sandbox_id: str, row: dict[str, Any]) -> Live:
        kind = row["backend"]
        spec = row["spec"]  # the whole topology: the runtime keeps what `kind` cannot run
        budget = self.budget  # a whole tick's, when one runtime ticks alone (real, tests)
        factory = backend_choice.factory(kind, sandbox_id)
        pending, refused = None, ""
        try:
            runtime = SandboxRuntime(
                row["seed"], spec, self.caps, backend_factory=factory, work_budget=budget
            )
        except BrokerError as exc:  # the real broker is down: start empty, declare on return
            runtime = SandboxRuntime(
                row["seed"], None, self.caps, backend_factory=factory, work_budget=budget
            )
            pending = spec
            if runtime.backend.status().get("state") == "connected":
                refused = exc.message  # it is up: it cannot run this topology
        runtime.locked = bool(row.get("locked"))
        now = time.monotonic()
        live = Live(runtime, row.get("owner", ""), runtime.spec_version)
        live.last_tick = live.last_active = now
        live.real, live.pending, live.refused = backend_choice.is_real(kind), pending, refused
        with self._lock:
            self.live[sandbox_id] = live
        return live

    # -- caps on live runtimes (playground.limits) ----------------------------------------
    def _admit(self, sandbox_id: str, owner: str) -> None:
        """Make room for one more runtime, putting to sleep the least recently used one
        nobody watches (its spec is kept), or raise Refused naming the cap."""
        with self._lock:
            for limit in ("visitor_runtimes", "runtimes", "memory"):
                while self._over(limit, owner):
                    idle = self._idlest(owner if limit == "visitor_runtimes" else None)
                    if idle is None:
                        minutes = round(self.unload_after / 60)
                        raise Refused(limits.refusal(limit, self._reached(limit), minutes))
                    log.info("unloading sandbox %s to make room (%s)", idle, limit)
                    self.unload(idle)
            self._admitting.add(sandbox_id)

    def _over(self, limit: str, owner: str) -> bool:
        if limit == "visitor_runtimes":
            mine = sum(1 for live in self.live.values() if live.owner == owner)
            return mine >= settings.BP_MAX_RUNTIMES_PER_VISITOR
        if limit == "runtimes":
            return len(self.live) + len(self._admitting) >= settings.BP_MAX_RUNTIMES
        # room for the newcomer to grow to its own cap
        return self.memory() + self.caps.max_memory > settings.BP_MEMORY_MB * MB

    def _reached(self, limit: str) -> int:
        if limit == "visitor_runtimes":
            return settings.BP_MAX_RUNTIMES_PER_VISITOR
        if limit == "runtimes":
            return settings.BP_MAX_RUNTIMES
        return round(self.memory() / MB)

    def _idlest(self, owner: str | None) -> str | None:
        """The least recently used runtime nobody watches (of `owner`, if given)."""
        idle = [
            (live.last_active, sandbox_id)
            for sandbox_id, live in self.live.items()
            if not live.viewers and (owner is None or live.owner == owner)
        ]
        return min(idle)[1] if idle else None

    def memory(self) -> int:
        """Estimated bytes of every live runtime (sandbox.runtime.memory)."""
        return sum(live.runtime.memory_estimate() for live in list(self.live.values()))

    def unload(self, sandbox_id: str, destroy: bool = False) -> concurrent.futures.Future | None:
        """Forget a runtime (its spec is already saved) and close its backend: a real
        broker keeps what the sandbox made there for the next load. With `destroy` (the
        sandbox is deleted) that is deleted too. A real backend closes on REAL_POOL (it
        blocks); the future says when it is done."""
        with self._lock:
            live = self.live.pop(sandbox_id, None)
        if live is None:
            return None
        end = live.runtime.destroy if destroy else live.runtime.close
        if live.real:
            return REAL_POOL.submit(_locked, live, _guard, end, "closing %s", sandbox_id)
        _guard(end, "closing sandbox %s", sandbox_id)
        return None

    def discard(self, sandbox_id: str, kind: str) -> concurrent.futures.Future | None:
        """The sandbox was deleted: delete what it held on its real broker (`kind`), with
        its runtime loaded or not (on REAL_POOL; the future says when it is done)."""
        closing = self.unload(sandbox_id, destroy=True)
        if closing is not None or not backend_choice.is_real(kind):
            return closing
        return _destroy_resources(kind, sandbox_id)

    async def reload(self, sandbox_id: str) -> dict[str, Any]:
        """Close the sandbox's runtime and build it again from the database (a real
        broker it leaves keeps what the sandbox made there, for a switch back)."""
        old = self.live.get(sandbox_id)
        closing = self.unload(sandbox_id)
        if closing is not None:
            await asyncio.wrap_future(closing)
        live = await self.load(sandbox_id)
        if live is None:
            return GONE
        if old is not None:
            live.viewers = old.viewers
        if live.refused:  # the switch answers with the broker's reason and is undone
            return {"ok": False, "field": None, "error": REFUSED % live.refused}
        return {"ok": True, "status": live.runtime.backend.status()}

    async def _save(self, sandbox_id: str, live: Live) -> None:
        """Write the runtime's whole spec (kept parts included) and seed to the database."""
        spec, seed = json.loads(json.dumps(live.runtime.spec)), live.runtime.seed
        live.saved_version = live.runtime.spec_version
        live.last_touch = time.monotonic()
        await database_sync_to_async(
            lambda: Sandbox.objects.filter(id=sandbox_id).update(
                spec=spec, seed=seed, last_seen=timezone.now()
            )
        )()

    # -- commands and viewers ------------------------------------------------------------
    async def command(self, sandbox_id: str, command: dict[str, Any]) -> dict[str, Any]:
        """Apply one command and save the spec if it changed; never raises."""
        try:
            if isinstance(command, dict) and command.get("op") == RELOAD:
                return await self.reload(str(sandbox_id))
            if isinstance(command, dict) and command.get("op") == DISCARD:
                done = self.discard(str(sandbox_id), str(command.get("kind") or ""))
                if done is not None:
                    await asyncio.wrap_future(done)
                return {"ok": True}
            if isinstance(command, dict) and command.get("op") == FORGET:
                closing = self.unload(str(sandbox_id))
                if closing is not None:
                    await asyncio.wrap_future(closing)
                return {"ok": True}
            live = await self.load(str(sandbox_id))
            if live is None:
                return GONE
            if live.pending is not None and command.get("op") not in READ_ONLY:
                detail = live.runtime.backend.status().get("detail") or "not connected"
                return {"ok": False, "field": None, "error": WAITING % detail}
            if live.real:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(
                    REAL_POOL, _locked, live, live.runtime.apply, command
                )
            else:
                with live.lock:
                    result = live.runtime.apply(command)
            live.last_active = time.monotonic()
            if live.runtime.spec_version != live.saved_version:
                await self._save(sandbox_id, live)
            return result
        except Refused as exc:
            return exc.answer
        except Exception:
            log.exception("command on sandbox %s failed", sandbox_id)
            return {"ok": False, "error": "The sandbox runtime failed; try again.", "field": None}

    async def viewers(self, sandbox_id: str, delta: int) -> None:
        """A viewer connected (+1) or left (-1)."""
        try:
            live = await self.load(sandbox_id) if delta > 0 else self.live.get(sandbox_id)
        except Refused as exc:  # the page said so already (429); its socket gets no frames
            log.info("sandbox %s not loaded for a viewer: %s", sandbox_id, exc)
            return
        if live is not None:
            live.viewers = max(0, live.viewers + delta)
            live.last_active = time.monotonic()

    async def handle(self, message: dict[str, Any]) -> None:
        """One message from the "bp-runtime" channel."""
        kind = message.get("type")
        if kind == "runtime.command":
            result = await self.command(message.get("sandbox", ""), message.get("command"))
            if message.get("reply"):
                reply = {"type": "runtime.reply", "result": result}
                await get_channel_layer().send(message["reply"], reply)
        elif kind == "runtime.viewers":
            await self.viewers(message.get("sandbox", ""), int(message.get("delta", 0)))
        else:
            log.warning("runtime host ignored a message of type %r", kind)

    # -- ticking -------------------------------------------------------------------------
    async def tick_once(self) -> int:
        """Tick every live runtime and send the frames due; returns how many were sent.

        Simulator runtimes share the tick's budget (`sandbox.fairshare`): their engines
        run in round-robin slices, then each settles and builds its frame, the loop
        yielding between them; what a frame cost is charged to its own sandbox's next share.
        """
        layer, sent, interval = get_channel_layer(), 0, self.frame_interval()
        sims = []
        for sandbox_id, live in list(self.live.items()):
            if not live.real:
                sims.append((sandbox_id, live))
            elif live.ticking is None or live.ticking.done():  # off the loop, one at a time
                live.ticking = asyncio.ensure_future(
                    self._tick_real(layer, sandbox_id, live, interval)
                )
        sims = fairshare.rotated(sims, self.turn)
        self.turn += 1
        await self._run_engines(sims)
        shares = max(1, len(sims))
        for sandbox_id, live in sims:
            if self.live.get(sandbox_id) is not live:
                continue  # unloaded while the engines ran
            began = time.perf_counter()
            every = self._frame_every(live, interval, shares)
            text = _guard(
                self._settle_frame, "ticking sandbox %s", sandbox_id, live, sandbox_id, every
            )
            live.frame_cost = fairshare.expected(live.frame_cost, time.perf_counter() - began)
            sent += await self._deliver(layer, sandbox_id, text)
            await asyncio.sleep(0)
        return sent

    async def _run_engines(self, sims: list[tuple[str, Live]]) -> None:
        """Plan each engine's virtual time for this tick and run them in fair shares."""
        now, claims, shares, overhead = time.monotonic(), [], 0, 0.0
        for sandbox_id, live in sims:
            planned = _guard(self._plan, "ticking sandbox %s", sandbox_id, live, now)
            overhead += live.frame_cost
            if planned:
                work = _Work(sandbox_id, live)
                claims.append(fairshare.Claim(work, live.frame_cost))
            if planned or live.viewers:
                shares += 1
        await fairshare.divide(claims, self.budget * self.headroom, shares, overhead)

    def _plan(self, live: Live, now: float) -> bool:
        with live.lock:
            planned = live.runtime.plan(min(now - live.last_tick, MAX_TICK))
            live.last_tick = now
            return planned

    def _frame_every(self, live: Live, interval: float, shares: int) -> float:
        """Seconds between this sandbox's frames: `interval`, or longer if its frames cost
        more than its share of the budget (a huge topology slows its own frames)."""
        share = self.budget / shares
        if live.frame_cost <= share:
            return interval
        return min(HEARTBEAT, max(interval, live.frame_cost / share / self.tick_hz))

    async def _tick_real(self, layer: Any, sandbox_id: str, live: Live, interval: float) -> int:
        loop = asyncio.get_running_loop()
        args = (live, _guard, self._frame_text, "ticking sandbox %s", sandbox_id)
        text = await loop.run_in_executor(REAL_POOL, _locked, *args, live, sandbox_id, interval)
        return await self._deliver(layer, sandbox_id, text)

    async def _deliver(self, layer: Any, sandbox_id: str, text: str | None) -> int:
        if text is None:
            return 0
        try:
            await layer.group_send(group_name(sandbox_id), {"type": "frame.message", "text": text})
            return 1
        except Exception:
            log.exception("sending a frame of sandbox %s failed", sandbox_id)
            return 0

    def frame_interval(self) -> float:
        """Seconds between frames to one sandbox: the tick, or longer with many viewers.

        Delivering a frame costs the serving process per viewer, so the host spends at
        most FRAME_SENDS_PER_S deliveries a second across all its viewers; with 400
        viewers each gets 10 frames a second, never fewer than MIN_FRAME_HZ.
        """
        viewers = sum(live.viewers for live in self.live.values())
        hz = min(self.tick_hz, max(MIN_FRAME_HZ, FRAME_SENDS_PER_S / max(1, viewers)))
        return 1.0 / hz

    def _frame_text(self, live: Live, sandbox_id: str, interval: float) -> str | None:
        """One whole tick of one runtime (a real one, on REAL_POOL): advance, then its frame."""
        now = time.monotonic()
        with live.lock:
            if live.pending is not None:
                self._declare_pending(live, sandbox_id)
            live.runtime.advance(min(now - live.last_tick, MAX_TICK))
            live.last_tick = now
            return self._take_frame(live, sandbox_id, interval, now)

    def _settle_frame(self, live: Live, sandbox_id: str, interval: float) -> str | None:
        """End a simulator runtime's tick (its engine ran in `_run_engines`); its frame."""
        now = time.monotonic()
        with live.lock:
            live.runtime.settle()
            return self._take_frame(live, sandbox_id, interval, now)

    def _take_frame(self, live: Live, sandbox_id: str, interval: float, now: float) -> str | None:
        """The frame due now, encoded, or None (called holding the runtime's lock)."""
        # frames fall due every `interval` on average, sent by the first tick within
        # half a tick of that: a tick waking a little early still sends, and an
        # interval just over the tick's (201 viewers) does not halve the frame rate
        if now < live.next_frame - 0.5 / self.tick_hz:
            return None
        frame = live.runtime.take_frame()
        if frame is None and live.viewers and now - live.last_sent >= HEARTBEAT:
            frame = live.runtime.frame([])
        if frame is None or not (live.viewers or frame["log"] or frame["moves"]):
            return None
        live.last_sent = now
        live.next_frame = max(live.next_frame, now - interval) + interval
        return frames.encode({"wall": time.time(), "sandbox": sandbox_id, **frame})

    def _declare_pending(self, live: Live, sandbox_id: str) -> None:
        """Once the broker answers, build the spec it was down for."""
        live.runtime.advance(0.0)  # lets the backend reconnect
        if live.runtime.backend.status().get("state") != "connected":
            return
        try:
            live.runtime.build(live.pending)
            live.pending = None
        except BrokerError:
            log.info("sandbox %s: the broker answered but refused its topology", sandbox_id)

    async def reclaim_once(self) -> None:
        """Put idle runtimes to sleep, keep sandboxes in use fresh, delete unused ones.

        A runtime with no viewer and no command for `unload_after` seconds is unloaded:
        its spec stays (running producers still marked running: they start again when
        it is next opened); the simulator's messages in flight do not. A sandbox is in
        use while a tab shows it (its owner's or a watcher's), while it gets commands,
        and while a producer runs in it; one not in use for BP_IDLE_MINUTES is deleted.
        """
        now = time.monotonic()
        since = self.swept or now - RECLAIM_EVERY
        in_use = [sid for sid, live in self.live.items() if _in_use(live, since)]
        for sandbox_id, live in list(self.live.items()):
            if not live.viewers and now - live.last_active > self.unload_after:
                self.unload(sandbox_id)
        self.swept = now
        cutoff = timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES)

        def sweep() -> list[tuple[str, str]]:
            if in_use:
                Sandbox.objects.filter(id__in=in_use).update(last_seen=timezone.now())
            return limits.delete_unused(cutoff, keep=in_use)

        for sandbox_id, kind in await database_sync_to_async(sweep)():
            self.discard(sandbox_id, kind)

    # -- loops ---------------------------------------------------------------------------
    async def serve(self, listen: bool = False) -> None:
        """Tick (and, if `listen`, receive commands) until cancelled."""
        tasks = [asyncio.create_task(self._tick_loop()), asyncio.create_task(self._reclaim_loop())]
        if listen:
            tasks.append(asyncio.create_task(self._listen_loop()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _tick_loop(self) -> None:
        interval = 1.0 / self.tick_hz
        deadline = time.monotonic()
        while True:
            late = time.monotonic() - deadline
            self.headroom = fairshare.headroom(self.headroom, late, interval)
            try:
                await self.tick_once()
            except Exception:
                log.exception("runtime host tick failed")
            deadline = max(deadline + interval, time.monotonic())
            await asyncio.sleep(deadline - time.monotonic())

    async def _reclaim_loop(self) -> None:
        while True:
            await asyncio.sleep(RECLAIM_EVERY)
            try:
                await self.reclaim_once()
            except Exception:
                log.exception("runtime host reclaim failed")

    async def _listen_loop(self) -> None:
        layer = get_channel_layer()
        pending: set[asyncio.Task] = set()
        while True:
            try:
                message = await layer.receive(CHANNEL)
            except Exception:
                log.exception("runtime host could not receive")
                await asyncio.sleep(0.5)
                continue
            task = asyncio.create_task(self._handle_guarded(message))
            pending.add(task)
            task.add_done_callback(pending.discard)

    async def _handle_guarded(self, message: dict[str, Any]) -> None:
        try:
            await self.handle(message)
        except Exception:
            log.exception("runtime host could not handle %r", message.get("type"))


def _in_use(live: Live, since: float) -> bool:
    """Watched, commanded since `since`, or running a producer."""
    if live.viewers or live.last_active >= since:
        return True
    runtime = live.runtime
    return not runtime.spec["time"]["paused"] and runtime.total_rate() > 0


def _row(sandbox_id: str) -> dict[str, Any] | None:
    rows = Sandbox.objects.filter(id=sandbox_id)
    return rows.values("owner", "seed", "spec", "backend", "locked").first()


class _Work:
    """A simulator runtime's engine work in slices (a fairshare.Claim's `work`)."""

    def __init__(self, sandbox_id: str, live: Live) -> None:
        self.sandbox_id, self.live = sandbox_id, live

    def __call__(self, seconds: float) -> bool:
        try:
            with self.live.lock:
                return self.live.runtime.work(seconds)
        except Exception:
            log.exception("ticking sandbox %s", self.sandbox_id)
            return True  # nothing more this tick; settle ends it


def _destroy_resources(kind: str, sandbox_id: str) -> concurrent.futures.Future:
    """Delete, on REAL_POOL, what sandbox `sandbox_id` holds on real broker `kind`."""

    def go() -> None:
        if not backend_choice.destroy_resources(kind, sandbox_id):
            log.warning("sandbox %s: %s did not answer; its resources stay there", sandbox_id, kind)

    return REAL_POOL.submit(_guard, go, "deleting the broker resources of sandbox %s", sandbox_id)


def _locked(live: Live, fn: Any, *args: Any) -> Any:
    """Call fn(*args) holding the runtime's lock (on a REAL_POOL thread)."""
    with live.lock:
        return fn(*args)


def _guard(fn: Any, what: str, sandbox_id: str, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:
        log.exception(what, sandbox_id)
        return None


# -- the process's host and the public API ---------------------------------------------------
class _Process:
    """The host of this serving process and the task that runs it (embedded mode)."""

    host: RuntimeHost | None = None
    task: asyncio.Task | None = None


def local_host() -> RuntimeHost:
    """This process's host (created on first use)."""
    if _Process.host is None:
        _Process.host = RuntimeHost()
    return _Process.host


def ensure_host_started() -> RuntimeHost:
    """Start the embedded host's loops in the running event loop unless they already run."""
    host = local_host()
    task = _Process.task
    if task is not None and not task.done() and not task.get_loop().is_closed():
        return host
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return host
    # A fresh context: started from a sync view (async_to_sync on the serving loop), the
    # task would inherit that view's thread executor, gone once the view returns, and
    # every later database_sync_to_async in the host would fail.
    _Process.task = asyncio.create_task(
        host.serve(listen=True), name="bp-runtime-host", context=contextvars.Context()
    )
    return host


async def stop_host() -> None:
    """Stop the embedded host's loops and unload its runtimes (tests, shutdown)."""
    task, _Process.task = _Process.task, None
    if task is not None and not task.done():
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
    host = _Process.host
    if host is not None:
        closing = [host.unload(sandbox_id) for sandbox_id in list(host.live)]
        concurrent.futures.wait([f for f in closing if f is not None], timeout=30)


async def call(sandbox_id: str, command: dict[str, Any], timeout: float = 5) -> dict[str, Any]:
    """Send one command to the sandbox's runtime over the channel layer; its answer."""
    if settings.BP_RUNTIME_IN_PROCESS:
        ensure_host_started()
    layer = get_channel_layer()
    reply = await layer.new_channel()
    message = {"type": "runtime.command", "sandbox": sandbox_id, "command": command}
    await layer.send(CHANNEL, {**message, "reply": reply})
    try:
        answer = await asyncio.wait_for(layer.receive(reply), timeout)
    except TimeoutError:
        return dict(NO_ANSWER)
    return answer.get("result") or dict(NO_ANSWER)


def call_sync(sandbox_id: str, command: dict[str, Any], timeout: float = 5) -> dict[str, Any]:
    """`call` for sync code (views)."""
    return async_to_sync(call)(sandbox_id, command, timeout)


async def join(sandbox_id: str) -> None:
    """A viewer of the sandbox connected (its socket joined the group: `fanout.join`)."""
    await _viewers(sandbox_id, +1)


async def leave(sandbox_id: str) -> None:
    """A viewer of the sandbox left."""
    await _viewers(sandbox_id, -1)


async def _viewers(sandbox_id: str, delta: int) -> None:
    if settings.BP_RUNTIME_IN_PROCESS:
        ensure_host_started()
    message = {"type": "runtime.viewers", "sandbox": sandbox_id, "delta": delta}
    await get_channel_layer().send(CHANNEL, message)
