"""Publishing, consuming, acks and basic.get on a real RabbitMQ.

Part of `RabbitMQAdapter` (see `brokers.real.rabbitmq.adapter`). Publishes go through the control
connection with publisher confirms and `mandatory` (with `confirm=False`, on a second
channel of that connection not in confirm mode, waiting for nothing); each consumer is a real pika
consumer on its own thread and connection (`brokers.real.rabbitmq.consumer`); every
message carries its engine-style id in the `x-bp-msg` header. A publish the connection
took down with it (handed over, never confirmed) gets `Confirmed(ack=False)` with the
reason, as pika's caller would learn it, so no published message is left unaccounted
for; RabbitMQ may still have taken it. Leaves out transactions.
"""

from __future__ import annotations

from typing import Any

import pika
import pika.exceptions as pe

from brokers.amqp import events as ev
from brokers.amqp import validation as v
from brokers.amqp.api import GetResult, Properties
from brokers.errors import AccessRefused, Disconnected, NotFound, ValidationError
from brokers.real.rabbitmq.consumer import Consumer, ConsumerSpec, Delivery

MSG_HEADER = "x-bp-msg"
UNCONFIRMED = "the connection was lost before RabbitMQ confirmed it"
#: what basic_publish raises when the connection (not the channel) is gone
CONNECTION_GONE = (
    pe.AMQPConnectionError,
    pe.ConnectionWrongStateError,
    pe.ChannelWrongStateError,
    OSError,
)


def _real_properties(props: Properties | None, msg: str) -> pika.BasicProperties:
    """pika's properties for a publish, carrying the message id in the `x-bp-msg` header."""
    if props is None:  # the common case, kept short: only the header to set
        return pika.BasicProperties(headers={MSG_HEADER: msg})
    return pika.BasicProperties(
        headers={**props.headers, MSG_HEADER: msg},
        priority=props.priority,
        expiration=props.expiration,
        message_id=props.message_id,
        correlation_id=props.correlation_id,
        timestamp=props.timestamp,
        delivery_mode=props.delivery_mode,
        content_type=props.content_type,
    )


