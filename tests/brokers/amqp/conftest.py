"""Fixtures for the RabbitMQ model: a broker on a fresh clock with an event log."""

from __future__ import annotations

import random

import pytest

from brokers.amqp.model import AmqpBroker
from brokers.clock import Clock
from brokers.events import EventLog


class Rig:
    """A broker, its clock and its event log, with helpers tests read as sentences."""

    def __init__(self, seed: int = 1) -> None:
        self.clock = Clock()
        self.log = EventLog()
        self.broker = AmqpBroker(self.clock, random.Random(seed), self.log)

    def run(self, until: float | None = None) -> None:
        self.clock.run(until=until)

    def events(self, kind: str | None = None) -> list:
        return [e for e in self.log.events if kind is None or e.kind == kind]

    def routed_to(self, msg: str) -> tuple[str, ...]:
        return next((e.queues for e in self.events("routed") if e.msg == msg), ())

    def bodies(self, queue: str) -> list[bytes]:
        """Drain a queue with basic.get (auto-ack) and return the bodies in order."""
        out = []
        while (got := self.broker.basic_get(queue, auto_ack=True)) is not None:
            out.append(got.body)
        return out

    def delivered(self, consumer: str | None = None) -> list[str]:
        return [
            e.msg
            for e in self.events("delivered")
            if consumer is None or e.consumer_tag == consumer
        ]


@pytest.fixture
def rig() -> Rig:
    return Rig()
