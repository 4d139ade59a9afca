"""Consumers and deliveries: push with prefetch credit, acks, requeues, crashes, basic.get.

Each push delivery is one clock action (scheduled `network_delay` after the message or
the credit appeared), so step mode shows deliveries one by one. The queue picks, among
active consumers with credit, the highest `x-priority`, round robin within a priority
(the consumer served goes to the back). With `x-single-active-consumer` only the first
registered consumer is active; the next takes over when it goes. Requeue puts a message
back at its original position in classic queues, once the acks sent with it are handled
and the deliveries they allow are made (RabbitMQ prioritises acks); in quorum queues a
closed channel's messages go in front of new ones, and so does a nack or reject when
`x-delivery-limit` is set (each return counts towards it), else it goes to the back.
A consumer leaves the rotation when a delivery finds it without credit (classic) or when
its credit runs out (quorum), and rejoins at the back when credit returns.
Streams deliver from each consumer's own offset, and acks only give credit back.
Auto-ack consumers own their messages on delivery: a crash loses those still being
processed. Leaves out `basic.recover`, consumer timeouts and the `exclusive` consume flag.
"""

from __future__ import annotations

import datetime
from typing import Any

from brokers.amqp import events as ev
from brokers.amqp.api import GetResult, Properties
from brokers.amqp.consumers import Channel, Consumer
from brokers.amqp.queues import Entry, Queue
from brokers.amqp.validation import (
    NOT_IMPLEMENTED,
    check_consume_arguments,
    check_count,
    check_rate,
    interval_seconds,
)
from brokers.errors import NotFound, ResourceLocked, ValidationError


def _by_priority(c: Consumer) -> int:
    return -c.priority


# reasons for a push delivery (`Deliveries._push_reason`), credit text appended
_SINGLE_ACTIVE = "single active consumer; "
_SOLE = "round robin: next of 1 consumer(s) with credit; "  # what a sole consumer gets


