"""JetStream half of `NatsServer`: streams, consumers, workers, delivery and retention.

The rules between streams and consumers live here, as nats-server 2.9.10 applies them
(each pinned in tests/real/test_nats_*.py):

- Two streams may not capture overlapping subjects (10065), and a stream's own subjects
  may not overlap each other. A consumer's filter must be a subset of one of the stream's
  subjects or contain one (10093). A push consumer's deliver subject may not be one the
  stream captures (a cycle).
- Workqueue streams: ack policy explicit (10098), deliver policy all (10101), at most one
  consumer without a filter and then no other (10099), filtered consumers may not
  overlap (10100); a message is removed once acked (or termed).
- Interest streams: a message nobody's filter wants is not kept (its sequence is used
  up all the same); otherwise it is removed once every consumer whose filter matches has
  acked it (ack policy none counts delivery as the ack), and deleting a consumer removes
  what only it was holding.
- Limits streams keep messages until a limit removes them; acks change nothing there,
  which is why replay works.

Delivery is a "pump" per consumer, scheduled at the current virtual time whenever
something changes (a message stored, an ack, a pull request, interest on a deliver
subject): it hands redeliveries, then new messages, to pull requests in turn, or
publishes them to a push consumer's deliver subject through core NATS, so queue groups
and plain subscribers there behave as they would on the server.
"""

from __future__ import annotations

import random
from typing import Any

from brokers.clock import Clock
from brokers.errors import CapacityExceeded, NotFound, ValidationError
from brokers.events import Emit
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats import validation as check
from brokers.nats.api import MSG_ID_HEADER, JsMessage
from brokers.nats.consumer import Consumer, Delivery, PullRequest
from brokers.nats.core import Subscription
from brokers.nats.stream import Refused, StoredMsg, Stream
from brokers.nats.workers import PullWorker, PushWorker, Worker

MAX_STREAMS = 50
MAX_CONSUMERS = 50  # per stream
MAX_WORKERS = 200


