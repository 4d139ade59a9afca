"""The RabbitMQ operations of `AmqpApi` on a real broker, through pika.

A control connection (its own thread, see `PikaLoop`) declares and deletes topology,
publishes with publisher confirms and `mandatory`, and answers `basic.get`; each
consumer is a real pika consumer with its own thread and connection
(`brokers.real.rabbitmq_consumer`). Every queue and exchange is named with the sandbox
prefix on the broker; events and `describe()` use the user's names. Each published
message carries its engine-style id in the `x-bp-msg` header so deliveries link back.

What the broker does not report to a client is said from what the client saw: requeues
and dead-lettering follow from the ack/nack the consumer sent and the queue's
arguments (x-dead-letter-exchange, x-delivery-limit), and queue depths are polled. Leaves
out routing events (the broker does not tell a publisher which queues matched; the
firehose tracer would, at a cost) and TTL/max-length expiry events (only the depth shows).
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Any

import pika
import pika.exceptions as pe

from brokers.amqp import events as ev
from brokers.amqp import validation as v
from brokers.amqp.api import AmqpApi, GetResult, Properties
from brokers.errors import AccessRefused, Disconnected, NotFound, ValidationError
from brokers.real.common import EventSink, Names
from brokers.real.management import management_get
from brokers.real.pika_loop import PikaLoop, broker_error, explain
from brokers.real.rabbitmq_consumer import Consumer, ConsumerSpec, Delivery

MSG_HEADER = "x-bp-msg"
DEPTH_INTERVAL = 0.25  # seconds between queue depth polls
MAX_IN_FLIGHT = 1000  # publishes queued for the control thread before basic_publish waits


class RabbitMQAdapter(AmqpApi):
    """One sandbox's view of a real RabbitMQ virtual host."""

    def __init__(
        self,
        url: str,
        prefix: str,
        seed: int,
        sink: EventSink,
        management_url: str = "http://guest:guest@127.0.0.1:15672",
    ) -> None:
        self.url = url
        self.vhost = pika.URLParameters(url).virtual_host
        self.names = Names(prefix)
        self.seed = seed
        self.sink = sink
        self.management_url = management_url
        self.exchanges: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self.bindings: list[dict[str, Any]] = []
        self.consumers: dict[str, Consumer] = {}
        self.gets: dict[int, tuple[str, Delivery]] = {}
        self.depths: dict[str, tuple[int, int]] = {}
        self.control: PikaLoop | None = None
        self.channel: Any = None
        self._seq = 0
        self._ctag = 0
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._last_depth_poll = 0.0

    # -- connection ------------------------------------------------------------------
    def connect(self) -> None:
        """Open the control connection (raises `Disconnected` with the reason)."""
        loop = PikaLoop(self.url, f"{self.names.prefix}control", setup=self._open_channel)
        try:
            loop.start_and_wait()
        except (pe.AMQPError, OSError) as exc:
            raise Disconnected(explain(exc, self.url)) from None
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)  # posts to a dead loop are gone
        self.control = loop

    def _open_channel(self, connection: Any) -> None:
        channel = connection.channel()
        channel.confirm_delivery()
        self.channel = channel

    @property
    def connected(self) -> bool:
        """Whether the control connection is up."""
        return self.control is not None and self.control.alive

    @property
    def lost_reason(self) -> str:
        """Why the control connection is down, in words."""
        if self.control is None:
            return "not connected"
        return self.control.lost or "connection closed"

    def _do(self, fn: Any) -> Any:
        """Run `fn(channel)` on the control thread; map channel errors to BrokerErrors."""
        if not self.connected:
            raise Disconnected(
                f"RabbitMQ is disconnected ({self.lost_reason}); retrying in the background"
            )
        control = self.control
        try:
            return control.submit(lambda: fn(self.channel))
        except pe.ChannelClosed as exc:
            try:
                control.submit(lambda: self._open_channel(control.connection))
            except Exception:  # noqa: BLE001 - the connection is going; poll() reconnects
                pass
            raise broker_error(exc, self.names.scrub) from None

    def redeclare(self) -> None:
        """Declare again everything this sandbox had (after the broker came back)."""
        for x in self.exchanges.values():
            self._declare_exchange(x)
        for q in self.queues.values():
            self._declare_queue(q)
        for b in self.bindings:
            self._bind(b, unbind=False)
        for consumer in self.consumers.values():
            if consumer.state in ("active", "disconnected"):
                consumer.start()

    def poll(self) -> None:
        """Refresh queue depths (rate-limited); never raises."""
        now = time.monotonic()
        if not self.connected or now - self._last_depth_poll < DEPTH_INTERVAL:
            return
        self._last_depth_poll = now
        names = list(self.queues)
        try:
            self.depths.update(self._do(lambda ch: _passive_depths(ch, self.names, names)))
        except Exception:  # noqa: BLE001 - a queue deleted under us, or the broker went away
            pass

    # -- names and ids ---------------------------------------------------------------
    def msg_id(self, headers: dict[str, Any], method: Any) -> str:
        """The engine-style id a delivery carries (or one made up for foreign messages)."""
        msg = headers.get(MSG_HEADER)
        if isinstance(msg, bytes):
            msg = msg.decode()
        return msg if isinstance(msg, str) else f"ext-{method.delivery_tag}"

    def count_delivery(self, msg: str, queue: str, headers: dict[str, Any]) -> int:
        """How many times this message went back to `queue` before this delivery.

        Quorum queues say it themselves (`x-delivery-count`); for the others it is how
        many deliveries of it from this queue this sandbox saw before.
        """
        with self._lock:
            n = self._counts.get((msg, queue), 0)
            self._counts[(msg, queue)] = n + 1
        broker_count = headers.get("x-delivery-count")
        return int(broker_count) if isinstance(broker_count, int) else n

    def _exchange(self, name: str) -> str:
        return self.names.real(name)

    def _known_exchange(self, name: str) -> None:
        if name == "" or name.startswith("amq.") or name in self.exchanges:
            return
        raise NotFound(f"NOT_FOUND - no exchange '{name}' in vhost '{self.vhost}'")

    def _known_queue(self, name: str) -> dict[str, Any]:
        if name not in self.queues:
            raise NotFound(f"NOT_FOUND - no queue '{name}' in vhost '{self.vhost}'")
        return self.queues[name]

    # -- exchanges -------------------------------------------------------------------
    def exchange_declare(
        self,
        exchange: str,
        exchange_type: str = "direct",
        durable: bool = True,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> None:
        v.check_name("exchange", exchange, declaring=True)
        if exchange == "":
            raise v.AccessRefused(
                "ACCESS_REFUSED - operation not permitted on the default exchange"
            )
        if exchange_type not in v.EXCHANGE_TYPES:
            raise ValidationError(
                f"COMMAND_INVALID - unknown exchange type '{exchange_type}' "
                f"(expected one of {', '.join(v.EXCHANGE_TYPES)})"
            )
        arguments = dict(arguments or {})
        v.check_exchange_arguments(exchange, arguments)
        spec = {
            "name": exchange,
            "type": exchange_type,
            "durable": durable,
            "auto_delete": auto_delete,
            "internal": internal,
            "arguments": arguments,
        }
        self._declare_exchange(spec)
        new = exchange not in self.exchanges
        self.exchanges[exchange] = spec
        if new:
            self.sink.emit(
                ev.ExchangeDeclared,
                exchange=exchange,
                type=exchange_type,
                internal=internal,
                auto_delete=auto_delete,
                alternate_exchange=arguments.get("alternate-exchange"),
            )

    def _declare_exchange(self, spec: dict[str, Any]) -> None:
        args = dict(spec["arguments"])
        if "alternate-exchange" in args:
            args["alternate-exchange"] = self._exchange(args["alternate-exchange"])
        self._do(
            lambda ch: ch.exchange_declare(
                self._exchange(spec["name"]),
                spec["type"],
                durable=spec["durable"],
                auto_delete=spec["auto_delete"],
                internal=spec["internal"],
                arguments=args or None,
            )
        )

    def exchange_delete(self, exchange: str, if_unused: bool = False) -> None:
        v.check_name("exchange", exchange)
        self._known_exchange(exchange)
        self._do(lambda ch: ch.exchange_delete(self._exchange(exchange), if_unused=if_unused))
        self.exchanges.pop(exchange, None)
        gone = [b for b in self.bindings if exchange in (b["source"], b["destination"])]
        gone = [b for b in gone if b["destination_type"] == "exchange" or b["source"] == exchange]
        for b in gone:
            self.bindings.remove(b)
            self._emit_unbound(b, "exchange deleted")
        self.sink.emit(ev.ExchangeDeleted, exchange=exchange)

    def exchange_bind(
        self, destination: str, source: str, routing_key: str = "", arguments: dict | None = None
    ) -> None:
        self._binding(source, destination, "exchange", routing_key, arguments, unbind=False)

    def exchange_unbind(
        self, destination: str, source: str, routing_key: str = "", arguments: dict | None = None
    ) -> None:
        self._binding(source, destination, "exchange", routing_key, arguments, unbind=True)

    # -- queues ------------------------------------------------------------------------
    def queue_declare(
        self,
        queue: str,
        durable: bool = True,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> str:
        v.check_name("queue", queue, declaring=True)
        if queue == "":
            self._seq += 1
            queue = f"gen-{self._seq}"
        arguments = dict(arguments or {})
        qtype = v.check_queue_arguments(
            queue, arguments, durable=durable, exclusive=exclusive, auto_delete=auto_delete
        )
        spec = {
            "name": queue,
            "type": qtype,
            "durable": durable,
            "exclusive": exclusive,
            "auto_delete": auto_delete,
            "arguments": arguments,
        }
        self._declare_queue(spec)
        new = queue not in self.queues
        self.queues[queue] = spec
        if new:
            self.sink.emit(
                ev.QueueDeclared,
                queue=queue,
                type=qtype,
                arguments=arguments,
                exclusive=exclusive,
                auto_delete=auto_delete,
            )
        return queue

    def _declare_queue(self, spec: dict[str, Any]) -> None:
        args = dict(spec["arguments"])
        dlx = args.get("x-dead-letter-exchange")
        if isinstance(dlx, str):
            args["x-dead-letter-exchange"] = self._exchange(dlx)
            if dlx == "" and isinstance(args.get("x-dead-letter-routing-key"), str):
                args["x-dead-letter-routing-key"] = self.names.queue(
                    args["x-dead-letter-routing-key"]
                )
        self._do(
            lambda ch: ch.queue_declare(
                self.names.queue(spec["name"]),
                durable=spec["durable"],
                exclusive=spec["exclusive"],
                auto_delete=spec["auto_delete"],
                arguments=args or None,
            )
        )

    def queue_delete(self, queue: str) -> int:
        v.check_name("queue", queue)
        self._known_queue(queue)
        frame = self._do(lambda ch: ch.queue_delete(self.names.queue(queue)))
        count = frame.method.message_count
        self.queues.pop(queue)
        self.depths.pop(queue, None)
        for b in [b for b in self.bindings if b["destination_type"] == "queue"]:
            if b["destination"] == queue:
                self.bindings.remove(b)
        self.sink.emit(ev.QueueDeleted, queue=queue, messages=count)
        return count

    def queue_purge(self, queue: str) -> int:
        v.check_name("queue", queue)
        self._known_queue(queue)
        frame = self._do(lambda ch: ch.queue_purge(self.names.queue(queue)))
        count = frame.method.message_count
        self.sink.emit(ev.QueuePurged, queue=queue, messages=count)
        return count

    def queue_bind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict | None = None,
    ) -> None:
        key = queue if routing_key is None else routing_key
        self._binding(exchange, queue, "queue", key, arguments, unbind=False)

    def queue_unbind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict | None = None,
    ) -> None:
        key = queue if routing_key is None else routing_key
        self._binding(exchange, queue, "queue", key, arguments, unbind=True)

    def _binding(
        self,
        source: str,
        destination: str,
        destination_type: str,
        routing_key: str,
        arguments: dict | None,
        *,
        unbind: bool,
    ) -> None:
        v.check_name("exchange", source)
        v.check_name(destination_type, destination)
        v.check_routing_key(routing_key)
        arguments = dict(arguments or {})
        self._known_exchange(source)
        if destination_type == "queue":
            self._known_queue(destination)
        else:
            self._known_exchange(destination)
        if source in self.exchanges:
            v.check_binding_arguments(self.exchanges[source]["type"], arguments)
        binding = {
            "source": source,
            "destination": destination,
            "destination_type": destination_type,
            "routing_key": routing_key,
            "arguments": arguments,
        }
        self._bind(binding, unbind=unbind)
        if unbind:
            if binding in self.bindings:
                self.bindings.remove(binding)
                self._emit_unbound(binding, "unbind")
        elif binding not in self.bindings:
            self.bindings.append(binding)
            self.sink.emit(ev.Bound, **binding)

    def _bind(self, b: dict[str, Any], *, unbind: bool) -> None:
        source = self._exchange(b["source"])
        args = b["arguments"] or None
        key = b["routing_key"]
        if b["destination_type"] == "queue":
            queue = self.names.queue(b["destination"])
            if unbind:
                self._do(lambda ch: ch.queue_unbind(queue, source, key, args))
            else:
                self._do(lambda ch: ch.queue_bind(queue, source, key, args))
        else:
            dest = self._exchange(b["destination"])
            if unbind:
                self._do(lambda ch: ch.exchange_unbind(dest, source, key, args))
            else:
                self._do(lambda ch: ch.exchange_bind(dest, source, key, args))

    def _emit_unbound(self, b: dict[str, Any], reason: str) -> None:
        self.sink.emit(
            ev.Unbound,
            source=b["source"],
            destination=b["destination"],
            destination_type=b["destination_type"],
            routing_key=b["routing_key"],
            reason=reason,
        )

    # -- publishing ----------------------------------------------------------------------
    def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | str,
        properties: Properties | None = None,
        mandatory: bool = False,
        publisher: str = "",
    ) -> str:
        v.check_name("exchange", exchange)
        v.check_routing_key(routing_key)
        props = properties or Properties()
        v.check_properties(props)
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
        real_props = pika.BasicProperties(
            headers={**props.headers, MSG_HEADER: msg},
            priority=props.priority,
            expiration=props.expiration,
            message_id=props.message_id,
            correlation_id=props.correlation_id,
            timestamp=props.timestamp,
            delivery_mode=props.delivery_mode,
            content_type=props.content_type,
        )
        key = self.names.queue(routing_key) if exchange == "" else routing_key
        real_exchange = self._exchange(exchange)
        self.sink.emit(
            ev.Published,
            msg=msg,
            exchange=exchange,
            routing_key=routing_key,
            size=len(data),
            publisher=publisher,
            mandatory=mandatory,
        )

        if not self._in_flight.acquire(timeout=30):
            raise Disconnected("RabbitMQ has not confirmed 1000 publishes for 30s")
        control = self.control

        def publish() -> None:
            try:
                self.channel.basic_publish(
                    real_exchange, key, data, real_props, mandatory=mandatory
                )
                outcome, reason = "ok", ""
            except pe.UnroutableError:
                outcome, reason = "returned", "unroutable"
            except pe.NackError:
                outcome, reason = "nacked", "broker nacked the message"
            except pe.ChannelClosed as exc:
                outcome, reason = "nacked", self.names.scrub(exc.reply_text)
                self._open_channel(control.connection)
            finally:
                self._in_flight.release()
            if outcome == "returned":
                self.sink.emit(ev.Returned, msg=msg, exchange=exchange, routing_key=routing_key)
            self.sink.emit(ev.Confirmed, msg=msg, ack=outcome != "nacked", reason=reason)

        # Publishing is pipelined: the control thread waits for each confirm while the
        # caller prepares the next message; confirms and returns arrive as events.
        if control is None or not control.post(publish):
            self._in_flight.release()
            raise Disconnected(f"RabbitMQ is disconnected ({self.lost_reason})")
        return msg

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

    def _user_key(self, real_exchange: str, key: str) -> str:
        return self.names.user(key) if real_exchange == "" else key

    def user_headers(self, headers: dict[str, Any]) -> dict[str, Any]:
        """Headers with broker names in x-death and x-first-death-* given as the user's."""
        out = dict(headers)
        if isinstance(out.get("x-death"), list):
            out["x-death"] = [self.user_death(d) for d in out["x-death"]]
        for key in (
            "x-first-death-queue",
            "x-first-death-exchange",
            "x-last-death-queue",
            "x-last-death-exchange",
        ):
            if isinstance(out.get(key), str):
                out[key] = self.names.user(out[key])
        return out

    def user_death(self, death: dict[str, Any]) -> dict[str, Any]:
        """One x-death entry with user names."""
        d = dict(death)
        if isinstance(d.get("count"), int):
            d["count"] = int(d["count"])  # pika's `long` prints as 1L
        exchange = d.get("exchange", "")
        if isinstance(d.get("queue"), str):
            d["queue"] = self.names.user(d["queue"])
        if isinstance(exchange, str):
            d["exchange"] = self.names.user(exchange)
            if isinstance(d.get("routing-keys"), list):
                d["routing-keys"] = [self._user_key(exchange, k) for k in d["routing-keys"]]
        return d

    # -- what happens after a nack or a closed channel (said from the client's side) ------
    def settle_negative(self, d: Delivery, queue: str, requeue: bool, how: str) -> None:
        """Emit what RabbitMQ does with a nacked/rejected delivery."""
        spec = self.queues.get(queue, {"arguments": {}, "type": "classic"})
        if requeue:
            self.settle_return(d, queue, f"basic.{how} with requeue")
        elif "x-dead-letter-exchange" in spec["arguments"]:
            self._dead_letter(d, queue, "rejected")
        else:
            self.sink.emit(
                ev.Dropped, msg=d.msg, queue=queue, reason="rejected; no dead-letter exchange"
            )

    def settle_return(self, d: Delivery, queue: str, reason: str) -> None:
        """Emit a requeue, or a delivery_limit dead-letter on a quorum queue past its limit."""
        spec = self.queues.get(queue, {"arguments": {}, "type": "classic"})
        limit = spec["arguments"].get("x-delivery-limit")
        returns = d.headers.get("x-delivery-count", d.delivery_count - 1)
        if spec["type"] == "quorum" and isinstance(limit, int) and returns + 1 > limit:
            if "x-dead-letter-exchange" in spec["arguments"]:
                self._dead_letter(d, queue, "delivery_limit")
            else:
                self.sink.emit(
                    ev.Dropped,
                    msg=d.msg,
                    queue=queue,
                    reason="delivery_limit; no dead-letter exchange",
                )
            return
        self.sink.emit(ev.Requeued, msg=d.msg, queue=queue, position=0, reason=reason)

    def _dead_letter(self, d: Delivery, queue: str, reason: str) -> None:
        args = self.queues[queue]["arguments"]
        real_exchange = d.exchange
        exchange = self.names.user(real_exchange)
        original = [self._user_key(real_exchange, d.routing_key)]
        dl_key = args.get("x-dead-letter-routing-key")
        deaths = [self.user_death(x) for x in d.headers.get("x-death", []) or []]
        for i, death in enumerate(deaths):
            if death.get("queue") == queue and death.get("reason") == reason:
                death = {**death, "count": int(death.get("count", 1)) + 1}
                deaths = [death] + deaths[:i] + deaths[i + 1 :]
                break
        else:
            deaths.insert(
                0,
                {
                    "count": 1,
                    "reason": reason,
                    "queue": queue,
                    "time": self.sink.now(),
                    "exchange": exchange,
                    "routing-keys": original,
                },
            )
        self.sink.emit(
            ev.DeadLettered,
            msg=d.msg,
            queue=queue,
            reason=reason,
            exchange=args["x-dead-letter-exchange"],
            routing_keys=tuple([dl_key] if isinstance(dl_key, str) else original),
            x_death=tuple(deaths),
        )

    # -- state ---------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        unacked: dict[str, int] = {}
        consumers: dict[str, int] = {}
        for c in self.consumers.values():
            if c.state == "active":
                consumers[c.spec.queue] = consumers.get(c.spec.queue, 0) + 1
                if not c.spec.auto_ack:
                    unacked[c.spec.queue] = unacked.get(c.spec.queue, 0) + len(c.held)
        for _, d in self.gets.values():
            unacked[d.queue] = unacked.get(d.queue, 0) + 1
        queues = []
        for name, q in self.queues.items():
            ready, _ = self.depths.get(name, (0, 0))
            queues.append(
                {
                    "name": name,
                    "type": q["type"],
                    "ready": ready,
                    "unacked": unacked.get(name, 0),
                    "consumers": consumers.get(name, 0),
                    "arguments": dict(q["arguments"]),
                    "exclusive": q["exclusive"],
                    "auto_delete": q["auto_delete"],
                    "bytes": None,
                }
            )
        return {
            "exchanges": [dict(x, arguments=dict(x["arguments"])) for x in self.exchanges.values()],
            "queues": queues,
            "bindings": [dict(b, arguments=dict(b["arguments"])) for b in self.bindings],
            "consumers": [c.describe() for c in self.consumers.values()],
        }

    # -- shutdown ------------------------------------------------------------------------
    def reset(self) -> None:
        """Stop every consumer and delete every resource with this sandbox's prefix."""
        for consumer in self.consumers.values():
            consumer.stop()
        self.consumers.clear()
        self.gets.clear()
        queues = {self.names.queue(q) for q in self.queues}
        exchanges = {self._exchange(x) for x in self.exchanges}
        found_q, found_x = self._leftovers()
        if self.connected:
            for q in sorted(queues | found_q):
                self._quietly(lambda ch, q=q: ch.queue_delete(q))
            for x in sorted(exchanges | found_x):
                self._quietly(lambda ch, x=x: ch.exchange_delete(x))
        self.exchanges.clear()
        self.queues.clear()
        self.bindings.clear()
        self.depths.clear()

    def _quietly(self, fn: Any) -> None:
        try:
            self._do(fn)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _leftovers(self) -> tuple[set[str], set[str]]:
        """Queues and exchanges with our prefix the management API knows (older runs)."""
        vhost = urllib.parse.quote(self.vhost, safe="")
        try:
            queues = management_get(self.management_url, f"/api/queues/{vhost}?columns=name")
            exchanges = management_get(self.management_url, f"/api/exchanges/{vhost}?columns=name")
        except Exception:  # noqa: BLE001 - the management API is optional
            return set(), set()
        ours = self.names.ours
        return (
            {q["name"] for q in queues if ours(q["name"])},
            {x["name"] for x in exchanges if ours(x["name"])},
        )

    def close(self) -> None:
        """Delete this sandbox's resources and close every connection."""
        try:
            self.reset()
        finally:
            if self.control is not None:
                self.control.stop()
                self.control = None


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


def _passive_depths(channel: Any, names: Names, queues: list[str]) -> dict[str, tuple[int, int]]:
    depths = {}
    for q in queues:
        frame = channel.queue_declare(names.queue(q), passive=True)
        depths[q] = (frame.method.message_count, frame.method.consumer_count)
    return depths