class Deliveries:
    """Consumer-side operations of `AmqpBroker` (a mixin)."""

    consumers: dict[str, Consumer]
    getters: dict[str, Channel]

    # -- consumers -----------------------------------------------------------------
    def basic_consume(
        self,
        queue: str,
        consumer_tag: str | None = None,
        auto_ack: bool = False,
        prefetch_count: int = 0,
        processing_time: float = 0.0,
        failure_rate: float = 0.0,
        requeue_on_failure: bool = True,
        behaviour: str = "auto",
        arguments: dict[str, Any] | None = None,
    ) -> str:
        q = self._queue(queue)
        args = dict(arguments or {})
        check_consume_arguments(args)
        check_count("prefetch_count", prefetch_count, maximum=65535)
        check_rate("processing_time", processing_time)
        check_rate("failure_rate", failure_rate, maximum=1.0)
        if behaviour not in ("auto", "manual"):
            raise ValidationError(f"behaviour must be 'auto' or 'manual', got {behaviour!r}")
        if consumer_tag is None or consumer_tag == "":
            self._next_consumer_number += 1
            consumer_tag = f"amq.ctag-{self._next_consumer_number}"
        if not isinstance(consumer_tag, str):
            raise ValidationError("consumer_tag must be a string")
        previous = self.consumers.get(consumer_tag)
        running = previous is not None and previous.state not in ("cancelled", "crashed")
        # A cancelled or crashed consumer's tag is free again, as on a real channel.
        if running or consumer_tag in self.getters:
            raise ValidationError(
                f"NOT_ALLOWED - attempt to reuse consumer tag '{consumer_tag}'", code=530
            )
        if q.is_stream:
            self._check_stream_consumer(q, auto_ack, prefetch_count)
        if q.exclusive and q.owner is not None:
            raise ResourceLocked(
                "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue "
                f"'{queue}' in vhost '/'"
            )
        consumer = Consumer(
            consumer_tag,
            queue,
            auto_ack=auto_ack,
            prefetch=prefetch_count,
            processing_time=processing_time,
            failure_rate=failure_rate,
            requeue_on_failure=requeue_on_failure,
            behaviour=behaviour,
            arguments=args,
        )
        self.consumers[consumer_tag] = consumer
        self._attach(q, consumer)
        return consumer_tag

    @staticmethod
    def _check_stream_consumer(q: Queue, auto_ack: bool, prefetch: int) -> None:
        if prefetch == 0:
            raise ValidationError(
                f"PRECONDITION_FAILED - consumer prefetch count is not set for queue '{q.name}'"
            )
        if auto_ack:
            raise ValidationError(
                "NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues "
                f"queue '{q.name}'",
                code=NOT_IMPLEMENTED,
            )

    def _attach(self, q: Queue, consumer: Consumer) -> None:
        """Register a consumer on its queue, decide whether it is active, start deliveries."""
        if q.exclusive:
            q.owner = consumer.tag
        q.ever_consumed = True
        live = [c for c in q.consumers if c.state in ("active", "waiting")]
        consumer.state = "waiting" if q.single_active and live else "active"
        consumer.channel = Channel(consumer.tag)
        consumer.blocked = False
        consumer.busy_until = self.clock.now
        if q.is_stream:
            consumer.stream_next = self._resolve_offset(q, consumer.offset_spec)
        q.consumers.append(consumer)
        self._emit(
            ev.ConsumerStarted(
                t=self.clock.now,
                consumer_tag=consumer.tag,
                queue=q.name,
                prefetch=consumer.prefetch,
                auto_ack=consumer.auto_ack,
                active=consumer.state == "active",
            )
        )
        if q.single_active and consumer.state == "active":
            self._emit(
                ev.SingleActiveConsumerChanged(
                    t=self.clock.now, queue=q.name, consumer_tag=consumer.tag
                )
            )
        self._kick(q)

    def _resolve_offset(self, q: Queue, spec: Any) -> int:
        log = q.store
        if spec == "first":
            return log.first_offset
        if spec == "last":
            return log.last_chunk()
        if spec == "next":
            return log.end
        if isinstance(spec, int):
            return min(max(spec, log.first_offset), log.end)
        if isinstance(spec, datetime.datetime):
            return log.first_at_or_after(spec.timestamp())
        return log.first_at_or_after(self.clock.now - interval_seconds(spec))

    def basic_cancel(self, consumer_tag: str) -> None:
        consumer = self._consumer(consumer_tag)
        if consumer.state in ("cancelled", "crashed"):
            return
        self._drop_consumer(consumer, "cancelled", requeue=True, why="basic.cancel")

    def crash_consumer(self, consumer_tag: str) -> None:
        consumer = self._consumer(consumer_tag)
        if consumer.state in ("cancelled", "crashed"):
            raise ValidationError(f"consumer '{consumer_tag}' is not running ({consumer.state})")
        self._drop_consumer(consumer, "crashed", requeue=True, why="consumer crashed")

    def restart_consumer(self, consumer_tag: str) -> None:
        consumer = self._consumer(consumer_tag)
        if consumer.state not in ("cancelled", "crashed"):
            raise ValidationError(f"consumer '{consumer_tag}' is already running")
        q = self.queues.get(consumer.queue)
        if q is None:
            raise NotFound(f"NOT_FOUND - no queue '{consumer.queue}' in vhost '/'")
        if q.exclusive and q.owner not in (None, consumer.tag):
            raise ResourceLocked(
                "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue "
                f"'{q.name}' in vhost '/'"
            )
        self._emit(ev.ConsumerRestarted(t=self.clock.now, consumer_tag=consumer_tag, queue=q.name))
        self._attach(q, consumer)

    def _consumer(self, tag: str) -> Consumer:
        consumer = self.consumers.get(tag)
        if consumer is None:
            raise NotFound(f"NOT_FOUND - no consumer '{tag}'")
        return consumer

    def _drop_consumer(self, consumer: Consumer, state: str, *, requeue: bool, why: str) -> None:
        """Stop a consumer: close its channel (requeue unacked), lose auto-ack work on a crash."""
        q = self.queues.get(consumer.queue)
        if q is not None and q.returning:  # requeues sent before the channel closed
            self._flush_returns(q)
        was_active = consumer.state == "active"
        consumer.state = state
        now = self.clock.now
        lost = 0
        if consumer.timer is not None:
            consumer.timer.cancel()
            consumer.timer = None
        consumer.work.clear()
        if state == "crashed":  # a clean cancel counts auto-ack work in progress as done
            for delivery in consumer.in_flight.values():
                lost += 1
                self._emit(
                    ev.Lost.make(
                        t=now,
                        msg=delivery.entry.message.id,
                        queue=delivery.queue,
                        consumer_tag=consumer.tag,
                        reason="auto-ack consumer crashed while processing",
                    )
                )
        consumer.in_flight.clear()
        unacked = list(consumer.channel.unacked.values())
        consumer.channel.unacked.clear()
        if q is not None:
            q.consumers.remove(consumer)
            q.unacked -= 0 if q.is_stream else len(unacked)
            if requeue and not q.is_stream:
                if q.type == "quorum" and q.single_active:
                    # a quorum queue makes the next single active consumer active and
                    # serves it from what is ready before the closed channel's messages
                    # come back (checked on RabbitMQ 3.10; a classic queue returns them
                    # first: its basic.cancel delivers nothing until the channel closes)
                    q.returning.extend((d.entry, why, None) for d in unacked)
                else:
                    for delivery in unacked:
                        self._return(q, delivery.entry, why, limit=False)
                    self._limit_returns(q)
        if state == "crashed":
            self._emit(
                ev.ConsumerCrashed(
                    t=now,
                    consumer_tag=consumer.tag,
                    queue=consumer.queue,
                    requeued=len(unacked),
                    lost=lost,
                )
            )
        else:
            self._emit(
                ev.ConsumerCancelled(
                    t=now,
                    consumer_tag=consumer.tag,
                    queue=consumer.queue,
                    requeued=len(unacked),
                    reason=why,
                )
            )
        if q is None or q.name not in self.queues:
            return
        if q.single_active and was_active:
            self._promote(q)
        live = [c for c in q.consumers if c.state in ("active", "waiting")]
        if not live and q.auto_delete and q.ever_consumed and why != "queue deleted":
            self._remove_queue(q, "auto-deleted (last consumer gone)")
        elif q.exclusive and state == "crashed" and q.owner == consumer.tag:
            self._remove_queue(q, "deleted (exclusive owner's connection closed)")
        else:
            self._kick(q)
            if q.returning and q.returns_timer is None:
                q.returns_timer = self.clock.at(
                    self.clock.now + self.network_delay, self._apply_returns, q
                )

    def _promote(self, q: Queue) -> None:
        waiting = [c for c in q.consumers if c.state == "waiting"]
        if q.type == "classic":  # a classic queue takes the highest x-priority (3.10, checked)
            waiting.sort(key=_by_priority)
        nxt = waiting[0] if waiting else None
        if nxt is not None:
            nxt.state = "active"
        self._emit(
            ev.SingleActiveConsumerChanged(
                t=self.clock.now, queue=q.name, consumer_tag=nxt.tag if nxt else None
            )
        )

    # -- push ----------------------------------------------------------------------
    def _kick(self, q: Queue) -> None:
        """Schedule one delivery attempt unless one is already pending."""
        if q.dispatch_timer is None and q.consumers:
            q.dispatch_timer = self.clock.schedule(self.network_delay, self._dispatch, q)

    def _dispatch(self, q: Queue) -> None:
        """Deliver one message to the next consumer with credit, then schedule the next."""
        q.dispatch_timer = None
        if q.name not in self.queues:
            return
        if q.is_stream:
            if self._dispatch_stream(q):
                self._kick(q)
            return
        if q.may_expire:
            self._expire(q, strict=True)
        consumers = q.consumers
        if len(consumers) == 1:  # the common case: nothing to choose between
            best = consumers[0]
            if best.state != "active" or not (
                best.auto_ack
                or best.prefetch == 0
                or len(best.channel.unacked) + best.returning < best.prefetch
            ):  # Consumer.has_credit, inlined
                if best.state == "active" and q.store and not q.single_active:
                    best.blocked = True  # tried without credit: out of the rotation
                return
            reason = (_SINGLE_ACTIVE if q.single_active else _SOLE) + best.credit_text()
        else:
            if not q.store:
                return
            best = None
            # RabbitMQ tries consumers in turn, highest x-priority first; one found without
            # credit leaves the rotation (rabbit_queue_consumers:block_consumer)
            turn = consumers
            if any(c.priority for c in consumers):
                turn = sorted(consumers, key=_by_priority)  # stable: turns within a priority
            for c in turn:
                if c.state != "active" or c.blocked:
                    continue
                if c.has_credit():
                    best = c
                    break
                if not q.single_active:
                    c.blocked = True
            if best is None:
                return
            ready = [c for c in consumers if c.state == "active" and c.has_credit()]
            reason = self._push_reason(q, best, ready)
        store = q.store
        entry = store.pop()
        if entry is None:
            return
        q.bytes -= entry.message.size
        if not q.single_active and len(consumers) > 1:
            consumers.remove(best)
            consumers.append(best)
        self._deliver(q, best, entry, reason)
        if q.type == "quorum" and not best.has_credit():
            best.blocked = True  # rabbit_fifo keeps only consumers with credit in its rotation
        if q.may_expire:
            self._reschedule_expiry(q)
        if q.dispatch_timer is None and store:
            q.dispatch_timer = self.clock.at(self.clock.now + self.network_delay, self._dispatch, q)

    @staticmethod
    def _push_reason(q: Queue, best: Consumer, ready: list[Consumer]) -> str:
        """Why `best` got the head message: single active, x-priority or round robin."""
        credit = best.credit_text()
        if q.single_active:
            return _SINGLE_ACTIVE + credit
        others = [c for c in ready if c is not best]
        if others and any(c.priority < best.priority for c in others):
            return f"highest x-priority ({best.priority}) with credit; {credit}"
        skipped = len([c for c in q.consumers if c.state == "active"]) - len(ready)
        turn = f"round robin: next of {len(ready)} consumer(s) with credit"
        if skipped:
            turn += f", {skipped} without credit skipped"
        return f"{turn}; {credit}"

    def _dispatch_stream(self, q: Queue) -> bool:
        log = q.store
        for c in q.consumers:
            if c.state == "active" and c.has_credit() and c.stream_next < log.end:
                c.stream_next = max(c.stream_next, log.first_offset)
                entry = log.at(c.stream_next)
                c.stream_next += 1
                self._deliver(q, c, entry, f"stream offset {entry.offset}, next for {c.tag}")
                return True
        return False

    def _deliver(self, q: Queue, c: Consumer, entry: Entry, reason: str) -> None:
        now = self.clock.now
        c.delivered += 1
        delivery = c.channel.open(entry, q.name)
        tag = delivery.tag
        if c.auto_ack:
            del c.channel.unacked[tag]
            if c.behaviour == "auto":
                c.in_flight[tag] = delivery
        elif not q.is_stream:
            q.unacked += 1
        self._emit(
            ev.Delivered.make(
                t=now,
                msg=entry.message.id,
                queue=q.name,
                consumer_tag=c.tag,
                delivery_tag=tag,
                redelivered=entry.redelivered,
                delivery_count=entry.returns,
                auto_ack=c.auto_ack,
                offset=entry.offset,
                reason=reason,
            )
        )
        if c.behaviour == "auto":
            start = c.busy_until if c.busy_until > now else now
            c.busy_until = done = start + c.processing_time
            if done == now and not c.work:
                self._finish(c, delivery)  # instant processing: settle in the same step
                return
            c.work.append((done, delivery))
            if c.timer is None:
                c.timer = self.clock.at(done, self._processed, c)

    def _processed(self, c: Consumer) -> None:
        """A simulated consumer finished its oldest message.

        One timer per consumer (for the message it is working on) keeps the clock's heap
        as small as the number of consumers, whatever the prefetch.
        """
        _, delivery = c.work.popleft()
        c.timer = self.clock.at(c.work[0][0], self._processed, c) if c.work else None
        self._finish(c, delivery)

    def _finish(self, c: Consumer, delivery: Any) -> None:
        """Ack a processed message, or nack it on a simulated failure."""
        if c.auto_ack:
            if c.in_flight.pop(delivery.tag, None) is None:
                return
        elif c.channel.unacked.get(delivery.tag) is not delivery:
            return  # settled meanwhile by an explicit call
        failed = c.failure_rate > 0 and self.rng.random() < c.failure_rate
        if c.auto_ack:
            if failed:
                self._emit(
                    ev.Lost.make(
                        t=self.clock.now,
                        msg=delivery.entry.message.id,
                        queue=delivery.queue,
                        consumer_tag=c.tag,
                        reason="processing failed after auto-ack",
                    )
                )
            return
        if failed:
            self._settle(c.channel, c, delivery.tag, False, "nack", c.requeue_on_failure)
            return
        # the common case, kept short: one ack of one delivery
        tag, name = delivery.tag, delivery.queue
        del c.channel.unacked[tag]
        c.acked += 1
        now = self.clock.now
        if c.blocked:
            self._unblock(c)
        self._emit(
            ev.Acked.make(
                t=now,
                msg=delivery.entry.message.id,
                queue=name,
                consumer_tag=c.tag,
                delivery_tag=tag,
            )
        )
        q = self.queues.get(name)
        if q is not None:
            if not q.is_stream:
                q.unacked -= 1
            if q.dispatch_timer is None:
                q.dispatch_timer = self.clock.at(now + self.network_delay, self._dispatch, q)

    # -- acknowledgements ----------------------------------------------------------
    def basic_ack(self, consumer_tag: str, delivery_tag: int, multiple: bool = False) -> None:
        channel, consumer = self._channel(consumer_tag, delivery_tag, multiple)
        self._settle(channel, consumer, delivery_tag, multiple, "ack", False)

    def basic_nack(
        self, consumer_tag: str, delivery_tag: int, multiple: bool = False, requeue: bool = True
    ) -> None:
        channel, consumer = self._channel(consumer_tag, delivery_tag, multiple)
        self._settle(channel, consumer, delivery_tag, multiple, "nack", requeue)

    def basic_reject(self, consumer_tag: str, delivery_tag: int, requeue: bool = True) -> None:
        channel, consumer = self._channel(consumer_tag, delivery_tag, False)
        self._settle(channel, consumer, delivery_tag, False, "reject", requeue)

    def _channel(
        self, tag: str, delivery_tag: int, multiple: bool
    ) -> tuple[Channel, Consumer | None]:
        consumer = self.consumers.get(tag)
        channel = consumer.channel if consumer is not None else self.getters.get(tag)
        if channel is None:
            raise NotFound(f"NOT_FOUND - no consumer or channel '{tag}'")
        if isinstance(delivery_tag, bool) or not isinstance(delivery_tag, int):
            raise ValidationError(f"delivery tag must be an integer, got {delivery_tag!r}")
        if not (multiple and delivery_tag == 0) and delivery_tag not in channel.unacked:
            raise ValidationError(f"PRECONDITION_FAILED - unknown delivery tag {delivery_tag}")
        return channel, consumer

    def _settle(
        self,
        channel: Channel,
        c: Consumer | None,
        tag: int,
        multiple: bool,
        how: str,
        requeue: bool,
    ) -> None:
        now = self.clock.now
        emit = self._emit
        touched: dict[str, Queue] = {}
        for d in channel.settle(tag, multiple):
            mid = d.entry.message.id
            q = self.queues.get(d.queue)
            if how == "ack":
                emit(
                    ev.Acked.make(
                        t=now, msg=mid, queue=d.queue, consumer_tag=channel.name, delivery_tag=d.tag
                    )
                )
            elif how == "nack":
                emit(
                    ev.Nacked.make(
                        t=now,
                        msg=mid,
                        queue=d.queue,
                        consumer_tag=channel.name,
                        delivery_tag=d.tag,
                        requeue=requeue,
                    )
                )
            else:
                emit(
                    ev.Rejected.make(
                        t=now,
                        msg=mid,
                        queue=d.queue,
                        consumer_tag=channel.name,
                        delivery_tag=d.tag,
                        requeue=requeue,
                    )
                )
            if c is not None:
                if how == "ack":
                    c.acked += 1
                else:
                    c.nacked += 1
            if q is None:
                continue
            touched[q.name] = q
            if q.is_stream:
                continue
            q.unacked -= 1
            if how == "ack":
                continue
            if requeue and q.type == "classic":
                q.returning.append((d.entry, f"basic.{how} with requeue", c))
                if c is not None:
                    c.returning += 1
            elif requeue:
                self._return(q, d.entry, f"basic.{how} with requeue", back=True)
            else:
                self._dead_letter(q, d.entry, "rejected")
        if c is not None and c.blocked:
            self._unblock(c)
        for q in touched.values():
            self._kick(q)
            if q.returning and q.returns_timer is None:
                q.returns_timer = self.clock.at(
                    self.clock.now + self.network_delay, self._apply_returns, q
                )

    def _apply_returns(self, q: Queue) -> None:
        """A classic queue takes back what was nacked or rejected with requeue.

        RabbitMQ's queue process handles an ack before a requeue that waits in its mailbox
        with it (`rabbit_amqqueue_process:prioritise_cast`), and delivers what the ack's
        credit allows at once; so messages already deliverable go first, then the requeued
        ones come back at their original positions. Until then they hold the consumer's
        prefetch credit.
        """
        q.returns_timer = None
        if q.name not in self.queues or not q.returning:
            return
        pending = q.dispatch_timer
        if pending is not None and pending.time <= self.clock.now + self.network_delay:
            q.returns_timer = self.clock.at(
                self.clock.now + self.network_delay, self._apply_returns, q
            )
            return
        self._flush_returns(q)

    def _flush_returns(self, q: Queue) -> None:
        """Take back every pending requeue now (before a get, a purge, a channel close...)."""
        if q.returns_timer is not None:
            q.returns_timer.cancel()
            q.returns_timer = None
        returning, q.returning = q.returning, []
        for entry, why, c in returning:
            if c is not None:
                c.returning -= 1
                if c.blocked:
                    self._unblock(c)
            self._return(q, entry, why, limit=False)
        self._limit_returns(q)

    def _unblock(self, c: Consumer) -> None:
        """Credit came back to a consumer out of the rotation: it rejoins at the back."""
        if not c.has_credit():
            return
        c.blocked = False
        q = self.queues.get(c.queue)
        if q is not None and c in q.consumers and not q.single_active:
            q.consumers.remove(c)
            q.consumers.append(c)

    def _return(
        self, q: Queue, entry: Entry, why: str, back: bool = False, limit: bool = True
    ) -> None:
        """Put an unacked message back; quorum queues count it towards the delivery limit.

        `back`: a nack or reject, which a quorum queue without `x-delivery-limit` enqueues
        again behind every ready message (RabbitMQ 3.10's `rabbit_fifo`, checked).
        """
        entry.returns += 1
        entry.redelivered = True
        quorum = q.type == "quorum"
        if quorum and q.delivery_limit is not None and entry.returns > q.delivery_limit:
            self._dead_letter(q, entry, "delivery_limit")
            return
        if quorum and back and q.delivery_limit is None:
            position = q.store.requeue_at_back(entry)
        else:
            position = q.store.requeue(entry)
        q.bytes += entry.message.size
        self._emit(
            ev.Requeued.make(
                t=self.clock.now, msg=entry.message.id, queue=q.name, position=position, reason=why
            )
        )
        if limit:
            self._limit_returns(q)

    def _limit_returns(self, q: Queue) -> None:
        """Apply the length limit once messages came back (all of one requeue together)."""
        if q.limited and q.overflow == "drop-head" and q.over():
            # both apply the length limit to what comes back: a classic queue at once,
            # rabbit_fifo after giving consumers with credit what they can take
            quorum = q.type == "quorum"
            if not quorum or not any(c.state == "active" and c.has_credit() for c in q.consumers):
                self._drop_head(q)
        if q.may_expire:
            self._reschedule_expiry(q)
        self._kick(q)

    # -- pull ----------------------------------------------------------------------
    def basic_get(
        self, queue: str, auto_ack: bool = False, getter: str = "get"
    ) -> GetResult | None:
        if not isinstance(getter, str) or not getter or getter in self.consumers:
            raise ValidationError(f"getter must be a name not used by a consumer, got {getter!r}")
        try:
            q = self._queue(queue)
            if q.is_stream:
                raise ValidationError(
                    f"NOT_IMPLEMENTED - basic.get not supported by stream queues queue '{queue}'",
                    code=NOT_IMPLEMENTED,
                )
            if q.type == "quorum" and q.single_active:
                raise ResourceLocked(
                    f"RESOURCE_LOCKED - cannot obtain access to locked queue '{queue}' in vhost "
                    "'/'. basic.get operations are not supported by quorum queues with single "
                    "active consumer"
                )
        except (NotFound, ValidationError, ResourceLocked):
            self._close_getter(getter)  # the broker closes the channel the get came on
            raise
        if q.returning:  # a requeue sent before this get reaches the queue first
            self._flush_returns(q)
        if q.may_expire:
            self._expire(q, strict=False)
        entry = q.store.pop()
        if entry is None:
            return None
        q.bytes -= entry.message.size
        if q.may_expire:
            self._reschedule_expiry(q)
        channel = self.getters.setdefault(getter, Channel(getter))
        delivery = channel.open(entry, q.name)
        if auto_ack:
            del channel.unacked[delivery.tag]
        else:
            q.unacked += 1
        msg = entry.message
        self._emit(
            ev.Delivered.make(
                t=self.clock.now,
                msg=msg.id,
                queue=q.name,
                consumer_tag=getter,
                delivery_tag=delivery.tag,
                redelivered=entry.redelivered,
                delivery_count=entry.returns,
                auto_ack=auto_ack,
                get=True,
                reason=f"basic.get took the head of {q.name}",
            )
        )
        return GetResult(
            msg=msg.id,
            delivery_tag=delivery.tag,
            redelivered=entry.redelivered,
            exchange=msg.exchange,
            routing_key=msg.routing_key,
            properties=self._delivered_properties(q, entry),
            body=msg.body,
            message_count=len(q.store),
        )

    def _close_getter(self, getter: str) -> None:
        """A channel error closed a getter's channel: what it held unacked goes back, and
        its next channel counts delivery tags from 1 again."""
        channel = self.getters.pop(getter, None)
        if channel is None:
            return
        touched: dict[str, Queue] = {}
        for tag in sorted(channel.unacked):
            d = channel.unacked.pop(tag)
            q = self.queues.get(d.queue)
            if q is None:
                continue
            if q.returning:
                self._flush_returns(q)
            if not q.is_stream:
                q.unacked -= 1
            touched[q.name] = q
            self._return(q, d.entry, "channel closed by an error", limit=False)
        for q in touched.values():
            self._limit_returns(q)

    @staticmethod
    def _delivered_properties(q: Queue, entry: Entry) -> Properties:
        """Properties as the consumer sees them (quorum queues add x-delivery-count)."""
        props = entry.message.properties
        if q.type != "quorum":
            return props
        headers = {**props.headers, "x-delivery-count": entry.returns}
        return Properties(
            headers=headers,
            priority=props.priority,
            expiration=props.expiration,
            message_id=props.message_id,
            correlation_id=props.correlation_id,
            timestamp=props.timestamp,
            delivery_mode=props.delivery_mode,
            content_type=props.content_type,
        )
