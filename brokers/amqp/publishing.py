"""Publishing, routing across exchanges, enqueueing, TTL, length limits and dead-lettering.

A publish is routed from its exchange through exchange-to-exchange bindings and alternate
exchanges (each exchange visited once, so cycles are safe; an exchange's alternate is
tried only when none of its own bindings matched, as in `rabbit_exchange:route`). Every
queue reached gets one copy. Publisher confirms: every publish is confirmed; a nack
when a `reject-publish` queue refused it. Dead-lettering republishes to the queue's
`x-dead-letter-exchange` with RabbitMQ's `x-death` header (one entry per queue and
reason, most recent first, `count` bumped and the entry moved to the front when it
recurs) and `x-first-death-*` headers, and drops messages that would cycle with no
rejection in the loop. Leaves out transactions, CC/BCC, `x-expires` and the
`x-last-death-*` headers added in 3.13.
"""

from __future__ import annotations

from typing import Any

from brokers.amqp import events as ev
from brokers.amqp.api import Properties
from brokers.amqp.queues import Entry, Message, Queue
from brokers.amqp.routing import Exchange
from brokers.amqp.validation import (
    SURELY_SHORT,
    check_properties,
    check_routing_key,
    interval_seconds,
)
from brokers.errors import AccessRefused, ValidationError

_NO_PROPERTIES = Properties()