class JetStream:
    """Streams, consumers and workers (mixed into `NatsServer`)."""

    clock: Clock
    rng: random.Random
    emit: Emit
    streams: dict[str, Stream]
    workers: dict[str, Worker]
    subscriptions: dict[str, Subscription]
    _eph_seq: int
    _worker_seq: int

    # -- streams ---------------------------------------------------------------------
    def add_stream(self, name: str, subjects: list[str] | None = None, **config: Any) -> dict:
        cfg = check.stream_config(name, subjects, **config)
        existing = self.streams.get(name)
        if existing is not None:
            if existing.config == cfg:
                return existing.info()
            raise ValidationError(
                f"stream name {name!r} already in use with a different configuration (10058)"
            )
        if len(self.streams) >= MAX_STREAMS:
            raise CapacityExceeded(f"at most {MAX_STREAMS} streams per sandbox")
        self._check_subjects_free(cfg.subjects, name)
        stream = self.streams[name] = Stream(self, cfg)  # type: ignore[arg-type]
        self.emit(ev.StreamCreated(t=self.clock.now, stream=name, config=cfg.to_dict()))
        return stream.info()

    def update_stream(self, name: str, **config: Any) -> dict:
        stream = self._stream(name)
        old = stream.config
        cfg = check.stream_update(old, config)
        self._check_subjects_free(cfg.subjects, name)
        changed = tuple(k for k in old.to_dict() if old.to_dict()[k] != cfg.to_dict()[k])
        stream.config = cfg
        for consumer in stream.consumers.values():
            consumer.reconfigured(consumer.config)
        self.emit(
            ev.StreamUpdated(t=self.clock.now, stream=name, config=cfg.to_dict(), changed=changed)
        )
        stream.config_changed(old)
        self._kick_all(stream)
        return stream.info()

    def delete_stream(self, name: str) -> None:
        stream = self._stream(name)
        for consumer in list(stream.consumers.values()):
            self._drop_consumer(consumer, f"stream {name} deleted")
        stream.cancel_timers()
        del self.streams[name]
        self.emit(ev.StreamDeleted(t=self.clock.now, stream=name, messages=len(stream.msgs)))

    def purge_stream(self, name: str, subject: str | None = None) -> int:
        stream = self._stream(name)
        if subject is not None:
            subj.check_subject(subject, wildcards=False, what="purge subject")
        words = f"purged ({subject})" if subject else "purged"
        n = stream.purge(subject, f"stream {words}")
        for consumer in stream.consumers.values():
            consumer.purged()
        self.emit(ev.StreamPurged(t=self.clock.now, stream=name, messages=n, subject=subject))
        self._kick_all(stream)
        return n

    def stream_info(self, name: str) -> dict[str, Any]:
        return self._stream(name).info()

    def _check_subjects_free(self, subjects: tuple[str, ...], own: str) -> None:
        for other in self.streams.values():
            if other.name == own:
                continue
            for mine in subjects:
                for theirs in other.config.subjects:
                    if subj.overlap(mine, theirs):
                        raise ValidationError(
                            f"subjects overlap with an existing stream (10065): {mine!r} "
                            f"and {other.name}'s {theirs!r} can match the same subject"
                        )

    # -- publishing into streams -----------------------------------------------------
    def js_publish(
        self,
        subject: str,
        data: bytes | str = b"",
        msg_id: str | None = None,
        headers: dict[str, str] | None = None,
        publisher: str = "",
    ) -> str:
        self._check_publish_subject(subject)  # type: ignore[attr-defined]
        body = check.data_bytes(data)
        hdrs = check.headers(headers)
        if msg_id is not None:
            if not isinstance(msg_id, str) or not msg_id or len(msg_id) > 128:
                raise ValidationError("msg_id must be 1 to 128 characters of text")
            check.headers({MSG_ID_HEADER: msg_id})
            hdrs = {**hdrs, MSG_ID_HEADER: msg_id}
        msg = self._new_msg_id()  # type: ignore[attr-defined]
        now = self.clock.now
        self.emit(
            ev.NatsPublished(
                t=now,
                msg=msg,
                subject=subject,
                size=len(body) + check.header_size(hdrs),
                publisher=publisher,
                jetstream=True,
            )
        )
        reached = self._route(msg, subject, None)  # type: ignore[attr-defined]
        if self._capture(msg, subject, body, hdrs, ack=True) is None:
            if reached:
                why = (
                    f"no stream captures {subject!r}; subscribers got it as a core message "
                    "but none answers with a PubAck, so js.publish times out"
                )
                code = 408
            else:
                why = (
                    f"no stream captures {subject!r} and nobody listens: nats-py raises "
                    "NoStreamResponseError (no response from stream)"
                )
                code = 503
            self.emit(ev.JsRefused(t=now, msg=msg, stream=None, code=code, err_code=0, reason=why))
        return msg

    def _capture(
        self, msg: str, subject: str, data: bytes, hdrs: dict[str, str], ack: bool = False
    ) -> tuple[str, int | None] | None:
        """Store into the stream capturing `subject`; (stream, seq or None), or None."""
        for stream in self.streams.values():
            pattern = stream.captures(subject)
            if pattern is not None:
                return stream.name, self._store(stream, pattern, msg, subject, data, hdrs, ack)
        return None

    def _store(
        self,
        stream: Stream,
        pattern: str,
        msg: str,
        subject: str,
        data: bytes,
        hdrs: dict[str, str],
        ack: bool,
    ) -> int | None:
        now, name = self.clock.now, stream.name
        msg_id = hdrs.get(MSG_ID_HEADER) if hdrs else None
        if msg_id:
            dup = stream.duplicate_of(msg_id)
            if dup is not None:
                seq, age = dup
                window = stream.config.duplicate_window
                self.emit(
                    ev.JsDuplicate(
                        t=now,
                        msg=msg,
                        stream=name,
                        stream_seq=seq,
                        msg_id=msg_id,
                        reason=f"Nats-Msg-Id {msg_id!r} was stored as seq {seq} {age:g}s ago, "
                        f"inside the duplicate_window of {window:g}s: not stored again",
                    )
                )
                if ack:
                    self.emit(
                        ev.JsPubAcked(t=now, msg=msg, stream=name, stream_seq=seq, duplicate=True)
                    )
                return seq
        size = check.stored_size(subject, data, hdrs)
        try:
            stream.check_room(len(data) + check.header_size(hdrs))
        except Refused as refused:
            self.emit(
                ev.JsRefused(
                    t=now,
                    msg=msg,
                    stream=name,
                    code=refused.code,
                    err_code=refused.err_code,
                    reason=refused.reason,
                )
            )
            return None
        why = f"stream {name} captures it: {subj.why_matches(pattern, subject)}"
        if stream.config.retention == "interest" and not any(
            c.interested_in(subject) for c in stream.consumers.values()
        ):
            seq = stream.skip()
            self.emit(
                ev.JsStored(
                    t=now,
                    msg=msg,
                    stream=name,
                    stream_seq=seq,
                    subject=subject,
                    size=size,
                    reason=why,
                )
            )
            self.emit(
                ev.JsRemoved(
                    t=now,
                    msg=msg,
                    stream=name,
                    stream_seq=seq,
                    cause="no_interest",
                    reason="interest retention and no consumer's filter matches "
                    f"{subject!r}: the stream does not keep it",
                )
            )
        else:
            stored = stream.append(subject, data, hdrs, msg, size)
            seq = stored.seq
            self.emit(
                ev.JsStored(
                    t=now,
                    msg=msg,
                    stream=name,
                    stream_seq=seq,
                    subject=subject,
                    size=size,
                    reason=why,
                )
            )
            stream.enforce_limits(subject)
        if ack:
            self.emit(ev.JsPubAcked(t=now, msg=msg, stream=name, stream_seq=seq))
        for c in stream.consumers.values():  # the server signals consumers whose filter matches
            if c.interested_in(subject) and (c.waiting or c.config.push):
                self.kick(c)
        return seq

    # -- consumers -------------------------------------------------------------------
    def add_consumer(self, stream: str, **config: Any) -> str:
        s = self._stream(stream)
        generated = None
        if config.get("durable_name") is None and config.get("name") is None:
            generated = self._new_ephemeral_name(s)
        cfg = check.consumer_config(generated or "", **config)
        existing = s.consumers.get(cfg.name)
        if existing is not None:
            bound = existing.config.push and bool(
                self.interest.match(existing.config.deliver_subject)
            )  # type: ignore[attr-defined]
            cfg = check.consumer_update(existing.config, cfg, bound)
        elif len(s.consumers) >= MAX_CONSUMERS:
            raise CapacityExceeded(f"at most {MAX_CONSUMERS} consumers per stream")
        self._check_consumer(s, cfg, existing)
        if existing is not None:
            if cfg != existing.config:
                existing.reconfigured(cfg)
                self.emit(
                    ev.ConsumerCreated(
                        t=self.clock.now,
                        stream=stream,
                        consumer=cfg.name,
                        config=cfg.to_dict(),
                        durable=cfg.durable,
                        push=cfg.push,
                    )
                )
                self.kick(existing)
            return cfg.name
        consumer = s.consumers[cfg.name] = Consumer(self, s, cfg)  # type: ignore[arg-type]
        self.emit(
            ev.ConsumerCreated(
                t=self.clock.now,
                stream=stream,
                consumer=cfg.name,
                config=cfg.to_dict(),
                durable=cfg.durable,
                push=cfg.push,
            )
        )
        self._activity(consumer)
        self.kick(consumer)
        return cfg.name

    def _new_ephemeral_name(self, stream: Stream) -> str:
        while True:
            self._eph_seq += 1
            candidate = f"eph{self._eph_seq}"
            if candidate not in stream.consumers:
                return candidate

    def _check_consumer(self, s: Stream, cfg: Any, existing: Consumer | None) -> None:
        f = cfg.filter_subject
        if f is not None and not any(
            subj.subset(f, pattern) or subj.subset(pattern, f) for pattern in s.config.subjects
        ):
            raise ValidationError(
                f"consumer filter subject {f!r} is not a valid subset of the stream's subjects "
                f"({', '.join(s.config.subjects)}) (10093)"
            )
        if cfg.push and s.captures(cfg.deliver_subject) is not None:
            raise ValidationError(
                f"deliver subject {cfg.deliver_subject!r} is captured by stream {s.name}: "
                "every delivery would be stored again (a cycle)"
            )
        if s.config.retention != "workqueue":
            return
        if cfg.ack_policy != "explicit":
            raise ValidationError("workqueue stream requires explicit ack (10098)")
        if cfg.deliver_policy != "all":
            raise ValidationError("consumer must be deliver all on workqueue stream (10101)")
        others = [c for c in s.consumers.values() if c is not existing]
        if f is None and others:
            raise ValidationError(
                "multiple non-filtered consumers not allowed on workqueue stream (10099): "
                f"{others[0].name} already takes messages from it"
            )
        for other in others:
            theirs = other.config.filter_subject
            if theirs is None or subj.overlap(f, theirs):
                raise ValidationError(
                    "filtered consumer not unique on workqueue stream (10100): "
                    + (
                        f"{other.name} has no filter"
                        if theirs is None
                        else f"{f!r} overlaps {other.name}'s {theirs!r}"
                    )
                )

    def delete_consumer(self, stream: str, consumer: str) -> None:
        c = self._consumer(stream, consumer)
        self._drop_consumer(c, "deleted")

    def _drop_consumer(self, c: Consumer, reason: str) -> None:
        for w in list(c.workers.values()):
            self._stop_worker(w, f"consumer {c.name} {reason}")
        c.cancel_timers()
        c.waiting.clear()
        s = c.stream
        del s.consumers[c.name]
        self.emit(
            ev.ConsumerDeleted(t=self.clock.now, stream=s.name, consumer=c.name, reason=reason)
        )
        if s.config.retention == "interest" and s.name in self.streams:
            for stored in list(s.msgs.values()):
                if not any(o.needs(stored) for o in s.consumers.values()):
                    s.remove(
                        stored.seq,
                        "consumer_deleted",
                        f"consumer {c.name} was deleted and no other consumer needs it "
                        "(interest retention)",
                    )

    def consumer_info(self, stream: str, consumer: str) -> dict[str, Any]:
        return self._consumer(stream, consumer).info()

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
        c = self._consumer(stream, consumer)
        settings = check.worker_settings(
            behaviour, processing_time, failure_rate, on_failure, nak_delay, batch
        )
        if len(self.workers) >= MAX_WORKERS:
            raise CapacityExceeded(f"at most {MAX_WORKERS} workers per sandbox")
        name = self._new_worker_name(worker)
        cfg = c.config
        w: Worker
        if cfg.push:
            w = PushWorker(self, name, c, settings)  # type: ignore[arg-type]
        else:
            w = PullWorker(self, name, c, settings)  # type: ignore[arg-type]
        self.workers[name] = w
        c.workers[name] = w
        self.emit(
            ev.WorkerStarted(
                t=self.clock.now,
                worker=name,
                stream=stream,
                consumer=c.name,
                push=cfg.push,
                behaviour=settings["behaviour"],
            )
        )
        if isinstance(w, PushWorker):
            queue = cfg.deliver_group or ""
            self._add_subscription(name, cfg.deliver_subject, queue, "worker", 0.0, b"", w)  # type: ignore[attr-defined]
            self.emit(
                ev.Subscribed(
                    t=self.clock.now,
                    sub=name,
                    subject=cfg.deliver_subject,
                    queue=queue,
                    behaviour="worker",
                    worker=name,
                )
            )
            self._interest_changed(cfg.deliver_subject)
        else:
            w.start()
        self._activity(c)
        return name

    def _new_worker_name(self, name: str | None) -> str:
        if name is not None:
            subj.check_name("worker name", name)
            if name in self.workers or name in self.subscriptions:
                raise ValidationError(f"the name {name!r} is in use")
            return name
        while True:
            self._worker_seq += 1
            candidate = f"w{self._worker_seq}"
            if candidate not in self.workers and candidate not in self.subscriptions:
                return candidate

    def stop_worker(self, worker: str) -> None:
        w = self.workers.get(worker) if isinstance(worker, str) else None
        if w is None:
            raise NotFound(f"no worker {worker!r}")
        self._stop_worker(w, "stopped")

    def _stop_worker(self, w: Worker, reason: str) -> None:
        holding = w.stop()
        c = w.consumer
        del self.workers[w.name]
        c.workers.pop(w.name, None)
        if isinstance(w, PushWorker):
            sub = self.subscriptions.get(w.name)
            if sub is not None:
                self._remove_subscription(sub, f"worker {reason}")  # type: ignore[attr-defined]
        self.emit(
            ev.WorkerStopped(
                t=self.clock.now,
                worker=w.name,
                stream=c.stream.name,
                consumer=c.name,
                holding=tuple(holding),
                reason=reason
                + (
                    f"; {len(holding)} unacked message(s) come back after ack_wait "
                    f"{c.config.ack_wait:g}s"
                    if holding
                    else ""
                ),
            )
        )
        if c.name in c.stream.consumers:
            self._activity(c)
            self.kick(c)

    def _interest_changed(self, pattern: str) -> None:
        for s in self.streams.values():
            for c in s.consumers.values():
                ds = c.config.deliver_subject
                if ds is not None and subj.matches(pattern, ds):
                    self._activity(c)
                    self.kick(c)

    # -- ephemeral consumers ---------------------------------------------------------
    def _active(self, c: Consumer) -> bool:
        if c.config.push:
            return bool(self.interest.match(c.config.deliver_subject))  # type: ignore[attr-defined]
        return bool(c.workers)

    def _activity(self, c: Consumer, touched: bool = False) -> None:
        """Start, restart or stop an ephemeral consumer's inactivity countdown."""
        if c.config.durable:
            return
        if self._active(c):
            if c.idle_timer is not None:
                c.idle_timer.cancel()
                c.idle_timer = None
            return
        if c.idle_timer is not None and not touched:
            return
        if c.idle_timer is not None:
            c.idle_timer.cancel()
        c.idle_timer = self.clock.schedule(c.config.inactive_threshold, self._inactive, c)

    def _inactive(self, c: Consumer) -> None:
        c.idle_timer = None
        if c.stream.consumers.get(c.name) is c and not self._active(c):
            self._drop_consumer(
                c, f"ephemeral, inactive for {c.config.inactive_threshold:g}s (inactive_threshold)"
            )

    # -- delivery --------------------------------------------------------------------
    def kick(self, c: Consumer) -> None:
        """Schedule the consumer's pump at the current time (once)."""
        if not c._kicked:
            c._kicked = True
            self.clock.schedule(0.0, self._pump, c)

    def _kick_all(self, stream: Stream) -> None:
        for c in stream.consumers.values():
            if c.rdq or c.waiting or c.config.push:
                self.kick(c)

    def pull(self, c: Consumer, request: PullRequest) -> None:
        c.waiting.append(request)
        self.emit(
            ev.PullRequested(
                t=self.clock.now,
                stream=c.stream.name,
                consumer=c.name,
                worker=request.worker.name,
                batch=request.remaining,
            )
        )
        self._pump(c)  # the server serves a pull request as it arrives

    def _pump(self, c: Consumer) -> None:
        c._kicked = False
        if c.stream.consumers.get(c.name) is not c:
            return
        if c.config.push:
            self._pump_push(c)
        else:
            self._pump_pull(c)

    def _pump_pull(self, c: Consumer) -> None:
        waiting = c.waiting
        while waiting:
            taken = c.take()
            if taken is None:
                return
            request = waiting[0]
            request.remaining -= 1
            if request.remaining <= 0:
                waiting.popleft()
            elif len(waiting) > 1:
                waiting.rotate(-1)
            stored, count, base = taken
            d = c.record(stored, count, base)
            w = request.worker
            self._delivered(d, w.name, f"{c.why(stored, count, base)}; pull request from {w.name}")
            w.receive(d)
            self._after_delivery(c, stored)

    def _pump_push(self, c: Consumer) -> None:
        subject = c.config.deliver_subject
        interest = self.interest  # type: ignore[attr-defined]
        while interest.match(subject):
            taken = c.take()
            if taken is None:
                return
            stored, count, base = taken
            d = c.record(stored, count, base)
            receivers = self._route(stored.msg, subject, None)  # type: ignore[attr-defined]
            for sub in receivers:
                why = f"{c.why(stored, count, base)}; pushed to {subject!r}"
                self._delivered(d, sub.name, why)
                if sub.worker is not None:
                    sub.worker.receive(d)
            self._after_delivery(c, stored)

    def _delivered(self, d: Delivery, who: str, reason: str) -> None:
        stored = d.stored
        self.emit(
            ev.JsDelivered(
                t=self.clock.now,
                msg=stored.msg,
                stream=d.consumer.stream.name,
                consumer=d.consumer.name,
                worker=who,
                subject=stored.subject,
                stream_seq=stored.seq,
                consumer_seq=d.consumer_seq,
                num_delivered=d.num_delivered,
                reason=reason,
            )
        )

    def fetch(
        self, stream: str, consumer: str, batch: int = 1, worker: str = "fetch"
    ) -> list[JsMessage]:
        c = self._consumer(stream, consumer)
        if c.config.push:
            raise ValidationError(
                f"{consumer} is a push consumer: it sends, it cannot be fetched from"
            )
        check.count("batch", batch, 1, 1000)
        subj.check_name("worker name", worker)
        out = []
        for _ in range(batch):
            taken = c.take()
            if taken is None:
                break
            stored, count, base = taken
            d = c.record(stored, count, base)
            self._delivered(d, worker, f"{c.why(stored, count, base)}; fetch by {worker}")
            out.append(_message(d))
            self._after_delivery(c, stored)
        self._activity(c, touched=True)
        return out

    # -- acks ------------------------------------------------------------------------
    def ack(self, stream: str, consumer: str, consumer_seq: int) -> None:
        self.settle(self._delivery(stream, consumer, consumer_seq), "ack", "api")

    def nak(self, stream: str, consumer: str, consumer_seq: int, delay: float = 0.0) -> None:
        wait = check.seconds("delay", delay)
        self.settle(self._delivery(stream, consumer, consumer_seq), "nak", "api", delay=wait)

    def term(self, stream: str, consumer: str, consumer_seq: int) -> None:
        self.settle(self._delivery(stream, consumer, consumer_seq), "term", "api")

    def in_progress(self, stream: str, consumer: str, consumer_seq: int) -> None:
        self.settle(self._delivery(stream, consumer, consumer_seq), "progress", "api")

    def _delivery(self, stream: str, consumer: str, consumer_seq: int) -> Delivery:
        c = self._consumer(stream, consumer)
        check.count("consumer_seq", consumer_seq, 1, 2**63 - 1)
        if c.config.ack_policy == "none":
            raise ValidationError(f"{consumer} has ack policy none: there is nothing to ack")
        seq = c.dmap.get(consumer_seq)
        stored = c.stream.msgs.get(seq) if seq is not None else None
        if stored is None:
            raise ValidationError(
                f"delivery {consumer_seq} of {consumer} is not waiting for an ack "
                "(already settled, given up, or never delivered)"
            )
        return Delivery(c, stored, consumer_seq, c.rdc.get(seq, 1), 0)

    def settle(self, d: Delivery, kind: str, by: str, delay: float = 0.0) -> None:
        """An ack, nak, term, in-progress or "ignore" for delivery `d`, from `by`."""
        c, stored = d.consumer, d.stored
        if c.stream.consumers.get(c.name) is not c:
            return
        now, seq, dseq = self.clock.now, stored.seq, d.consumer_seq
        base = dict(
            t=now,
            msg=stored.msg,
            stream=c.stream.name,
            consumer=c.name,
            worker=by,
            stream_seq=seq,
            consumer_seq=dseq,
        )
        w = self.workers.get(by)
        if kind == "ignore":
            self.emit(
                ev.JsNotAcked(
                    **base,
                    reason=f"{by} failed and sent nothing: ack_wait "
                    f"{c.config.ack_wait:g}s will bring it back",
                )
            )
        elif kind == "progress":
            if c.in_progress(seq):
                self.emit(
                    ev.JsInProgress(**base, reason=f"ack_wait {c.config.ack_wait:g}s starts again")
                )
            return
        elif kind == "nak":
            if c.nak(seq, delay):
                why = f"redeliver after {delay:g}s" if delay else "redeliver now"
                self.emit(ev.JsNaked(**base, delay=delay, reason=why))
                if w is not None:
                    w.naked += 1
                self.kick(c)
        else:
            covered = c.settle(seq, dseq, kind)
            if covered:
                if kind == "ack":
                    why = (
                        f"ack policy all: settles stream seqs up to {seq}"
                        if c.config.ack_policy == "all"
                        else "explicit ack"
                    )
                    self.emit(ev.JsAcked(**base, covers=covered, reason=why))
                    if w is not None:
                        w.acked += 1
                else:
                    self.emit(ev.JsTermed(**base, reason="term: never redeliver it to " + c.name))
                    if w is not None:
                        w.termed += 1
                self._retention_after_ack(c, covered, kind)
                self.kick(c)
        self._settled_by_holders(c, d, kind)

    def _settled_by_holders(self, c: Consumer, d: Delivery, kind: str) -> None:
        if kind == "progress":
            return
        for w in c.workers.values():
            if d.consumer_seq in w.held:
                w.settled(d.consumer_seq)

    def _retention_after_ack(self, c: Consumer, seqs: tuple[int, ...], kind: str) -> None:
        s = c.stream
        retention = s.config.retention
        if retention == "limits":
            return
        word = "acked" if kind == "ack" else "termed"
        for seq in seqs:
            stored = s.msgs.get(seq)
            if stored is None:
                continue
            if retention == "workqueue":
                s.remove(
                    seq,
                    "ack",
                    f"{word} by {c.name}: a workqueue stream removes a message "
                    "once its consumer acks it",
                )
            elif not any(o.needs(stored) for o in s.consumers.values()):
                names = ", ".join(
                    o.name for o in s.consumers.values() if o.interested_in(stored.subject)
                )
                s.remove(
                    seq,
                    "interest",
                    f"every interested consumer ({names}) has acked it (interest retention)",
                )

    def _after_delivery(self, c: Consumer, stored: StoredMsg) -> None:
        """Ack policy none: on an interest stream, delivery may be the last ack needed."""
        if c.config.ack_policy != "none" or stored.seq not in c.stream.msgs:
            return
        if c.stream.config.retention == "interest" and not any(
            o.needs(stored) for o in c.stream.consumers.values()
        ):
            c.stream.remove(
                stored.seq,
                "interest",
                "delivered to every interested consumer "
                "(ack policy none counts delivery as the ack)",
            )

    # -- lookups ---------------------------------------------------------------------
    def _stream(self, name: str) -> Stream:
        stream = self.streams.get(name) if isinstance(name, str) else None
        if stream is None:
            raise NotFound(f"stream {name!r} not found (10059)")
        return stream

    def _consumer(self, stream: str, name: str) -> Consumer:
        s = self._stream(stream)
        c = s.consumers.get(name) if isinstance(name, str) else None
        if c is None:
            raise NotFound(f"consumer {name!r} not found on stream {stream} (10014)")
        return c


def _message(d: Delivery) -> JsMessage:
    stored = d.stored
    return JsMessage(
        msg=stored.msg,
        stream=d.consumer.stream.name,
        consumer=d.consumer.name,
        subject=stored.subject,
        data=stored.data,
        headers=dict(stored.headers),
        stream_seq=stored.seq,
        consumer_seq=d.consumer_seq,
        num_delivered=d.num_delivered,
        num_pending=d.num_pending,
    )
