"""Exchanges, queues and bindings on a real RabbitMQ: declare, delete, purge, bind, unbind.

Part of `RabbitMQAdapter` (see `brokers.real.rabbitmq.adapter`): each call runs on the control
connection's thread with the sandbox prefix on every name, after the same validation
the simulator does; what was declared is remembered so it can be declared again when
the broker comes back. Leaves out passive declares from the UI.
"""

from __future__ import annotations

from typing import Any

from brokers.amqp import events as ev
from brokers.amqp import validation as v
from brokers.errors import ValidationError


class TopologyOps:
    """The topology half of `AmqpApi` (mixed into `RabbitMQAdapter`)."""

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