class Publishing:
    """Publish, route, enqueue, expire and dead-letter (a mixin of `AmqpBroker`)."""

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
        x = self.exchanges.get(exchange) if type(exchange) is str else None
        if x is None:
            x = self._exchange(exchange)
        if x.internal:
            raise AccessRefused(
                f"ACCESS_REFUSED - cannot publish to internal exchange '{exchange}' in vhost '/'"
            )
        if type(routing_key) is not str or len(routing_key) > SURELY_SHORT:
            check_routing_key(routing_key)  # the short str every publish has needs no call
        props = _NO_PROPERTIES if properties is None else properties
        if props is not _NO_PROPERTIES:
            check_properties(props)
        if type(body) is not bytes:
            if isinstance(body, str):
                body = body.encode("utf-8")
            elif not isinstance(body, bytes):
                raise ValidationError(f"body must be bytes or str, got {type(body).__name__}")
        self._published += 1
        mid = f"m{self._published}"
        now = self.clock.now
        headers = props.headers
        msg = Message(mid, exchange, routing_key, body, props, headers, now)
        emit = self._emit
        emit(
            ev.Published.make(
                t=now,
                msg=mid,
                exchange=exchange,
                routing_key=routing_key,
                size=msg.size,
                publisher=publisher,
                mandatory=mandatory,
            )
        )
        if x.name == "":  # the default exchange: `_route`'s first case, inlined
            q = self.queues.get(routing_key)
            queues, matches = ((), ()) if q is None else q.default_route
        else:
            queues, matches = self._route(x, routing_key, headers)
        if not queues:
            emit(
                ev.Unroutable.make(
                    t=now,
                    msg=mid,
                    exchange=exchange,
                    routing_key=routing_key,
                    reason=_no_route(x, matches),
                )
            )
            if mandatory:
                emit(ev.Returned.make(t=now, msg=mid, exchange=exchange, routing_key=routing_key))
            if confirm:
                emit(ev.Confirmed.make(t=now, msg=mid, ack=True, reason="unroutable"))
            return mid
        emit(
            ev.Routed.make(
                t=now,
                msg=mid,
                exchange=exchange,
                routing_key=routing_key,
                queues=queues,
                matches=matches,
            )
        )
        refused = []
        for name in queues:
            if not self._enqueue(self.queues[name], msg, confirm):
                refused.append(name)
        if not confirm:
            return mid
        if refused:
            emit(
                ev.Confirmed.make(
                    t=now,
                    msg=mid,
                    ack=False,
                    reason=f"queue full (reject-publish): {', '.join(refused)}",
                )
            )
        else:
            emit(ev.Confirmed.make(t=now, msg=mid, ack=True))
        return mid

    # -- routing -------------------------------------------------------------------
    def _route(
        self, start: Exchange, routing_key: str, headers: dict[str, Any]
    ) -> tuple[tuple[str, ...], tuple[ev.Match, ...]]:
        """Queues reached from `start` (each once) and every binding that matched."""
        if start.name == "":
            q = self.queues.get(routing_key)
            return ((), ()) if q is None else q.default_route
        queues: dict[str, None] = {}
        matches: list[ev.Match] = []
        seen = {start.name}
        work = [start]
        exchanges = self.exchanges
        for x in work:
            found = x.match(routing_key, headers)
            if not found and x.alternate is not None:
                alt = exchanges.get(x.alternate)
                if alt is not None and alt.name not in seen:
                    seen.add(alt.name)
                    work.append(alt)
                    matches.append(
                        ev.Match(
                            x.name,
                            alt.name,
                            "exchange",
                            "",
                            f"alternate exchange of '{x.name}': no binding matched",
                        )
                    )
            for m in found:
                matches.append(m)
                if m.destination_type == "queue":
                    queues[m.destination] = None
                elif m.destination not in seen:
                    seen.add(m.destination)
                    work.append(exchanges[m.destination])
        return tuple(queues), tuple(matches)

    # -- queues --------------------------------------------------------------------
    def _enqueue(self, q: Queue, msg: Message, confirmed: bool = False) -> bool:
        """Put a copy of `msg` on `q`; False when the queue refused it (reject-publish).

        `confirmed`: published in confirm mode (a stream writes it as a chunk of its own).
        """
        now = self.clock.now
        if q.is_stream:
            return self._append(q, msg, confirmed)
        if q.limited and q.overflow != "drop-head" and q.full(msg.size):
            if q.overflow == "reject-publish-dlx":
                self._dead_letter(q, Entry(msg, 0, None, None), "maxlen")
            else:
                self._emit(
                    ev.Dropped.make(
                        t=now,
                        msg=msg.id,
                        queue=q.name,
                        reason="refused: queue full (x-overflow reject-publish)",
                    )
                )
            return False
        ttl = q.ttl_ms
        expiration = msg.properties.expiration
        if expiration is not None:
            ttl = int(expiration) if ttl is None else min(ttl, int(expiration))
            q.may_expire = True
        self._seq += 1
        entry = Entry(msg, self._seq, None if ttl is None else now + ttl / 1000, ttl)
        if q.max_priority:
            entry.priority = min(msg.properties.priority or 0, q.max_priority)
        depth = q.store.push(entry)
        q.bytes += msg.size
        self._emit(ev.Enqueued.make(t=now, msg=msg.id, queue=q.name, depth=depth))
        if q.limited and q.over():
            self._drop_head(q)
        if q.consumers and q.dispatch_timer is None:
            q.dispatch_timer = self.clock.at(now + self.network_delay, self._dispatch, q)
        if q.may_expire:  # after the dispatch, so a TTL 0 message reaches a waiting consumer
            self._reschedule_expiry(q)
        return True

    def _append(self, q: Queue, msg: Message, alone: bool) -> bool:
        self._seq += 1
        entry = Entry(msg, self._seq, None, None)
        offset = q.store.append(entry, self.clock.now, alone)
        q.bytes += msg.size
        self._emit(
            ev.Enqueued.make(
                t=self.clock.now, msg=msg.id, queue=q.name, depth=len(q.store), offset=offset
            )
        )
        self._retain(q)
        if q.consumers and q.dispatch_timer is None:
            q.dispatch_timer = self.clock.schedule(self.network_delay, self._dispatch, q)
        return True

    def _retain(self, q: Queue) -> None:
        """Stream retention: drop the oldest messages past x-max-length-bytes or x-max-age."""
        log = q.store
        drop = 0
        size = q.bytes
        while q.max_bytes is not None and size > q.max_bytes and drop < len(log.log):
            size -= log.log[drop].message.size
            drop += 1
        if q.max_age is not None:
            oldest = self.clock.now - interval_seconds(q.max_age)
            while drop < len(log.log) and log.log[drop].message.time < oldest:
                size -= log.log[drop].message.size
                drop += 1
        for entry in log.trim(drop):
            q.bytes -= entry.message.size
            self._emit(
                ev.Dropped.make(
                    t=self.clock.now, msg=entry.message.id, queue=q.name, reason="stream retention"
                )
            )

    def _drop_head(self, q: Queue) -> None:
        while q.over():
            entry = q.store.pop()
            q.bytes -= entry.message.size
            self._dead_letter(q, entry, "maxlen")

    # -- expiry --------------------------------------------------------------------
    def _reschedule_expiry(self, q: Queue) -> None:
        if not q.may_expire:
            return
        due = min((e.expires_at for e in q.store.heads() if e.expires_at is not None), default=None)
        timer = q.expiry_timer
        if timer is not None:
            if due is not None and timer.time == due and not timer.cancelled:
                return
            timer.cancel()
            q.expiry_timer = None
        if due is not None:
            q.expiry_timer = self.clock.at(due, self._expire_due, q)

    def _expire_due(self, q: Queue) -> None:
        q.expiry_timer = None
        self._expire(q, strict=False)
        self._reschedule_expiry(q)

    def _expire(self, q: Queue, strict: bool) -> None:
        """Expire messages at the head(s); `strict` spares those due exactly now.

        Dispatch uses strict so a message with TTL 0 still goes to a waiting consumer,
        as RabbitMQ does; the expiry timer uses non-strict.
        """
        now = self.clock.now
        while True:
            due = [
                e
                for e in q.store.heads()
                if e.expires_at is not None
                and (e.expires_at < now or (not strict and e.expires_at <= now))
            ]
            if not due:
                return
            for entry in due:
                self._remove_entry(q, entry)
                self._emit(
                    ev.Expired.make(
                        t=now, msg=entry.message.id, queue=q.name, ttl_ms=entry.ttl_ms or 0
                    )
                )
                self._dead_letter(q, entry, "expired")

    def _remove_entry(self, q: Queue, entry: Entry) -> None:
        """Remove a head entry (one of `store.heads()`)."""
        store = q.store
        if store.peek() is entry:
            store.pop()
        else:  # a lower-priority head in a priority queue
            level = store.levels[entry.priority]
            level.pop()
            store.count -= 1
        q.bytes -= entry.message.size

    # -- dead-lettering ------------------------------------------------------------
    def _dead_letter(self, q: Queue, entry: Entry, reason: str) -> None:
        """Republish to the queue's dead-letter exchange, or drop with the reason."""
        now = self.clock.now
        msg = entry.message
        if q.dlx is None:
            self._emit(
                ev.Dropped.make(
                    t=now, msg=msg.id, queue=q.name, reason=f"{reason}; no dead-letter exchange"
                )
            )
            return
        dlx = self.exchanges.get(q.dlx)
        if dlx is None:
            self._emit(
                ev.Dropped.make(
                    t=now,
                    msg=msg.id,
                    queue=q.name,
                    reason=f"{reason}; dead-letter exchange '{q.dlx}' does not exist",
                )
            )
            return
        headers, x_death = _death_headers(msg, q.name, reason, now)
        routing_key = msg.routing_key if q.dlrk is None else q.dlrk
        props = msg.properties
        props = Properties(
            headers=headers,
            priority=props.priority,
            expiration=None,
            message_id=props.message_id,
            correlation_id=props.correlation_id,
            timestamp=props.timestamp,
            delivery_mode=props.delivery_mode,
            content_type=props.content_type,
        )
        copy = Message(msg.id, dlx.name, routing_key, msg.body, props, headers, msg.time)
        self._emit(
            ev.DeadLettered.make(
                t=now,
                msg=msg.id,
                queue=q.name,
                reason=reason,
                exchange=dlx.name,
                routing_keys=(routing_key,),
                x_death=tuple(x_death),
            )
        )
        queues, matches = self._route(dlx, routing_key, headers)
        if reason != "rejected":
            cycling = [name for name in queues if _is_cycle(name, x_death)]
            if cycling:
                queues = tuple(n for n in queues if n not in cycling)
                self._emit(
                    ev.Dropped.make(
                        t=now,
                        msg=msg.id,
                        queue=q.name,
                        reason=f"dead-letter cycle with no rejection: {', '.join(cycling)}",
                    )
                )
        if not queues:
            self._emit(
                ev.Unroutable.make(
                    t=now,
                    msg=msg.id,
                    exchange=dlx.name,
                    routing_key=routing_key,
                    reason=f"dead-lettered from '{q.name}' but {_no_route(dlx, matches)}",
                )
            )
            return
        self._emit(
            ev.Routed.make(
                t=now,
                msg=msg.id,
                exchange=dlx.name,
                routing_key=routing_key,
                queues=queues,
                matches=matches,
            )
        )
        for name in queues:
            self._enqueue(self.queues[name], copy)


