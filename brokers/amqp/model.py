"""The RabbitMQ simulator: one virtual host on the shared virtual clock.

`AmqpBroker` implements `AmqpApi` from four parts: `topology` (declare, bind, delete),
`publishing` (route, enqueue, TTL, length limits, dead-lettering), `delivery`
(consumers, prefetch, acks, requeue, basic.get) and the storage in `queues`. It reads
time only from the injected `Clock`, randomness only from the injected `random.Random`,
and reports everything it does as events from `brokers.amqp.events` through `emit`.
Message ids are "m1", "m2", ... in publish order; copies in several queues and
dead-lettered copies keep the id of the published message. Leaves out connections,
vhosts, users and permissions, persistence, clustering and flow control.
"""

from __future__ import annotations

import random
from typing import Any

from brokers.amqp.api import AmqpApi
from brokers.amqp.consumers import Channel, Consumer
from brokers.amqp.delivery import Deliveries
from brokers.amqp.publishing import Publishing
from brokers.amqp.queues import Queue
from brokers.amqp.routing import Exchange
from brokers.amqp.topology import Topology
from brokers.clock import Clock
from brokers.events import Emit


class AmqpBroker(Topology, Publishing, Deliveries, AmqpApi):
    """A deterministic model of one RabbitMQ virtual host."""

    def __init__(
        self, clock: Clock, rng: random.Random, emit: Emit, network_delay: float = 0.0
    ) -> None:
        if not network_delay >= 0:  # also refuses NaN; the hot path adds it to now unchecked
            raise ValueError(f"network_delay must be >= 0, got {network_delay!r}")
        self.clock = clock
        self.rng = rng
        self._emit = emit
        #: virtual seconds between a message becoming deliverable and its delivery
        self.network_delay = network_delay
        self.exchanges: dict[str, Exchange] = {}
        self.queues: dict[str, Queue] = {}
        self.consumers: dict[str, Consumer] = {}
        self.getters: dict[str, Channel] = {}
        self._published = 0
        self._seq = 0
        self._next_queue_number = 0
        self._next_consumer_number = 0
        self._install_builtins()

    def describe(self) -> dict[str, Any]:
        bindings = [b.describe() for x in self.exchanges.values() for b in x.bindings.values()]
        return {
            "exchanges": [x.describe() for x in self.exchanges.values()],
            "queues": [q.describe() for q in self.queues.values()],
            "bindings": bindings,
            "consumers": [c.describe() for c in self.consumers.values()],
        }
