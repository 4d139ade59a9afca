"""A playground consumer as a real pika consumer: its own thread, connection and channel.

Each delivery becomes a `Delivered` event linked to the engine-style message id carried
in the `x-bp-msg` header. With `behaviour="auto"` deliveries are processed one at a time
for `processing_time` seconds (a pika timer, so heartbeats keep flowing), then acked, or
nacked with probability `failure_rate` drawn from a seeded `random.Random`; with
`"manual"` they wait for the user's ack/nack/reject. A crash closes the channel with the
deliveries still unacked, so RabbitMQ redelivers them. Leaves out consumer priorities'
effect on the UI (the broker applies `x-priority` itself).
"""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

import pika.exceptions as pe

from brokers.amqp import events as ev
from brokers.errors import ValidationError
from brokers.real.common import EventSink, Names
from brokers.real.rabbitmq.connection import PikaLoop, broker_error


@dataclass
class ConsumerSpec:
    """What `basic_consume` was asked for, kept so a restart can repeat it."""

    tag: str
    queue: str
    auto_ack: bool
    prefetch_count: int
    processing_time: float
    failure_rate: float
    requeue_on_failure: bool
    behaviour: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """One delivery this consumer holds: enough to ack it and say what happened."""

    msg: str
    delivery_tag: int
    headers: dict[str, Any]
    routing_key: str
    exchange: str  # as the broker names it
    delivery_count: int
    queue: str = ""  # the user's name of the queue it came from


class ConsumerOwner(Protocol):
    """What a consumer asks of the adapter that made it (`RabbitMQAdapter` is one)."""

    url: str
    names: Names
    sink: EventSink

    def msg_id(self, headers: dict[str, Any], method: Any) -> str: ...

    def count_delivery(self, msg: str, queue: str, headers: dict[str, Any]) -> int: ...

    def settle_negative(self, d: Delivery, queue: str, requeue: bool, how: str) -> None: ...

    def settle_return(self, d: Delivery, queue: str, reason: str) -> None: ...