def _no_route(x: Exchange, matches: tuple) -> str:
    if x.name == "":
        return "no queue is named like the routing key (default exchange)"
    if matches:
        return "the matched exchanges led to no queue"
    return f"no binding of '{x.name}' matched" + (
        f" and alternate exchange '{x.alternate}' does not exist" if x.alternate else ""
    )


def _death_headers(msg: Message, queue: str, reason: str, now: float) -> tuple[dict, list[dict]]:
    """Headers of a dead-lettered copy: x-death updated as `rabbit_dead_letter` does."""
    headers = dict(msg.headers)
    deaths = [dict(d) for d in headers.get("x-death") or []]
    if not deaths:
        headers["x-first-death-reason"] = reason
        headers["x-first-death-queue"] = queue
        headers["x-first-death-exchange"] = msg.exchange
    for i, death in enumerate(deaths):
        if death.get("queue") == queue and death.get("reason") == reason:
            del deaths[i]
            death["count"] = death.get("count", 1) + 1
            deaths.insert(0, death)
            break
    else:
        death = {
            "count": 1,
            "reason": reason,
            "queue": queue,
            "time": now,
            "exchange": msg.exchange,
            "routing-keys": [msg.routing_key],
        }
        if msg.properties.expiration is not None:
            death["original-expiration"] = msg.properties.expiration
        deaths.insert(0, death)
    headers["x-death"] = deaths
    return headers, deaths


def _is_cycle(queue: str, deaths: list[dict]) -> bool:
    """A fully automatic cycle: the queue died before and nothing since was a rejection."""
    for death in deaths:
        if death.get("reason") == "rejected":
            return False
        if death.get("queue") == queue:
            return True
    return False
