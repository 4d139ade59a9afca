"""A simulated Kafka cluster on its own clock, with helpers to read its events."""

from __future__ import annotations

import random

import pytest

from brokers.clock import Clock
from brokers.events import EventLog
from brokers.kafka.model import KafkaCluster


class Sim:
    """A cluster, its clock and its event log, plus shortcuts the tests share."""

    def __init__(self, brokers: int = 3, seed: int = 1, **kwargs) -> None:
        self.clock = Clock()
        self.log = EventLog()
        self.kafka = KafkaCluster(self.clock, random.Random(seed), self.log, brokers, **kwargs)

    def run(self, seconds: float = 1.0) -> None:
        self.clock.run(until=self.clock.now + seconds)

    def events(self, kind: str | None = None) -> list:
        return [e for e in self.log.events if kind is None or e.kind == kind]

    def processed(self, group: str | None = None) -> list[tuple[str, int, int, str]]:
        """(member, partition, offset, msg) for every processed record, in order."""
        return [
            (e.member, e.partition, off, msg)
            for e in self.events("processed")
            if group is None or e.group == group
            for off, msg in zip(e.offsets, e.msgs, strict=True)
        ]

    def partition(self, topic: str, index: int):
        return self.kafka.topics[topic].partitions[index]

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        return dict(self.kafka.groups[group].committed)


@pytest.fixture
def sim() -> Sim:
    return Sim()


@pytest.fixture
def make_sim():
    return Sim
