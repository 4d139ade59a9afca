"""Declaring, binding and deleting exchanges and queues, with RabbitMQ's checks.

Redeclaring must be equivalent (else 406 PRECONDITION_FAILED, "inequivalent arg"); the
default exchange cannot be declared, bound, unbound or deleted (403); `amq.` names are
reserved for new entities (403); deletes and unbinds of things that are not there are
no-ops, as in RabbitMQ 3.x. Deleting an exchange removes every binding to or from it;
deleting a queue removes its bindings, cancels its consumers and drops its messages; an
auto-delete exchange goes when its last binding as source goes. Leaves out passive
declares, `nowait` and durability across restarts (nothing restarts here).
"""

from __future__ import annotations

from typing import Any

from brokers.amqp import events as ev
from brokers.amqp.queues import Queue
from brokers.amqp.routing import Binding, Exchange, freeze
from brokers.amqp.validation import (
    EXCHANGE_TYPES,
    check_binding_arguments,
    check_exchange_arguments,
    check_name,
    check_queue_arguments,
    check_routing_key,
)
from brokers.errors import AccessRefused, NotFound, ValidationError

BUILTIN_EXCHANGES = (
    ("", "direct"),
    ("amq.direct", "direct"),
    ("amq.fanout", "fanout"),
    ("amq.topic", "topic"),
    ("amq.headers", "headers"),
    ("amq.match", "headers"),
)


def _default_exchange_refused() -> AccessRefused:
    return AccessRefused("ACCESS_REFUSED - operation not permitted on the default exchange")


def _inequivalent(kind: str, name: str, what: str, received: Any, current: Any) -> ValidationError:
    return ValidationError(
        f"PRECONDITION_FAILED - inequivalent arg '{what}' for {kind} '{name}' in vhost '/': "
        f"received {received!r} but current is {current!r}"
    )


