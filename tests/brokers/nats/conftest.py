"""A simulated NATS server on its own clock, with helpers to read its events."""

from __future__ import annotations

import random

import pytest

from brokers.clock import Clock
from brokers.events import EventLog
from brokers.nats.model import NatsServer


class Rig:
    """A server, its clock and its event log, with shortcuts the tests share."""

    def __init__(self, seed: int = 1) -> None:
        self.clock = Clock()
        self.log = EventLog()
        self.nats = NatsServer(self.clock, random.Random(seed), self.log)

    def run(self, seconds: float = 0.0) -> None:
        self.clock.run(until=self.clock.now + seconds)

    def events(self, kind: str | None = None) -> list:
        return [e for e in self.log.events if kind is None or e.kind == kind]

    def delivered(self, consumer: str | None = None) -> list[tuple[int, int, int]]:
        """(stream seq, consumer seq, num_delivered) of every JetStream delivery."""
        return [
            (e.stream_seq, e.consumer_seq, e.num_delivered)
            for e in self.events("js_delivered")
            if consumer is None or e.consumer == consumer
        ]

    def info(self, stream: str, consumer: str) -> dict:
        """The consumer info numbers the differential tests compare."""
        i = self.nats.consumer_info(stream, consumer)
        return {
            "delivered": (i["delivered"]["consumer_seq"], i["delivered"]["stream_seq"]),
            "ack_floor": (i["ack_floor"]["consumer_seq"], i["ack_floor"]["stream_seq"]),
            "pending": i["num_pending"],
            "ack_pending": i["num_ack_pending"],
            "redelivered": i["num_redelivered"],
            "waiting": i["num_waiting"],
        }

    def state(self, stream: str) -> dict:
        return self.nats.stream_info(stream)["state"]


@pytest.fixture
def rig() -> Rig:
    return Rig()
