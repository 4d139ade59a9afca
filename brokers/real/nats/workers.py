"""Simulated workers on a real server: push subscriptions and pull loops, and the acks.

A push worker is a nats-py subscription on the consumer's deliver subject (queue group =
deliver group); nats-py runs one subscription's callbacks one at a time, as the
simulator's worker does. A pull worker sends its own pull requests
(`$JS.API.CONSUMER.MSG.NEXT`, batch `batch`, expiring after `PULL_EXPIRES` so a stopped
worker's request does not outlive it for long) to an inbox of its own, processes what
arrives, and asks again once the batch is done. Acks, naks, terms and in-progress go to
the delivery's reply subject as requests, so the server has applied them when the call
returns. Deliveries stay addressable by (stream, consumer, consumer seq) until settled,
which is what `ack()` and friends take.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from brokers.errors import NotFound, ValidationError
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats import validation as check
from brokers.nats.api import JsMessage
from brokers.nats.validation import NS, ConsumerConfig
from brokers.real.nats.subscriber import Subscriber

PULL_EXPIRES = 5.0
FETCH_EXPIRES = 0.25
MIN_PROCESSING = 0.001
SETTLE_BODY = {"ack": b"+ACK", "term": b"+TERM", "progress": b"+WPI"}


@dataclass(eq=False)
class Held:
    reply: str
    msg: str
    stream_seq: int
    worker: str


@dataclass(eq=False)
class RealWorker:
    name: str
    stream: str
    consumer: str
    push: bool
    settings: dict[str, Any]
    state: str = "running"
    held: set[int] = field(default_factory=set)
    handle: Any = None  # push: the subscription; pull: the task
    work: Any = None  # asyncio.Queue of deliveries to process
    processor: Any = None  # the task working through `work`
    received: int = 0
    processed: int = 0
    acked: int = 0
    naked: int = 0
    termed: int = 0

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "name": self.name,
            "stream": self.stream,
            "consumer": self.consumer,
            "kind": "push" if self.push else "pull",
            "behaviour": s["behaviour"],
            "state": self.state,
            "holding": sorted(self.held),
            "received": self.received,
            "processed": self.processed,
            "acked": self.acked,
            "naked": self.naked,
            "termed": self.termed,
            "processing_time": s["processing_time"],
            "failure_rate": s["failure_rate"],
            "on_failure": s["on_failure"],
            "batch": s["batch"],
        }


class WorkerOps:
    """Workers, fetch and acks of `NatsAdapter` (mixed in)."""

    def _init_workers(self) -> None:
        self.workers: dict[str, RealWorker] = {}
        self.held: dict[tuple[str, str, int], Held] = {}
        self._worker_seq = 0
        self._fetch_seq = 0

    def _interest_changed(self, pattern: str) -> None:
        """The server wakes push consumers itself."""

    def _consumer_added(self, stream: str, cfg: ConsumerConfig) -> None:
        """The server runs ephemeral consumers' inactivity itself."""

    def _consumer_gone(self, key: tuple[str, str], reason: str) -> None:
        for w in [w for w in self.workers.values() if (w.stream, w.consumer) == key]:
            self._stop(w, f"consumer {key[1]} {reason}")

    # -- workers ---------------------------------------------------------------------
    def consume(
        self,
        stream: str,
        consumer: str,
        worker: str | None = None,
        behaviour: str = "auto",
        processing_time: float = 0.0,
        failure_rate: float = 0.0,
        on_failure: str = "nak",
        nak_delay: float = 0.0,
        batch: int = 1,
    ) -> str:
        key = self._consumer_key(stream, consumer)
        settings = check.worker_settings(
            behaviour, processing_time, failure_rate, on_failure, nak_delay, batch
        )
        name = self._new_worker_name(worker)
        cfg = self.consumers[key]
        w = RealWorker(name, stream, consumer, cfg.push, settings)
        self.workers[name] = w
        self.emit(
            ev.WorkerStarted,
            worker=name,
            stream=stream,
            consumer=consumer,
            push=cfg.push,
            behaviour=settings["behaviour"],
        )
        self._start(w)
        return name

    def _start(self, w: RealWorker) -> None:
        cfg = self.consumers[(w.stream, w.consumer)]
        if w.push:
            self._submit(lambda: self._open_push(w, cfg))
            self._sub_order += 1
            sub = Subscriber(
                w.name,
                cfg.deliver_subject or "",
                cfg.deliver_group or "",
                "worker",
                0.0,
                b"",
                self._sub_order,
                worker=w.name,
            )
            self.subscribers[w.name] = sub
            self.interest.add(sub.subject, sub)
            self.emit(
                ev.Subscribed,
                sub=w.name,
                subject=sub.subject,
                queue=sub.queue,
                behaviour="worker",
                worker=w.name,
            )
        else:
            self._submit(lambda: self._start_pull(w))

    async def _open_push(self, w: RealWorker, cfg: ConsumerConfig) -> None:
        how = f"pushed to {cfg.deliver_subject!r}"
        self._start_processor(w)

        async def cb(m: Any) -> None:
            if w.state == "running":
                await self._arrived(w, m, how)

        w.handle = await self.loop.nc.subscribe(
            self.names.subject(cfg.deliver_subject or ""), queue=cfg.deliver_group or "", cb=cb
        )
        await self.loop.nc.flush()

    def _start_processor(self, w: RealWorker) -> None:
        w.work = asyncio.Queue()
        w.processor = asyncio.get_running_loop().create_task(self._process(w))

    async def _arrived(self, w: RealWorker, m: Any, how: str) -> bool:
        """Report a delivery the moment it arrives; the processor works through them."""
        d = await self._record(m, w.name, how)
        if d is None:
            return False
        w.received += 1
        w.held.add(d.consumer_seq)
        w.work.put_nowait(d)
        return True

    async def _process(self, w: RealWorker) -> None:
        s = w.settings
        while w.state == "running":
            d = await w.work.get()
            try:
                if s["behaviour"] == "manual":
                    continue
                await asyncio.sleep(max(s["processing_time"], MIN_PROCESSING))
                if w.state != "running":
                    return
                w.processed += 1
                fail = s["failure_rate"] > 0 and self.rng.random() < s["failure_rate"]
                kind = s["on_failure"] if fail else "ack"
                key = (d.stream, d.consumer, d.consumer_seq)
                await self._settle(key, kind, w.name, s["nak_delay"])
            finally:
                w.work.task_done()

    async def _start_pull(self, w: RealWorker) -> None:
        self._start_processor(w)
        w.handle = asyncio.get_running_loop().create_task(self._pull_loop(w))

    async def _pull_loop(self, w: RealWorker) -> None:
        nc, inbox = self.loop.nc, self.names.pull_inbox(w.name)
        signals: asyncio.Queue = asyncio.Queue()  # "msg" per delivery, or a status code

        async def cb(m: Any) -> None:
            status = (m.headers or {}).get("Status")
            if status is not None:
                signals.put_nowait(status)
            elif await self._arrived(w, m, f"pull request from {w.name}"):
                signals.put_nowait("msg")

        sub = await nc.subscribe(inbox, cb=cb)
        target = f"$JS.API.CONSUMER.MSG.NEXT.{self.names.stream(w.stream)}.{w.consumer}"
        try:
            while w.state == "running":
                outstanding = w.settings["batch"]
                self.emit(
                    ev.PullRequested,
                    stream=w.stream,
                    consumer=w.consumer,
                    worker=w.name,
                    batch=outstanding,
                )
                while outstanding > 0 and w.state == "running":
                    body = {"batch": outstanding, "expires": int(PULL_EXPIRES * NS)}
                    await nc.publish(target, json.dumps(body).encode(), reply=inbox)
                    while outstanding > 0:
                        signal = await signals.get()
                        if signal == "409":
                            return  # consumer deleted, or the server refuses the request
                        if signal != "msg":
                            break  # expired: ask again for what is left
                        outstanding -= 1
                await w.work.join()
                while w.held and w.state == "running" and w.settings["behaviour"] == "manual":
                    await asyncio.sleep(0.02)
        finally:
            try:
                await sub.unsubscribe()
            except Exception:  # noqa: BLE001, S110 - the connection may be gone
                pass

    async def _record(self, m: Any, who: str, how: str) -> JsMessage | None:
        """Turn a JetStream delivery into `JsDelivered` and remember it for its ack."""
        tokens = (m.reply or "").split(".")
        if len(tokens) < 9 or tokens[:2] != ["$JS", "ACK"]:
            return None
        stream = self.names.user_stream(tokens[2])
        consumer = tokens[3]
        delivered, sseq, cseq, pending = (
            int(tokens[4]),
            int(tokens[5]),
            int(tokens[6]),
            int(tokens[8]),
        )
        msg = await self.msg_for(stream, sseq)
        subject = self.names.user_subject(m.subject)
        if delivered > 1:
            self.emit(
                ev.JsRedeliveryDue,
                msg=msg,
                stream=stream,
                consumer=consumer,
                stream_seq=sseq,
                reason="not acked within ack_wait, or nakked",
            )
            base = f"redelivery #{delivered - 1}: not acked within ack_wait, or nakked"
        else:
            cfg = self.consumers.get((stream, consumer))
            f = cfg.filter_subject if cfg else None
            where = (
                f"filter {subj.why_matches(f, subject)}"
                if f is not None
                else f"no filter: every subject of stream {stream}"
            )
            base = f"next message for {consumer} at stream seq {sseq} ({where})"
        self.emit(
            ev.JsDelivered,
            msg=msg,
            stream=stream,
            consumer=consumer,
            worker=who,
            subject=subject,
            stream_seq=sseq,
            consumer_seq=cseq,
            num_delivered=delivered,
            reason=f"{base}; {how}",
        )
        cfg = self.consumers.get((stream, consumer))
        if cfg is not None and cfg.ack_policy != "none":
            self.held[(stream, consumer, cseq)] = Held(m.reply, msg, sseq, who)
        elif self.streams.get(stream) and self.streams[stream].retention == "interest":
            asyncio.get_running_loop().create_task(self._reconcile(stream))
        return JsMessage(
            msg=msg,
            stream=stream,
            consumer=consumer,
            subject=subject,
            data=bytes(m.data),
            headers=dict(m.headers or {}),
            stream_seq=sseq,
            consumer_seq=cseq,
            num_delivered=delivered,
            num_pending=pending,
        )

    def _new_worker_name(self, name: str | None) -> str:
        if name is not None:
            subj.check_name("worker name", name)
            if name in self.workers or name in self.subscribers:
                raise ValidationError(f"the name {name!r} is in use")
            return name
        while True:
            self._worker_seq += 1
            candidate = f"w{self._worker_seq}"
            if candidate not in self.workers and candidate not in self.subscribers:
                return candidate

    def stop_worker(self, worker: str) -> None:
        w = self.workers.get(worker) if isinstance(worker, str) else None
        if w is None:
            raise NotFound(f"no worker {worker!r}")
        self._stop(w, "stopped")

    def _stop(self, w: RealWorker, reason: str) -> None:
        w.state = "stopped"
        handle = w.handle

        processor = w.processor

        async def close() -> None:
            if processor is not None:
                processor.cancel()
            if handle is None:
                return
            try:
                if w.push:
                    await handle.unsubscribe()
                else:
                    handle.cancel()
            except Exception:  # noqa: BLE001, S110 - the connection may be gone
                pass

        if self.connected:
            self._submit(close)
        self.workers.pop(w.name, None)
        sub = self.subscribers.pop(w.name, None)
        if sub is not None:
            self.interest.remove(sub.subject, sub)
            self.emit(ev.Unsubscribed, sub=w.name, subject=sub.subject, reason=f"worker {reason}")
        holding = tuple(
            self.held[(w.stream, w.consumer, c)].msg
            for c in sorted(w.held)
            if (w.stream, w.consumer, c) in self.held
        )
        cfg = self.consumers.get((w.stream, w.consumer))
        wait = cfg.ack_wait if cfg else 0
        self.emit(
            ev.WorkerStopped,
            worker=w.name,
            stream=w.stream,
            consumer=w.consumer,
            holding=holding,
            reason=reason
            + (
                f"; {len(holding)} unacked message(s) come back after ack_wait {wait:g}s"
                if holding
                else ""
            ),
        )
        w.held.clear()

    def _restart_workers(self) -> None:
        for w in list(self.workers.values()):
            if (w.stream, w.consumer) in self.consumers:
                self.subscribers.pop(w.name, None)
                self._start(w)

    def _stop_all_workers(self) -> None:
        for w in self.workers.values():
            w.state = "stopped"
            for task in (w.processor, None if w.push else w.handle):
                if task is not None and self.loop is not None:
                    self.loop.loop.call_soon_threadsafe(task.cancel)

    # -- fetch and acks --------------------------------------------------------------
    def fetch(
        self, stream: str, consumer: str, batch: int = 1, worker: str = "fetch"
    ) -> list[JsMessage]:
        key = self._consumer_key(stream, consumer)
        if self.consumers[key].push:
            raise ValidationError(
                f"{consumer} is a push consumer: it sends, it cannot be fetched from"
            )
        check.count("batch", batch, 1, 1000)
        subj.check_name("worker name", worker)
        self._fetch_seq += 1
        inbox = self.names.pull_inbox(f"fetch{self._fetch_seq}")
        return self._submit(lambda: self._fetch(stream, consumer, batch, worker, inbox))

    async def _fetch(
        self, stream: str, consumer: str, batch: int, worker: str, inbox: str
    ) -> list[JsMessage]:
        nc = self.loop.nc
        arrived: asyncio.Queue = asyncio.Queue()

        async def cb(m: Any) -> None:
            arrived.put_nowait(m)

        sub = await nc.subscribe(inbox, cb=cb)
        target = f"$JS.API.CONSUMER.MSG.NEXT.{self.names.stream(stream)}.{consumer}"
        # nats-server 2.9 never answers a no-wait request that max_ack_pending holds back,
        # so it also gets a short expiry (then a 408 status ends it)
        body = {"batch": batch, "no_wait": True, "expires": int(FETCH_EXPIRES * NS)}
        await nc.publish(target, json.dumps(body).encode(), reply=inbox)
        out: list[JsMessage] = []
        try:
            while len(out) < batch:
                try:
                    m = await asyncio.wait_for(arrived.get(), 2.0)
                except TimeoutError:
                    break
                if (m.headers or {}).get("Status") is not None:
                    break
                d = await self._record(m, worker, f"fetch by {worker}")
                if d is not None:
                    out.append(d)
        finally:
            await sub.unsubscribe()
        return out

    def ack(self, stream: str, consumer: str, consumer_seq: int) -> None:
        self._api_settle(stream, consumer, consumer_seq, "ack")

    def nak(self, stream: str, consumer: str, consumer_seq: int, delay: float = 0.0) -> None:
        self._api_settle(stream, consumer, consumer_seq, "nak", check.seconds("delay", delay))

    def term(self, stream: str, consumer: str, consumer_seq: int) -> None:
        self._api_settle(stream, consumer, consumer_seq, "term")

    def in_progress(self, stream: str, consumer: str, consumer_seq: int) -> None:
        self._api_settle(stream, consumer, consumer_seq, "progress")

    def _api_settle(
        self, stream: str, consumer: str, consumer_seq: int, kind: str, delay: float = 0.0
    ) -> None:
        key = self._consumer_key(stream, consumer)
        check.count("consumer_seq", consumer_seq, 1, 2**63 - 1)
        if self.consumers[key].ack_policy == "none":
            raise ValidationError(f"{consumer} has ack policy none: there is nothing to ack")
        if (stream, consumer, consumer_seq) not in self.held:
            raise ValidationError(
                f"delivery {consumer_seq} of {consumer} is not waiting for an ack "
                "(already settled, given up, or never delivered)"
            )
        self._submit(lambda: self._settle((stream, consumer, consumer_seq), kind, "api", delay))

    async def _settle(self, key: tuple[str, str, int], kind: str, by: str, delay: float) -> None:
        """Send an ack, nak, term or in-progress for a held delivery and report it."""
        held = self.held.get(key)
        if held is None:
            return
        stream, consumer, cseq = key
        cfg = self.consumers.get((stream, consumer))
        wait = cfg.ack_wait if cfg else 0.0
        base = dict(
            msg=held.msg,
            stream=stream,
            consumer=consumer,
            worker=by,
            stream_seq=held.stream_seq,
            consumer_seq=cseq,
        )
        w = self.workers.get(by) or self.workers.get(held.worker)
        if kind == "ignore":
            self.held.pop(key, None)
            if w is not None:
                w.held.discard(cseq)
            self.emit(
                ev.JsNotAcked,
                **base,
                reason=f"{by} failed and sent nothing: ack_wait {wait:g}s will bring it back",
            )
            return
        if kind == "nak":
            body = (
                b"-NAK" if not delay else b"-NAK " + json.dumps({"delay": int(delay * NS)}).encode()
            )
        else:
            body = SETTLE_BODY[kind]
        try:
            await self.loop.nc.request(held.reply, body, timeout=2)
        except Exception:  # noqa: BLE001 - the server applied it or the connection is gone
            pass
        if kind == "progress":
            self.emit(ev.JsInProgress, **base, reason=f"ack_wait {wait:g}s starts again")
            return
        covered = self._covered(key, kind, cfg)
        seqs = tuple(sorted({self.held[k].stream_seq for k in covered}))
        for k in covered:
            gone = self.held.pop(k, None)
            owner = self.workers.get(gone.worker) if gone else None
            if owner is not None:
                owner.held.discard(k[2])
        if kind == "nak":
            self.emit(
                ev.JsNaked,
                **base,
                delay=delay,
                reason=f"redeliver after {delay:g}s" if delay else "redeliver now",
            )
            if w is not None:
                w.naked += 1
            return
        if kind == "ack":
            why = (
                f"ack policy all: settles stream seqs up to {held.stream_seq}"
                if cfg is not None and cfg.ack_policy == "all"
                else "explicit ack"
            )
            self.emit(ev.JsAcked, **base, covers=seqs, reason=why)
            if w is not None:
                w.acked += 1
        else:
            self.emit(ev.JsTermed, **base, reason=f"term: never redeliver it to {consumer}")
            if w is not None:
                w.termed += 1
        scfg = self.streams.get(stream)
        if scfg is not None and scfg.retention != "limits":
            self.acked.setdefault(stream, set()).update(seqs)
            await self._reconcile(stream)

    def _covered(
        self, key: tuple[str, str, int], kind: str, cfg: ConsumerConfig | None
    ) -> list[tuple[str, str, int]]:
        if kind == "ack" and cfg is not None and cfg.ack_policy == "all":
            limit = self.held[key].stream_seq
            return [k for k, h in self.held.items() if k[:2] == key[:2] and h.stream_seq <= limit]
        same = self.held[key].stream_seq
        return [k for k, h in self.held.items() if k[:2] == key[:2] and h.stream_seq == same]