class Consumer:
    """One consumer tag: a `PikaLoop` running basic.consume on its own connection."""

    def __init__(self, adapter: ConsumerOwner, spec: ConsumerSpec, seed: int) -> None:
        self.adapter = adapter
        self.spec = spec
        self.rng = random.Random(f"{seed}:{spec.tag}")
        self.state = "starting"
        self.loop: PikaLoop | None = None
        self.channel: Any = None
        self.held: dict[int, Delivery] = {}  # delivered, not yet acked (or not yet processed)
        self.pending: collections.deque[int] = collections.deque()
        self.busy = False
        self.delivered = self.acked = self.nacked = 0

    # -- life ------------------------------------------------------------------------
    def start(self, announce: bool = False) -> None:
        """Connect, set prefetch and start consuming; raise what the broker refused.

        With `announce`, `ConsumerStarted` is emitted once consume-ok arrives, before any
        delivery can be dispatched.
        """
        self.announce = announce
        self.held.clear()
        self.pending.clear()
        self.busy = False
        loop = PikaLoop(
            self.adapter.url,
            f"{self.adapter.names.prefix}consumer.{self.spec.tag}",
            setup=self._setup,
        )
        loop.on_exit = self._on_exit
        self.loop = loop
        try:
            loop.start_and_wait()
        except pe.ChannelClosed as exc:
            self.state = "failed"
            raise broker_error(exc, self.adapter.names.scrub) from None
        except BaseException:
            self.state = "failed"
            raise

    def _setup(self, connection: Any) -> None:
        channel = connection.channel()
        if self.spec.prefetch_count:
            channel.basic_qos(prefetch_count=self.spec.prefetch_count)
        channel.add_on_cancel_callback(self._on_broker_cancel)
        self.state = "active"  # deliveries may arrive before start() returns
        channel.basic_consume(
            self.adapter.names.queue(self.spec.queue),
            self._on_message,
            auto_ack=self.spec.auto_ack,
            consumer_tag=self.adapter.names.prefix + self.spec.tag,
            arguments=self.spec.arguments or None,
        )
        self.channel = channel
        if self.announce:
            s = self.spec
            self.adapter.sink.emit(
                ev.ConsumerStarted,
                consumer_tag=s.tag,
                queue=s.queue,
                prefetch=s.prefetch_count,
                auto_ack=s.auto_ack,
            )

    def _on_exit(self, loop: PikaLoop) -> None:
        if self.state == "active" and loop is self.loop:
            self.state = "disconnected"

    @property
    def live(self) -> bool:
        """Whether the consumer's loop runs."""
        return self.state == "active" and self.loop is not None and self.loop.alive

    def _call(self, fn: Any) -> Any:
        if self.loop is None or not self.live:
            raise ValidationError(f"consumer '{self.spec.tag}' is {self.state}")
        try:
            return self.loop.submit(fn)
        except pe.ChannelClosed as exc:
            raise broker_error(exc, self.adapter.names.scrub) from None

    # -- deliveries --------------------------------------------------------------------
    def _on_message(self, channel: Any, method: Any, props: Any, body: bytes) -> None:
        headers = props.headers or {}  # pika decodes a fresh dict per delivery
        spec = self.spec
        queue = spec.queue
        tag = method.delivery_tag
        adapter = self.adapter
        msg = adapter.msg_id(headers, method)
        count = adapter.count_delivery(msg, queue, headers)
        offset = headers.get("x-stream-offset")
        self.delivered += 1
        sink = adapter.sink
        sink.put(
            ev.Delivered.make(
                t=sink.now(),
                msg=msg,
                queue=queue,
                consumer_tag=spec.tag,
                delivery_tag=tag,
                redelivered=bool(method.redelivered),
                delivery_count=count,
                auto_ack=spec.auto_ack,
                offset=offset if isinstance(offset, int) else None,
            )
        )
        if spec.auto_ack and spec.processing_time <= 0:
            return
        self.held[tag] = Delivery(
            msg, tag, headers, method.routing_key, method.exchange, count, queue
        )
        if spec.behaviour == "auto" or spec.auto_ack:
            if spec.processing_time <= 0 and not self.pending and self.state == "active":
                self._process(tag)  # nothing waits before it: process at once
                return
            self.pending.append(tag)
            self._next()

    def _next(self) -> None:
        while self.pending and not self.busy and self.state == "active":
            if self.spec.processing_time > 0:
                self.busy = True
                self.loop.connection.call_later(self.spec.processing_time, self._timer)
                return
            self._process(self.pending.popleft())

    def _timer(self) -> None:
        self.busy = False
        if self.pending and self.state == "active":
            self._process(self.pending.popleft())
        self._next()

    def _process(self, tag: int) -> None:
        if self.spec.auto_ack:
            self.held.pop(tag, None)
            return
        if tag not in self.held:
            return
        fail = self.spec.failure_rate > 0 and self.rng.random() < self.spec.failure_rate
        if fail:
            self._negative(tag, False, self.spec.requeue_on_failure, "nack")
        else:
            self._ack(tag, False)

    # -- acknowledgements (run on the loop's thread) -------------------------------------
    def _tags(self, tag: int, multiple: bool) -> list[int]:
        return sorted(t for t in self.held if t <= tag) if multiple else [tag]

    def _ack(self, tag: int, multiple: bool) -> None:
        self.channel.basic_ack(tag, multiple=multiple)
        sink, spec = self.adapter.sink, self.spec
        for t in self._tags(tag, multiple):
            d = self.held.pop(t)
            self.acked += 1
            sink.put(
                ev.Acked.make(
                    t=sink.now(),
                    msg=d.msg,
                    queue=spec.queue,
                    consumer_tag=spec.tag,
                    delivery_tag=t,
                )
            )

    def _negative(self, tag: int, multiple: bool, requeue: bool, how: str) -> None:
        if how == "reject":
            self.channel.basic_reject(tag, requeue=requeue)
        else:
            self.channel.basic_nack(tag, multiple=multiple, requeue=requeue)
        cls = ev.Rejected if how == "reject" else ev.Nacked
        for t in self._tags(tag, multiple):
            d = self.held.pop(t)
            self.nacked += 1
            self.adapter.sink.emit(
                cls,
                msg=d.msg,
                queue=self.spec.queue,
                consumer_tag=self.spec.tag,
                delivery_tag=t,
                requeue=requeue,
            )
            self.adapter.settle_negative(d, self.spec.queue, requeue, how)

    def check_tag(self, tag: int, multiple: bool) -> None:
        """Refuse an unknown delivery tag before it reaches (and closes) the channel."""
        if tag in self.held or (multiple and any(t <= tag for t in self.held)):
            return
        raise ValidationError(f"PRECONDITION_FAILED - unknown delivery tag {tag}")

    def ack(self, tag: int, multiple: bool) -> None:
        """basic.ack from the user's thread."""
        self.check_tag(tag, multiple)
        self._call(lambda: self._ack(tag, multiple))

    def negative(self, tag: int, multiple: bool, requeue: bool, how: str) -> None:
        """basic.nack or basic.reject from the user's thread."""
        self.check_tag(tag, multiple)
        self._call(lambda: self._negative(tag, multiple, requeue, how))

    # -- endings -----------------------------------------------------------------------
    def _drop_held(self, reason: str, crashed: bool) -> tuple[int, int]:
        """Report what happens to held deliveries when the channel goes: (requeued, lost).

        Auto-ack work in progress is lost on a crash; a clean cancel lets it finish.
        """
        requeued = lost = 0
        for d in sorted(self.held.values(), key=lambda d: d.delivery_tag):
            if self.spec.auto_ack:
                if not crashed:
                    continue
                lost += 1
                self.adapter.sink.emit(
                    ev.Lost,
                    msg=d.msg,
                    queue=self.spec.queue,
                    consumer_tag=self.spec.tag,
                    reason="auto-ack consumer crashed while processing",
                )
            else:
                requeued += 1
                self.adapter.settle_return(d, self.spec.queue, reason)
        self.held.clear()
        self.pending.clear()
        return requeued, lost

    def crash(self) -> None:
        """Close the channel abruptly, as a dying process would."""

        def go() -> None:
            self.state = "crashed"
            requeued, lost = self._drop_held("consumer crashed", crashed=True)
            self.adapter.sink.emit(
                ev.ConsumerCrashed,
                consumer_tag=self.spec.tag,
                queue=self.spec.queue,
                requeued=requeued,
                lost=lost,
            )
            self._abort()

        self._call(go)
        self.loop.join(5)

    def cancel(self) -> None:
        """basic.cancel, then close the channel so held deliveries go back to the queue."""

        def go() -> None:
            self.state = "cancelled"
            try:
                self.channel.basic_cancel(self.adapter.names.prefix + self.spec.tag)
            except pe.AMQPError:
                pass
            requeued, _ = self._drop_held("basic.cancel", crashed=False)
            self.adapter.sink.emit(
                ev.ConsumerCancelled,
                consumer_tag=self.spec.tag,
                queue=self.spec.queue,
                requeued=requeued,
            )
            self._abort()

        self._call(go)
        self.loop.join(5)

    def _abort(self) -> None:
        try:
            self.channel.close()
        except pe.AMQPError:
            pass
        self.loop.stopping = True

    def _on_broker_cancel(self, method: Any) -> None:
        self.state = "cancelled"
        requeued, _ = self._drop_held("queue deleted", crashed=False)
        self.adapter.sink.emit(
            ev.ConsumerCancelled,
            consumer_tag=self.spec.tag,
            queue=self.spec.queue,
            requeued=requeued,
            reason="queue deleted",
        )
        self.loop.stopping = True

    def stop(self) -> None:
        """End the thread without events (adapter shutdown)."""
        if self.loop is not None:
            self.loop.stop()

    def describe(self) -> dict[str, Any]:
        """The consumer as the live view draws it."""
        s = self.spec
        return {
            "tag": s.tag,
            "queue": s.queue,
            "state": self.state,
            "prefetch": s.prefetch_count,
            "auto_ack": s.auto_ack,
            "unacked": 0 if s.auto_ack else len(self.held),
            "delivered": self.delivered,
            "acked": self.acked,
            "nacked": self.nacked,
            "processing_time": s.processing_time,
            "failure_rate": s.failure_rate,
            "behaviour": s.behaviour,
            "priority": s.arguments.get("x-priority", 0),
        }