class MessageOps:
    """The message half of `AmqpApi` (mixed into `RabbitMQAdapter`)."""

    # -- publishing ----------------------------------------------------------------------
    def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | str,
        properties: Properties | None = None,
        mandatory: bool = False,
        publisher: str = "",
        confirm: bool = True,
    ) -> str:
        v.check_name("exchange", exchange)
        v.check_routing_key(routing_key)
        if properties is not None:
            v.check_properties(properties)
        self._known_exchange(exchange)
        if self.exchanges.get(exchange, {}).get("internal"):
            raise AccessRefused(
                f"ACCESS_REFUSED - cannot publish to internal exchange '{exchange}' "
                f"in vhost '{self.vhost}'"
            )
        if not self.connected:
            raise Disconnected(f"RabbitMQ is disconnected ({self.lost_reason})")
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self._seq += 1
        msg = f"m{self._seq}"
        real_props = _real_properties(properties, msg)
        key = self.names.queue(routing_key) if exchange == "" else routing_key
        real_exchange = self._exchange(exchange)
        self._window.take(self._lost)  # before Published: a publish that gives up leaves none
        sink = self.sink
        sink.put(
            ev.Published.make(
                t=sink.now(),
                msg=msg,
                exchange=exchange,
                routing_key=routing_key,
                size=len(data),
                publisher=publisher,
                mandatory=mandatory,
            )
        )
        # Publishing is pipelined: the control thread waits for each confirm while the
        # caller prepares the next message; confirms and returns arrive as events.
        self._outbox.append(
            (msg, exchange, routing_key, real_exchange, key, data, real_props, mandatory, confirm)
        )
        if not self._outbox_posted:
            self._outbox_posted = True
            control = self.control
            if control is None or not control.post(self._publish_outbox):
                self._outbox_posted = False
                self._drop_outbox()
                raise Disconnected(f"RabbitMQ is disconnected ({self.lost_reason})")
        return msg

    def _publish_outbox(self) -> None:
        """Publish every queued message (on the control thread): one hand-off per batch."""
        self._outbox_posted = False  # before taking any: a later append posts again
        outbox = self._outbox
        while outbox:
            self._publish_one(*outbox.popleft())

    def _publish_one(
        self, msg, exchange, routing_key, real_exchange, key, data, props, mandatory, confirm
    ):
        if not confirm:  # not in confirm mode: nothing to wait for, no Confirmed event
            try:
                self.plain_channel.basic_publish(
                    real_exchange, key, data, props, mandatory=mandatory
                )
            except pe.ChannelClosed:
                self._open_channel(self.control.connection)
            except CONNECTION_GONE:
                pass
            finally:
                self._window.settle()
            return
        try:
            self.channel.basic_publish(real_exchange, key, data, props, mandatory=mandatory)
            outcome, reason = "ok", ""
        except pe.UnroutableError:
            outcome, reason = "returned", "unroutable"
        except pe.NackError:
            outcome, reason = "nacked", "broker nacked the message"
        except pe.ChannelClosed as exc:
            outcome, reason = "nacked", self.names.scrub(exc.reply_text)
            self._open_channel(self.control.connection)
        except CONNECTION_GONE:  # the rest of the outbox fails the same way, at once
            outcome, reason = "nacked", UNCONFIRMED
        finally:
            self._window.settle()
        sink = self.sink
        if outcome == "returned":
            sink.put(
                ev.Returned.make(t=sink.now(), msg=msg, exchange=exchange, routing_key=routing_key)
            )
        sink.put(ev.Confirmed.make(t=sink.now(), msg=msg, ack=outcome != "nacked", reason=reason))

    def _on_plain_return(self, channel: Any, method: Any, props: Any, body: bytes) -> None:
        """basic.return of a mandatory publish made with confirm=False."""
        sink = self.sink
        msg = self.msg_id(props.headers or {}, method)
        sink.put(
            ev.Returned.make(
                t=sink.now(),
                msg=msg,
                exchange=self.names.user(method.exchange),
                routing_key=self._user_key(method.exchange, method.routing_key),
            )
        )

    def _drop_outbox(self) -> None:
        """Settle, unconfirmed, the publishes the control thread will never take (its
        connection is gone)."""
        sink = self.sink
        while self._outbox:
            entry = self._outbox.popleft()
            self._window.settle()
            if entry[-1]:  # published in confirm mode
                msg = entry[0]
                sink.put(ev.Confirmed.make(t=sink.now(), msg=msg, ack=False, reason=UNCONFIRMED))

    # -- consumers -----------------------------------------------------------------------
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
        v.check_name("queue", queue)
        prefetch_count = v.check_count("prefetch_count", prefetch_count, maximum=65535)
        processing_time = v.check_rate("processing_time", processing_time)
        failure_rate = v.check_rate("failure_rate", failure_rate, maximum=1.0)
        if behaviour not in ("auto", "manual"):
            raise ValidationError(f"behaviour must be 'auto' or 'manual', got {behaviour!r}")
        arguments = dict(arguments or {})
        v.check_consume_arguments(arguments)
        self._known_queue(queue)
        if consumer_tag is None:
            self._ctag += 1
            consumer_tag = f"amq.ctag-{self._ctag}"
        previous = self.consumers.get(consumer_tag)
        running = previous is not None and previous.state not in ("cancelled", "crashed")
        # A cancelled or crashed consumer's tag is free again, as on a real channel.
        if running or consumer_tag in {g for g, _ in self.gets.values()}:
            raise ValidationError(
                f"NOT_ALLOWED - attempt to reuse consumer tag '{consumer_tag}'", code=530
            )
        if self.queues[queue]["type"] == "stream":
            _check_stream_consumer(queue, auto_ack, prefetch_count)
        if not self.connected:
            raise Disconnected(f"RabbitMQ is disconnected ({self.lost_reason})")
        spec = ConsumerSpec(
            consumer_tag,
            queue,
            auto_ack,
            prefetch_count,
            processing_time,
            failure_rate,
            requeue_on_failure,
            behaviour,
            arguments,
        )
        consumer = Consumer(self, spec, self.seed)
        consumer.start(announce=True)
        self.consumers[consumer_tag] = consumer
        return consumer_tag

    def _consumer(self, tag: str) -> Consumer:
        if tag not in self.consumers:
            raise NotFound(f"NOT_FOUND - no consumer '{tag}'")
        return self.consumers[tag]

    def basic_cancel(self, consumer_tag: str) -> None:
        consumer = self._consumer(consumer_tag)
        if consumer.state in ("cancelled", "crashed"):
            return
        consumer.cancel()

    def crash_consumer(self, consumer_tag: str) -> None:
        consumer = self._consumer(consumer_tag)
        if consumer.state in ("cancelled", "crashed"):
            raise ValidationError(f"consumer '{consumer_tag}' is not running ({consumer.state})")
        consumer.crash()

    def restart_consumer(self, consumer_tag: str) -> None:
        consumer = self._consumer(consumer_tag)
        if consumer.state not in ("cancelled", "crashed"):
            raise ValidationError(f"consumer '{consumer_tag}' is already running")
        self._known_queue(consumer.spec.queue)
        self.sink.emit(ev.ConsumerRestarted, consumer_tag=consumer_tag, queue=consumer.spec.queue)
        consumer.start(announce=True)

    def basic_ack(self, consumer_tag: str, delivery_tag: int, multiple: bool = False) -> None:
        if consumer_tag in self.consumers:
            self.consumers[consumer_tag].ack(delivery_tag, multiple)
            return
        for tag in self._got(consumer_tag, delivery_tag, multiple):
            self._do(lambda ch, tag=tag: ch.basic_ack(tag))
            _, d = self.gets.pop(tag)
            queue = d.queue
            self.sink.emit(
                ev.Acked, msg=d.msg, queue=queue, consumer_tag=consumer_tag, delivery_tag=tag
            )

    def basic_nack(
        self, consumer_tag: str, delivery_tag: int, multiple: bool = False, requeue: bool = True
    ) -> None:
        self._negative(consumer_tag, delivery_tag, multiple, requeue, "nack")

    def basic_reject(self, consumer_tag: str, delivery_tag: int, requeue: bool = True) -> None:
        self._negative(consumer_tag, delivery_tag, False, requeue, "reject")

    def _negative(self, ctag: str, dtag: int, multiple: bool, requeue: bool, how: str) -> None:
        if ctag in self.consumers:
            self.consumers[ctag].negative(dtag, multiple, requeue, how)
            return
        cls = ev.Rejected if how == "reject" else ev.Nacked
        for tag in self._got(ctag, dtag, multiple):
            self._do(lambda ch, tag=tag: ch.basic_nack(tag, requeue=requeue))
            _, d = self.gets.pop(tag)
            queue = d.queue
            self.sink.emit(
                cls, msg=d.msg, queue=queue, consumer_tag=ctag, delivery_tag=tag, requeue=requeue
            )
            self.settle_negative(d, queue, requeue, how)

    def _got(self, getter: str, tag: int, multiple: bool) -> list[int]:
        mine = sorted(t for t, (g, _) in self.gets.items() if g == getter)
        tags = [t for t in mine if t <= tag] if multiple else [t for t in mine if t == tag]
        if not tags:
            if not mine and getter not in {g for g, _ in self.gets.values()}:
                raise NotFound(f"NOT_FOUND - no consumer or channel '{getter}'")
            raise ValidationError(f"PRECONDITION_FAILED - unknown delivery tag {tag}")
        return tags

    def basic_get(
        self, queue: str, auto_ack: bool = False, getter: str = "get"
    ) -> GetResult | None:
        v.check_name("queue", queue)
        if self._known_queue(queue)["type"] == "stream":
            raise ValidationError(
                f"NOT_IMPLEMENTED - basic.get not supported by stream queues queue '{queue}'",
                code=v.NOT_IMPLEMENTED,
            )
        if not isinstance(getter, str) or not getter or getter in self.consumers:
            raise ValidationError(f"getter must be a name not used by a consumer, got {getter!r}")
        method, props, body = self._do(
            lambda ch: ch.basic_get(self.names.queue(queue), auto_ack=auto_ack)
        )
        if method is None:
            return None
        headers = dict(props.headers or {})
        msg = self.msg_id(headers, method)
        count = self.count_delivery(msg, queue, headers)
        self.sink.emit(
            ev.Delivered,
            msg=msg,
            queue=queue,
            consumer_tag=getter,
            delivery_tag=method.delivery_tag,
            redelivered=bool(method.redelivered),
            delivery_count=count,
            auto_ack=auto_ack,
            get=True,
        )
        if not auto_ack:
            held = Delivery(
                msg, method.delivery_tag, headers, method.routing_key, method.exchange, count, queue
            )
            self.gets[method.delivery_tag] = (getter, held)
        shown = {k: val for k, val in headers.items() if k != MSG_HEADER}
        return GetResult(
            msg=msg,
            delivery_tag=method.delivery_tag,
            redelivered=bool(method.redelivered),
            exchange=self.names.user(method.exchange),
            routing_key=self._user_key(method.exchange, method.routing_key),
            properties=Properties(
                headers=self.user_headers(shown),
                priority=props.priority,
                expiration=props.expiration,
                message_id=props.message_id,
                correlation_id=props.correlation_id,
                timestamp=props.timestamp,
                delivery_mode=props.delivery_mode,
                content_type=props.content_type,
            ),
            body=body,
            message_count=method.message_count,
        )


def _check_stream_consumer(queue: str, auto_ack: bool, prefetch: int) -> None:
    """Streams need a prefetch and manual acks; say so before the broker closes the channel."""
    if prefetch == 0:
        raise ValidationError(
            f"PRECONDITION_FAILED - consumer prefetch count is not set for queue '{queue}'"
        )
    if auto_ack:
        raise ValidationError(
            "NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues "
            f"queue '{queue}'",
            code=v.NOT_IMPLEMENTED,
        )
