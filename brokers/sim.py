"""The embedded simulator: the three broker models on one virtual clock and one seeded RNG.

Same seed and same commands give the same events, bit for bit: the models read time
only from the shared `Clock` and randomness only from the injected `random.Random`.
"""

from __future__ import annotations

import random
from typing import Any

from brokers.amqp.model import AmqpBroker
from brokers.backend import Backend
from brokers.clock import Clock
from brokers.events import Event, EventLog
from brokers.kafka.model import KafkaCluster
from brokers.kafka.topics import DEFAULT_BROKERS
from brokers.nats.model import NatsServer


class Simulator(Backend):
    """RabbitMQ, Kafka and NATS models sharing a clock, an RNG and an event log."""

    kind = "sim"
    steppable = True

    def __init__(self, seed: int = 1, kafka_brokers: int = DEFAULT_BROKERS) -> None:
        self.seed = seed
        self.clock = Clock()
        self.rng = random.Random(seed)
        self.log = EventLog()
        self.amqp = AmqpBroker(self.clock, random.Random(f"{seed}:amqp"), self.log)
        self.kafka = KafkaCluster(
            self.clock, random.Random(f"{seed}:kafka"), self.log, brokers=kafka_brokers
        )
        self.nats = NatsServer(self.clock, random.Random(f"{seed}:nats"), self.log)

    @property
    def now(self) -> float:
        return self.clock.now

    def advance(self, seconds: float) -> None:
        self.clock.run(until=self.clock.now + seconds)

    def step(self) -> bool:
        return self.clock.step()

    def drain(self) -> list[Event]:
        return self.log.drain()

    def describe(self) -> dict[str, Any]:
        return {
            "amqp": self.amqp.describe(),
            "kafka": self.kafka.describe(),
            "nats": self.nats.describe(),
            "status": self.status(),
            "now": self.clock.now,
            "seed": self.seed,
        }