class Topology:
    """Exchange, queue and binding operations of `AmqpBroker` (a mixin)."""

    exchanges: dict[str, Exchange]
    queues: dict[str, Queue]

    def _install_builtins(self) -> None:
        for name, kind in BUILTIN_EXCHANGES:
            self.exchanges[name] = Exchange(name, kind, builtin=True)

    # -- exchanges -----------------------------------------------------------------
    def exchange_declare(
        self,
        exchange: str,
        exchange_type: str = "direct",
        durable: bool = True,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> None:
        check_name("exchange", exchange)
        if exchange == "":
            raise _default_exchange_refused()
        args = dict(arguments or {})
        check_exchange_arguments(exchange, args)
        if exchange_type not in EXCHANGE_TYPES:
            raise ValidationError(
                f"COMMAND_INVALID - unknown exchange type {exchange_type!r} "
                f"(expected one of {', '.join(EXCHANGE_TYPES)})"
            )
        current = self.exchanges.get(exchange)
        if current is not None:
            for what, got, have in (
                ("type", exchange_type, current.type),
                ("durable", durable, current.durable),
                ("auto_delete", auto_delete, current.auto_delete),
                ("internal", internal, current.internal),
                ("arguments", freeze(args), freeze(current.arguments)),
            ):
                if got != have:
                    shown = (args, current.arguments) if what == "arguments" else (got, have)
                    raise _inequivalent("exchange", exchange, what, *shown)
            return
        check_name("exchange", exchange, declaring=True)
        self.exchanges[exchange] = x = Exchange(
            exchange,
            exchange_type,
            durable=durable,
            auto_delete=auto_delete,
            internal=internal,
            arguments=args,
        )
        self._emit(
            ev.ExchangeDeclared(
                t=self.clock.now,
                exchange=exchange,
                type=exchange_type,
                internal=internal,
                auto_delete=auto_delete,
                alternate_exchange=x.alternate,
            )
        )

    def exchange_delete(self, exchange: str, if_unused: bool = False) -> None:
        check_name("exchange", exchange)
        if exchange == "":
            raise _default_exchange_refused()
        x = self.exchanges.get(exchange)
        if x is None:
            return
        if x.builtin:
            raise AccessRefused(
                f"ACCESS_REFUSED - operation not permitted on exchange '{exchange}'"
            )
        if if_unused and x.bindings:
            raise ValidationError(f"PRECONDITION_FAILED - exchange '{exchange}' in use")
        self._remove_exchange(x, "deleted")

    def _remove_exchange(self, x: Exchange, reason: str) -> None:
        del self.exchanges[x.name]
        for binding in list(x.bindings.values()):
            x.remove(binding.key)
            self._emit_unbound(binding, f"exchange '{x.name}' {reason}")
        self._drop_bindings_to("exchange", x.name, f"exchange '{x.name}' {reason}")
        self._emit(ev.ExchangeDeleted(t=self.clock.now, exchange=x.name, reason=reason))

    def _drop_bindings_to(self, dtype: str, name: str, why: str) -> None:
        for source in list(self.exchanges.values()):
            gone = [
                b
                for b in source.bindings.values()
                if b.destination_type == dtype and b.destination == name
            ]
            for binding in gone:
                source.remove(binding.key)
                self._emit_unbound(binding, why)
            if gone:
                self._maybe_auto_delete(source)

    def _maybe_auto_delete(self, x: Exchange) -> None:
        if x.auto_delete and not x.bindings and x.name in self.exchanges:
            self._remove_exchange(x, "auto-deleted (last binding removed)")

    def _emit_unbound(self, b: Binding, reason: str) -> None:
        self._emit(
            ev.Unbound(
                t=self.clock.now,
                source=b.source,
                destination=b.destination,
                destination_type=b.destination_type,
                routing_key=b.routing_key,
                reason=reason,
            )
        )

    def _exchange(self, name: str) -> Exchange:
        check_name("exchange", name)
        x = self.exchanges.get(name)
        if x is None:
            raise NotFound(f"NOT_FOUND - no exchange '{name}' in vhost '/'")
        return x

    def _queue(self, name: str) -> Queue:
        check_name("queue", name)
        q = self.queues.get(name)
        if q is None:
            raise NotFound(f"NOT_FOUND - no queue '{name}' in vhost '/'")
        return q

    def _bind(self, source: str, dtype: str, destination: str, key: str, args: dict | None) -> None:
        if source == "" or (dtype == "exchange" and destination == ""):
            raise _default_exchange_refused()
        x = self._exchange(source)
        if dtype == "exchange":
            self._exchange(destination)
        else:
            self._queue(destination)
        check_routing_key(key)
        args = dict(args or {})
        check_binding_arguments(x.type, args)
        binding = Binding(source, destination, dtype, key, args)
        if x.add(binding):
            self._emit(
                ev.Bound(
                    t=self.clock.now,
                    source=source,
                    destination=destination,
                    destination_type=dtype,
                    routing_key=key,
                    arguments=args,
                )
            )

    def _unbind(
        self, source: str, dtype: str, destination: str, key: str, args: dict | None
    ) -> None:
        if source == "" or (dtype == "exchange" and destination == ""):
            raise _default_exchange_refused()
        x = self._exchange(source)
        if dtype == "exchange":
            self._exchange(destination)
        else:
            self._queue(destination)
        check_routing_key(key)
        binding = x.remove(Binding(source, destination, dtype, key, dict(args or {})).key)
        if binding is not None:
            self._emit_unbound(binding, "unbind")
            self._maybe_auto_delete(x)

    def exchange_bind(
        self, destination: str, source: str, routing_key: str = "", arguments: dict | None = None
    ) -> None:
        self._bind(source, "exchange", destination, routing_key, arguments)

    def exchange_unbind(
        self, destination: str, source: str, routing_key: str = "", arguments: dict | None = None
    ) -> None:
        self._unbind(source, "exchange", destination, routing_key, arguments)

    # -- queues --------------------------------------------------------------------
    def queue_declare(
        self,
        queue: str,
        durable: bool = True,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> str:
        check_name("queue", queue)
        args = dict(arguments or {})
        name = queue or f"amq.gen-{self._next_queue_number}"
        qtype = check_queue_arguments(
            name, args, durable=durable, exclusive=exclusive, auto_delete=auto_delete
        )
        current = self.queues.get(name)
        if current is not None:
            for what, got, have in (
                ("durable", durable, current.durable),
                ("exclusive", exclusive, current.exclusive),
                ("auto_delete", auto_delete, current.auto_delete),
            ):
                if got != have:
                    raise _inequivalent("queue", name, what, got, have)
            keys = sorted(set(args) | set(current.arguments))
            for key in keys:
                if freeze(args.get(key)) != freeze(current.arguments.get(key)):
                    raise _inequivalent(
                        "queue", name, key, args.get(key), current.arguments.get(key)
                    )
            return name
        if queue:
            check_name("queue", queue, declaring=True)
        else:
            self._next_queue_number += 1
        self.queues[name] = Queue(
            name,
            qtype,
            durable=durable,
            exclusive=exclusive,
            auto_delete=auto_delete,
            arguments=args,
        )
        self._emit(
            ev.QueueDeclared(
                t=self.clock.now,
                queue=name,
                type=qtype,
                arguments=args,
                exclusive=exclusive,
                auto_delete=auto_delete,
            )
        )
        return name

    def queue_delete(self, queue: str) -> int:
        check_name("queue", queue)
        q = self.queues.get(queue)
        return 0 if q is None else self._remove_queue(q, "deleted")

    def _remove_queue(self, q: Queue, reason: str) -> int:
        if q.returning:
            self._flush_returns(q)
        count = q.ready
        for consumer in list(q.consumers):
            self._drop_consumer(consumer, "cancelled", requeue=False, why=f"queue {reason}")
        for timer in (q.dispatch_timer, q.expiry_timer, q.returns_timer):
            if timer is not None:
                timer.cancel()
        self._drop_ready(q, f"queue {reason}")
        del self.queues[q.name]
        self._drop_bindings_to("queue", q.name, f"queue '{q.name}' {reason}")
        self._emit(ev.QueueDeleted(t=self.clock.now, queue=q.name, messages=count, reason=reason))
        return count

    def _drop_ready(self, q: Queue, reason: str) -> int:
        entries = q.store.entries()
        q.store.clear()
        q.bytes = 0
        now = self.clock.now
        for entry in entries:
            self._emit(ev.Dropped.make(t=now, msg=entry.message.id, queue=q.name, reason=reason))
        return len(entries)

    def queue_purge(self, queue: str) -> int:
        q = self._queue(queue)
        if q.is_stream:
            raise ValidationError(
                f"NOT_IMPLEMENTED - queue.purge not supported by stream queue '{queue}'", code=540
            )
        if q.returning:
            self._flush_returns(q)
        count = self._drop_ready(q, "purged")
        self._emit(ev.QueuePurged(t=self.clock.now, queue=queue, messages=count))
        self._reschedule_expiry(q)
        return count

    def queue_bind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict | None = None,
    ) -> None:
        self._bind(
            exchange, "queue", queue, queue if routing_key is None else routing_key, arguments
        )

    def queue_unbind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict | None = None,
    ) -> None:
        self._unbind(
            exchange, "queue", queue, queue if routing_key is None else routing_key, arguments
        )
